"use client";

import { Popover as P } from "radix-ui";
import type { ReactNode } from "react";

/**
 * Non-modal extra content behind a button (docs/ui.md), such as help: Escape or a click outside
 * closes it and focus returns to the button.
 */
export function Popover(props: { label: ReactNode; children: ReactNode; triggerClassName?: string }) {
  return (
    <P.Root>
      <P.Trigger className={props.triggerClassName ?? "text-xs font-medium text-brand-600 hover:underline"}>{props.label}</P.Trigger>
      <P.Portal>
        <P.Content
          align="start"
          sideOffset={4}
          className="z-50 max-w-sm rounded-md border border-slate-200 bg-white p-3 text-sm text-slate-700 shadow-lg focus:outline-none"
        >
          {props.children}
        </P.Content>
      </P.Portal>
    </P.Root>
  );
}
