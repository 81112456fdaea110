"use client";

import { Handle, Position, type NodeProps } from "@xyflow/react";
import Link from "next/link";
import { createContext, memo, useContext } from "react";
import { exitsFor, isNodeKind, nodeCatalog } from "@/lib/flows/catalog";
import type { FlowNode } from "@/lib/flows/editor/store";
import type { NodeStats } from "./types";

/**
 * Everything a node shows besides its own data, shared through one context so that dragging a
 * node re-renders only that node, while errors, stats and highlights change rarely.
 */
export type Decorations = {
  errors: Map<string, string[]>;
  stats: Record<string, NodeStats>;
  /** Dry-run path or version diff: node id → highlight kind. */
  highlight: Map<string, "path" | "added" | "changed">;
  showStats: boolean;
  /** Templates edited since the current version pinned them (their send nodes say so). */
  changedTemplates: ReadonlySet<string>;
  /** The flow's failed list; a node's red "failed" chip opens it filtered to that node. */
  failedHref: string;
};

export const DecorationsContext = createContext<Decorations>({ errors: new Map(), stats: {}, highlight: new Map(), showStats: false, changedTemplates: new Set(), failedHref: "" });

/** The template a send-email node's config names, if the template changed since the flow was published. */
export function changedTemplateOf(kind: string, config: Record<string, unknown>, changed: ReadonlySet<string>): string | null {
  const id = kind === "send-email" && typeof config.templateId === "string" ? config.templateId : null;
  return id && changed.has(id) ? id : null;
}

const groupColour: Record<string, string> = {
  triggers: "border-l-violet-500",
  timing: "border-l-sky-500",
  logic: "border-l-amber-500",
  actions: "border-l-slate-500",
  messages: "border-l-emerald-500",
};
const highlightRing: Record<string, string> = {
  path: "ring-4 ring-brand-500/60",
  added: "ring-4 ring-emerald-400",
  changed: "ring-4 ring-amber-400",
};

function FlowNodeViewInner({ id, data, selected }: NodeProps<FlowNode>) {
  const d = useContext(DecorationsContext);
  const known = isNodeKind(data.kind);
  const def = known ? nodeCatalog[data.kind as keyof typeof nodeCatalog] : null;
  const exits = exitsFor(data.kind, data.config);
  const errors = d.errors.get(id);
  const stats = d.stats[id];
  const ring = d.highlight.get(id);
  const trigger = def?.group === "triggers";
  const templateChanged = changedTemplateOf(data.kind, data.config, d.changedTemplates) !== null;
  return (
    <div
      data-testid={`node-${id}`}
      data-kind={data.kind}
      data-errors={errors?.length ?? 0}
      data-highlight={ring ?? ""}
      className={`w-[220px] rounded-md border border-l-4 bg-white text-xs shadow-sm ${groupColour[def?.group ?? ""] ?? "border-l-red-500"} ${
        errors ? "border-red-400" : selected ? "border-brand-500" : "border-slate-300"
      } ${ring ? highlightRing[ring] : ""}`}
    >
      {trigger ? null : <Handle type="target" position={Position.Top} id="in" className="!h-3 !w-3 !bg-slate-500" />}
      <div className="px-3 pt-2">
        <div className="flex items-center justify-between gap-2">
          <span className="truncate font-semibold text-slate-800">{data.label || def?.label || data.kind}</span>
          {errors ? (
            <span title={errors.join("\n")} className="rounded bg-red-100 px-1.5 text-[10px] font-semibold text-red-700">
              {errors.length} {errors.length === 1 ? "problem" : "problems"}
            </span>
          ) : null}
          {stats?.failed ? (
            <Link
              href={`${d.failedHref}?node=${encodeURIComponent(id)}`}
              data-testid={`failed-${id}`}
              title="Runs that failed for good here: open the failed list to retry or exit them"
              className="nodrag nopan shrink-0 rounded bg-red-600 px-1.5 text-[10px] font-semibold text-white hover:bg-red-700"
            >
              {stats.failed} failed
            </Link>
          ) : null}
        </div>
        <div className="truncate text-[11px] text-slate-500">
          {def?.label ?? `Unknown kind ${data.kind}`} · {id}
        </div>
        {templateChanged ? (
          <div
            className="mt-1 truncate rounded bg-amber-100 px-1.5 text-[10px] font-semibold text-amber-800"
            title="The live flow still sends the template as it was when published; publish again to send the edited one."
            data-testid={`template-changed-${id}`}
          >
            Template changed since publish
          </div>
        ) : null}
      </div>
      {d.showStats ? (
        <div className="mt-1 grid grid-cols-5 gap-0.5 border-t border-slate-100 px-2 py-1 text-center text-[10px] text-slate-600" data-testid={`stats-${id}`}>
          <Stat label="in" title="Entered" value={stats?.entered} />
          <Stat label="wait" title="Waiting now" value={stats?.waitingNow} />
          <Stat label="done" title="Completed" value={stats?.completed} />
          <Stat label="exit" title="Exited here" value={stats?.exited} />
          <Stat label="conv" title="Converted (reached a goal)" value={stats?.converted} />
        </div>
      ) : null}
      <div className="relative flex h-6 items-end justify-around px-1 pb-0.5">
        {exits.map((e) => (
          <div key={e.handle} className="relative flex flex-1 justify-center">
            <span className="pointer-events-none truncate text-[10px] text-slate-500">{exits.length > 1 ? e.label : ""}</span>
            <Handle
              type="source"
              position={Position.Bottom}
              id={e.handle}
              title={e.label}
              aria-label={`${e.label} exit`}
              className="!h-3 !w-3 !bg-brand-600"
            />
          </div>
        ))}
      </div>
    </div>
  );
}

function Stat({ label, title, value }: { label: string; title: string; value: number | undefined }) {
  return (
    <span title={title} data-stat={label}>
      <span className="block font-semibold tabular-nums text-slate-800">{value ?? 0}</span>
      {label}
    </span>
  );
}

export const FlowNodeView = memo(FlowNodeViewInner);
export const nodeTypes = { flow: FlowNodeView };
