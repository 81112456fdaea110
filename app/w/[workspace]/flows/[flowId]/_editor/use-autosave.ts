import { useCallback, useEffect, useRef, useState } from "react";
import type { EditorStore } from "@/lib/flows/editor/store";
import { saveDraftAction } from "@/app/w/[workspace]/flows/actions";
import { callAction } from "@/app/_components/call-action";

const AUTOSAVE_MS = 800;

export type SaveState = { kind: "saved" | "dirty" | "saving" | "error" | "conflict"; message?: string };

/**
 * Autosave of the draft with an optimistic revision (docs/flows.md): a change saves after a
 * pause; a draft saved meanwhile by another editor comes back as a conflict, which is never
 * overwritten silently (`save(true)` is "keep mine"). Leaving with unsaved changes asks first.
 */
export function useAutosave(p: { store: EditorStore; changeCount: number; readOnly: boolean; persist: boolean; workspace: string; flowId: string; revision: number }) {
  const { store, changeCount, readOnly, persist, workspace, flowId } = p;
  const revision = useRef(p.revision);
  const [state, setState] = useState<SaveState>({ kind: "saved" });
  const saving = useRef(false);
  const save = useCallback(
    async (force = false) => {
      if (readOnly || saving.current) return;
      saving.current = true;
      setState({ kind: "saving" });
      const r = await callAction(saveDraftAction, { workspace, flowId, revision: revision.current, graph: store.getState().toGraph(), force });
      saving.current = false;
      if (r.ok) {
        revision.current = r.data?.revision ?? revision.current;
        setState({ kind: "saved" });
      } else if (r.data?.conflict) setState({ kind: "conflict", message: r.message });
      else setState({ kind: "error", message: r.message });
    },
    [readOnly, workspace, flowId, store],
  );
  const firstChange = useRef(changeCount);
  useEffect(() => {
    if (changeCount === firstChange.current || readOnly || !persist) return;
    setState((s) => (s.kind === "conflict" ? s : { kind: "dirty" }));
    const t = setTimeout(() => {
      setState((s) => {
        if (s.kind !== "conflict") void save();
        return s;
      });
    }, AUTOSAVE_MS);
    return () => clearTimeout(t);
  }, [changeCount, readOnly, save, persist]);
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (state.kind === "dirty" || state.kind === "saving") e.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [state.kind]);
  /** The draft revision last saved, which publishing must name. */
  const currentRevision = useCallback(() => revision.current, []);
  return { state, save, revision: currentRevision };
}
