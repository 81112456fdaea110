"use client";

import { DropdownMenu as M } from "radix-ui";
import type { ReactNode } from "react";

/**
 * A menu of actions behind a button (docs/ui.md): arrow keys move, typing jumps to an item, Enter
 * picks, Escape closes. `keepFocus` leaves focus where the item's action put it (e.g. back in a
 * text field) instead of returning it to the button.
 */
export function DropdownMenu(props: {
  label: ReactNode;
  triggerClassName?: string;
  items: { key: string; content: ReactNode; onSelect: () => void }[];
  keepFocus?: boolean;
  testId?: string;
}) {
  return (
    <M.Root modal={false}>
      <M.Trigger className={props.triggerClassName ?? "rounded text-sm font-medium text-brand-600 hover:underline"} data-testid={props.testId}>
        {props.label}
      </M.Trigger>
      <M.Portal>
        <M.Content
          align="end"
          sideOffset={4}
          onCloseAutoFocus={props.keepFocus ? (e) => e.preventDefault() : undefined}
          className="z-50 max-h-72 w-72 overflow-auto rounded-md border border-slate-200 bg-white p-1 shadow-lg"
        >
          {props.items.map((i) => (
            <M.Item
              key={i.key}
              onSelect={i.onSelect}
              className="block cursor-pointer rounded px-2 py-1 text-left text-sm outline-none data-[highlighted]:bg-slate-100"
            >
              {i.content}
            </M.Item>
          ))}
        </M.Content>
      </M.Portal>
    </M.Root>
  );
}
