import type { ReactFlowInstance } from "@xyflow/react";
import { useEffect } from "react";
import type { EditorStore } from "@/lib/flows/editor/store";

/** The canvas's keyboard shortcuts (listed in the side panel), off while typing in a field. */
export function useShortcuts(store: EditorStore, flow: Pick<ReactFlowInstance, "fitView">) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable)) return;
      const mod = e.metaKey || e.ctrlKey;
      const s = store.getState();
      const key = e.key.toLowerCase();
      if (mod && key === "z" && !e.shiftKey) s.undo();
      else if (mod && (key === "y" || (key === "z" && e.shiftKey))) s.redo();
      else if (mod && key === "c") s.copy();
      else if (mod && key === "v") s.paste();
      else if (mod && key === "d") s.duplicateSelected();
      else if (mod && key === "a") s.select(s.nodes.map((n) => n.id));
      else if (!mod && key === "l" && e.shiftKey) s.layout();
      else if (!mod && key === "f" && e.shiftKey) void flow.fitView({ duration: 200 });
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [store, flow]);
}
