"use client";

import { Dialog as D } from "radix-ui";
import type { ReactNode } from "react";

// Shared by the dialog and the alert dialog, so every modal looks the same.
export const overlayClass = "fixed inset-0 z-40 bg-slate-900/40";
export const contentClass =
  "fixed left-1/2 top-1/2 z-50 w-[calc(100%-2rem)] max-w-md -translate-x-1/2 -translate-y-1/2 rounded-lg border border-slate-200 bg-white p-5 shadow-xl focus:outline-none";
export const titleClass = "text-base font-semibold text-slate-900";
export const descriptionClass = "mt-2 text-sm text-slate-600";

/**
 * A modal dialog (docs/ui.md): focus moves in and is trapped, Escape and the close button
 * dismiss it, focus returns to what opened it. `trigger` is one element (rendered as is).
 */
export function Dialog(props: {
  trigger: ReactNode;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
}) {
  return (
    <D.Root open={props.open} onOpenChange={props.onOpenChange}>
      <D.Trigger asChild>{props.trigger}</D.Trigger>
      <D.Portal>
        <D.Overlay className={overlayClass} />
        <D.Content className={contentClass} {...(props.description ? {} : { "aria-describedby": undefined })}>
          <D.Title className={titleClass}>{props.title}</D.Title>
          {props.description ? <D.Description className={descriptionClass}>{props.description}</D.Description> : null}
          <div className="mt-4">{props.children}</div>
          <D.Close className="absolute right-3 top-3 rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-800" aria-label="Close">
            ✕
          </D.Close>
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}
