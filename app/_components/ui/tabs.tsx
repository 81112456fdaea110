"use client";

import { Tabs as T } from "radix-ui";
import type { ReactNode } from "react";

/**
 * Tabs (docs/ui.md): a tab list with arrow-key movement and panels tied to their tabs. Controlled
 * (`value`/`onValueChange`) or not (`defaultValue`).
 */
export function Tabs<V extends string>(props: {
  label: string;
  tabs: { value: V; label: ReactNode; panel: ReactNode }[];
  value?: V;
  defaultValue?: V;
  onValueChange?: (v: V) => void;
  /** Rendered beside the tab list (e.g. a field that applies to every panel). */
  aside?: ReactNode;
  className?: string;
}) {
  return (
    <T.Root
      value={props.value}
      defaultValue={props.defaultValue}
      onValueChange={props.onValueChange ? (v) => props.onValueChange?.(v as V) : undefined}
      className={props.className}
    >
      <div className="flex flex-wrap items-end gap-3">
        {props.aside}
        <T.List aria-label={props.label} className="flex gap-1 rounded-md bg-slate-100 p-1">
          {props.tabs.map((t) => (
            <T.Trigger
              key={t.value}
              value={t.value}
              className="rounded px-3 py-1 text-sm font-medium text-slate-600 hover:text-slate-900 data-[state=active]:bg-white data-[state=active]:text-slate-900 data-[state=active]:shadow-sm"
            >
              {t.label}
            </T.Trigger>
          ))}
        </T.List>
      </div>
      {props.tabs.map((t) => (
        <T.Content key={t.value} value={t.value} className="mt-3 focus:outline-none focus-visible:ring-2 focus-visible:ring-brand-500">
          {t.panel}
        </T.Content>
      ))}
    </T.Root>
  );
}
