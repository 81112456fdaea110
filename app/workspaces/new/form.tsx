"use client";

import { ActionForm } from "@/app/_components/action-form";
import { useBrowserValue } from "@/app/_components/browser-value";
import { button, input, label } from "@/app/_components/styles";
import { createWorkspaceAction } from "../actions";

export function NewWorkspaceForm() {
  // The browser knows the user's zone; it becomes the workspace default, editable later.
  const tz = useBrowserValue(() => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC", "UTC");
  return (
    <ActionForm action={createWorkspaceAction} className="mt-6 space-y-4">
      <div>
        <label htmlFor="name" className={label}>
          Workspace name
        </label>
        <input id="name" name="name" required minLength={2} maxLength={80} className={input} placeholder="Acme Outdoor" />
        <p className="mt-1 text-xs text-slate-500">Usually your company or brand. You can change it later.</p>
      </div>
      <input type="hidden" name="timeZone" value={tz} />
      <button type="submit" className={button}>
        Create workspace
      </button>
    </ActionForm>
  );
}
