"use client";

import { AlertDialog as A } from "radix-ui";
import { useRef, useState, type ReactNode } from "react";
import { useBrowserValue } from "../browser-value";
import { dangerButton, secondaryButton } from "../styles";
import { contentClass, descriptionClass, overlayClass, titleClass } from "./dialog";

const confirmClass =
  "inline-flex items-center rounded-md bg-red-700 px-4 py-2 text-sm font-medium text-white hover:bg-red-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-700 focus-visible:ring-offset-2";

/**
 * A destructive form's submit button that first asks (docs/ui.md): it opens an alert dialog naming
 * what goes, and the dialog's confirm button submits the same form, with this button as the
 * submitter, so the form's action and fields are exactly those without the dialog. Enter in a
 * field of the form opens the dialog too. Enabled once the page has hydrated, so an early click is
 * never taken as a confirmed one.
 */
export function ConfirmSubmit(props: {
  /** The button's label, e.g. "Delete template". */
  children: ReactNode;
  /** The question, naming what goes: Delete template “Welcome”? */
  title: string;
  /** What follows from it. */
  description: ReactNode;
  /** The dialog's confirm button, e.g. "Delete template". */
  confirm: string;
  className?: string;
}) {
  const trigger = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const hydrated = useBrowserValue(() => true, false);
  return (
    <A.Root open={open} onOpenChange={setOpen}>
      <button
        ref={trigger}
        type="submit"
        disabled={!hydrated}
        className={props.className ?? dangerButton}
        aria-haspopup="dialog"
        onClick={(e) => {
          e.preventDefault();
          setOpen(true);
        }}
      >
        {props.children}
      </button>
      <A.Portal>
        <A.Overlay className={overlayClass} />
        {/* The button is ours, not Radix's trigger (it must stay a submit button), so return focus to it here. */}
        <A.Content
          className={contentClass}
          onCloseAutoFocus={(e) => {
            e.preventDefault();
            trigger.current?.focus();
          }}
        >
          <A.Title className={titleClass}>{props.title}</A.Title>
          <A.Description asChild>
            <div className={descriptionClass}>{props.description}</div>
          </A.Description>
          <div className="mt-5 flex justify-end gap-2">
            <A.Cancel className={secondaryButton}>Cancel</A.Cancel>
            <A.Action className={confirmClass} onClick={() => trigger.current?.form?.requestSubmit(trigger.current)}>
              {props.confirm}
            </A.Action>
          </div>
        </A.Content>
      </A.Portal>
    </A.Root>
  );
}
