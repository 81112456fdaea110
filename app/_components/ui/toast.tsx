"use client";

import { Toaster as Sonner, toast } from "sonner";

/**
 * The toast region, mounted once in the workspace layout (docs/ui.md). Toasts repeat an outcome
 * that the page also states in place (a form's role=status/alert line), so they can fade on
 * their own.
 */
export function Toaster() {
  return (
    <Sonner
      position="bottom-right"
      closeButton
      toastOptions={{ classNames: { toast: "text-slate-900", success: "border-emerald-300", error: "border-red-300" } }}
    />
  );
}

/** Raises a toast; a no-op where no Toaster is mounted. */
export function notify(kind: "success" | "error", message: string) {
  if (kind === "success") toast.success(message);
  else toast.error(message, { duration: 8000 });
}
