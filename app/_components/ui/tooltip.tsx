"use client";

import { Tooltip as T } from "radix-ui";
import type { ReactNode } from "react";

/**
 * A short label shown on hover and keyboard focus (docs/ui.md), in place of `title`. `children`
 * is one element that can take focus (a link, a button) or a truncated text; the tip never holds
 * anything a person must read or click.
 */
export function Tooltip(props: { content: ReactNode; children: ReactNode }) {
  return (
    <T.Provider delayDuration={300}>
      <T.Root>
        <T.Trigger asChild>{props.children}</T.Trigger>
        <T.Portal>
          <T.Content sideOffset={4} className="z-50 max-w-md break-all rounded bg-slate-900 px-2 py-1 text-xs text-white shadow">
            {props.content}
          </T.Content>
        </T.Portal>
      </T.Root>
    </T.Provider>
  );
}
