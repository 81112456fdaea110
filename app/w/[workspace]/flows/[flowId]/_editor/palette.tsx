"use client";

import { kindsOf, nodeCatalog, nodeGroups } from "@/lib/flows/catalog";

/** The node palette: the catalog's kinds by group, dragged onto the canvas or clicked to add. */
export function Palette({ onAdd }: { onAdd: (kind: string) => void }) {
  return (
    <nav className="w-44 shrink-0 overflow-y-auto rounded-lg border border-slate-200 bg-white p-2" aria-label="Node palette" data-testid="palette">
      {nodeGroups.map((g) => (
        <div key={g} className="mb-2">
          <h3 className="px-1 text-[11px] font-semibold uppercase tracking-wide text-slate-500">{g}</h3>
          {kindsOf(g).map((k) => (
            <button
              key={k}
              type="button"
              draggable
              data-testid={`palette-${k}`}
              title={`${nodeCatalog[k].description} Drag onto the canvas, or click to add.`}
              onDragStart={(e) => {
                e.dataTransfer.setData("application/tillit-node", k);
                e.dataTransfer.effectAllowed = "move";
              }}
              onClick={() => onAdd(k)}
              className="mt-1 block w-full cursor-grab rounded border border-slate-200 px-2 py-1 text-left text-xs hover:border-brand-500 hover:bg-brand-50"
            >
              {nodeCatalog[k].label}
            </button>
          ))}
        </div>
      ))}
    </nav>
  );
}
