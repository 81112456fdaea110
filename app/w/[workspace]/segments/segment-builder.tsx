"use client";

import { useEffect, useState } from "react";
import type { BuilderOptions } from "@/db/queries/segments";
import {
  builtinFields,
  contactStatuses,
  operatorLabels,
  type Comparison,
  type ComparisonOp,
  type Condition,
  type Definition,
  type Node,
  type Window,
} from "@/lib/segments/definition";
import { ActionForm } from "@/app/_components/action-form";
import { button, input, label } from "@/app/_components/styles";
import { postAction } from "@/app/_components/post-form";
import { saveSegmentAction, type previewSegmentAction } from "./actions";

const small = `${input} mt-0 w-auto`;

const opsByType: { type: string; ops: ComparisonOp[] }[] = [
  { type: "text", ops: ["eq", "neq", "contains", "not_contains", "starts_with"] },
  { type: "number", ops: ["num_eq", "num_neq", "gt", "gte", "lt", "lte"] },
  { type: "yes/no", ops: ["is"] },
  { type: "date", ops: ["before", "after", "on"] },
  { type: "any", ops: ["exists", "not_exists"] },
];

function defaultComparison(op: ComparisonOp, prev?: Comparison): Comparison {
  const keep = prev && "value" in prev ? prev.value : undefined;
  if (op === "exists" || op === "not_exists") return { op };
  if (["num_eq", "num_neq", "gt", "gte", "lt", "lte"].includes(op)) return { op: op as "gt", value: typeof keep === "number" ? keep : 0 };
  if (op === "is") return { op, value: true };
  if (op === "before" || op === "after" || op === "on") return { op, value: typeof keep === "string" && /^\d{4}-\d{2}-\d{2}$/.test(keep) ? keep : new Date().toISOString().slice(0, 10) };
  return { op: op as "eq", value: typeof keep === "string" ? keep : "" };
}

function ComparisonEditor(props: { value: Comparison; onChange: (c: Comparison) => void; name: string }) {
  const c = props.value;
  return (
    <>
      <select aria-label={`${props.name} operator`} className={small} value={c.op} onChange={(e) => props.onChange(defaultComparison(e.target.value as ComparisonOp, c))}>
        {opsByType.map((g) => (
          <optgroup key={g.type} label={g.type}>
            {g.ops.map((op) => (
              <option key={op} value={op}>{operatorLabels[op]}{g.type !== "any" && g.type !== "text" ? ` (${g.type})` : ""}</option>
            ))}
          </optgroup>
        ))}
      </select>
      {c.op === "is" ? (
        <select aria-label={`${props.name} value`} className={small} value={String(c.value)} onChange={(e) => props.onChange({ op: "is", value: e.target.value === "true" })}>
          <option value="true">true</option>
          <option value="false">false</option>
        </select>
      ) : "value" in c ? (
        <input
          aria-label={`${props.name} value`}
          className={`${small} w-40`}
          type={typeof c.value === "number" ? "number" : c.op === "before" || c.op === "after" || c.op === "on" ? "date" : "text"}
          value={String(c.value)}
          onChange={(e) => props.onChange({ ...c, value: typeof c.value === "number" ? Number(e.target.value) : e.target.value } as Comparison)}
        />
      ) : null}
    </>
  );
}

function WindowEditor(props: { value: Window; onChange: (w: Window) => void }) {
  const w = props.value;
  const today = new Date().toISOString().slice(0, 10);
  return (
    <>
      <select
        aria-label="When"
        className={small}
        value={w.kind}
        onChange={(e) => props.onChange(e.target.value === "ever" ? { kind: "ever" } : e.target.value === "last_days" ? { kind: "last_days", days: 30 } : { kind: "between", from: today, to: today })}
      >
        <option value="ever">ever</option>
        <option value="last_days">in the last …</option>
        <option value="between">between dates</option>
      </select>
      {w.kind === "last_days" ? (
        <>
          <input aria-label="Days" type="number" min={1} className={`${small} w-20`} value={w.days} onChange={(e) => props.onChange({ kind: "last_days", days: Math.max(1, Math.floor(Number(e.target.value) || 1)) })} />
          <span className="text-sm">days</span>
        </>
      ) : w.kind === "between" ? (
        <>
          <input aria-label="From" type="date" className={small} value={w.from} onChange={(e) => props.onChange({ ...w, from: e.target.value })} />
          <span className="text-sm">and</span>
          <input aria-label="To" type="date" className={small} value={w.to} onChange={(e) => props.onChange({ ...w, to: e.target.value })} />
        </>
      ) : null}
    </>
  );
}

const newCondition = (type: Condition["type"]): Condition => {
  switch (type) {
    case "attribute":
      return { type, field: "", comparison: { op: "eq", value: "" } };
    case "tag":
      return { type, tag: "", has: true };
    case "topic":
      return { type, topic: "", subscribed: true };
    case "consent":
      return { type, statuses: ["subscribed"] };
    case "event":
      return { type, name: "", performed: true, filters: [], window: { kind: "last_days", days: 30 } };
    case "email":
      return { type, action: "opened", performed: true, window: { kind: "last_days", days: 30 } };
  }
};

const typeLabels: Record<Condition["type"], string> = {
  attribute: "Attribute",
  tag: "Tag",
  topic: "Topic subscription",
  consent: "Consent state",
  event: "Event",
  email: "Email engagement",
};

function ConditionEditor(props: { value: Condition; onChange: (c: Condition) => void; options: BuilderOptions }) {
  const c = props.value;
  const o = props.options;
  switch (c.type) {
    case "attribute":
      return (
        <>
          <input aria-label="Attribute" list="segment-fields" placeholder="plan_tier" className={`${small} w-40`} value={c.field} onChange={(e) => props.onChange({ ...c, field: e.target.value.trim() })} />
          <ComparisonEditor name="Attribute" value={c.comparison} onChange={(comparison) => props.onChange({ ...c, comparison })} />
        </>
      );
    case "tag":
      return (
        <>
          <select aria-label="Has tag" className={small} value={String(c.has)} onChange={(e) => props.onChange({ ...c, has: e.target.value === "true" })}>
            <option value="true">has tag</option>
            <option value="false">does not have tag</option>
          </select>
          <input aria-label="Tag" list="segment-tags" className={`${small} w-40`} value={c.tag} onChange={(e) => props.onChange({ ...c, tag: e.target.value })} />
        </>
      );
    case "topic":
      return (
        <>
          <select aria-label="Subscribed" className={small} value={String(c.subscribed)} onChange={(e) => props.onChange({ ...c, subscribed: e.target.value === "true" })}>
            <option value="true">is subscribed to</option>
            <option value="false">is not subscribed to</option>
          </select>
          <select aria-label="Topic" className={small} value={c.topic} onChange={(e) => props.onChange({ ...c, topic: e.target.value })}>
            <option value="">choose a topic</option>
            {o.topics.map((t) => (
              <option key={t.key} value={t.key}>{t.name}</option>
            ))}
          </select>
        </>
      );
    case "consent":
      return (
        <span className="flex flex-wrap gap-3 text-sm">
          consent is
          {contactStatuses.map((s) => (
            <label key={s} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={c.statuses.includes(s)}
                onChange={(e) => props.onChange({ ...c, statuses: e.target.checked ? [...c.statuses, s] : c.statuses.filter((x) => x !== s) })}
              />
              {s}
            </label>
          ))}
        </span>
      );
    case "event": {
      const countKind = !c.performed ? "none" : c.count ? c.count.op : "once";
      return (
        <span className="flex flex-wrap items-center gap-2">
          <select
            aria-label="Performed"
            className={small}
            value={countKind}
            onChange={(e) => {
              const v = e.target.value;
              if (v === "none") props.onChange({ ...c, performed: false, count: undefined });
              else if (v === "once") props.onChange({ ...c, performed: true, count: undefined });
              else props.onChange({ ...c, performed: true, count: { op: v as "gte" | "lte", n: c.count?.n ?? 3 } });
            }}
          >
            <option value="once">performed</option>
            <option value="gte">performed at least</option>
            <option value="lte">performed at most</option>
            <option value="none">did not perform</option>
          </select>
          {c.count ? (
            <>
              <input aria-label="Times" type="number" min={1} className={`${small} w-20`} value={c.count.n} onChange={(e) => props.onChange({ ...c, count: { op: c.count!.op, n: Math.max(1, Math.floor(Number(e.target.value) || 1)) } })} />
              <span className="text-sm">times</span>
            </>
          ) : null}
          <input aria-label="Event name" placeholder="Order Completed" className={`${small} w-44`} value={c.name} onChange={(e) => props.onChange({ ...c, name: e.target.value })} />
          <WindowEditor value={c.window} onChange={(window) => props.onChange({ ...c, window })} />
          {c.filters.map((f, i) => (
            <span key={i} className="flex items-center gap-2">
              <span className="text-sm">where</span>
              <input aria-label="Property" placeholder="plan" className={`${small} w-28`} value={f.property} onChange={(e) => props.onChange({ ...c, filters: c.filters.map((x, j) => (j === i ? { ...x, property: e.target.value.trim() } : x)) })} />
              <ComparisonEditor name="Property" value={f.comparison} onChange={(comparison) => props.onChange({ ...c, filters: c.filters.map((x, j) => (j === i ? { ...x, comparison } : x)) })} />
              <button type="button" className="text-sm text-red-700" onClick={() => props.onChange({ ...c, filters: c.filters.filter((_, j) => j !== i) })}>✕</button>
            </span>
          ))}
          <button type="button" className="text-sm text-brand-600 hover:underline" onClick={() => props.onChange({ ...c, filters: [...c.filters, { property: "", comparison: { op: "eq", value: "" } }] })}>
            + property filter
          </button>
        </span>
      );
    }
    case "email":
      return (
        <span className="flex flex-wrap items-center gap-2">
          <select aria-label="Engagement" className={small} value={`${c.performed}:${c.action}`} onChange={(e) => {
            const [p, a] = e.target.value.split(":");
            props.onChange({ ...c, performed: p === "true", action: a as "opened" | "clicked" });
          }}>
            <option value="true:opened">opened</option>
            <option value="true:clicked">clicked</option>
            <option value="false:opened">did not open</option>
            <option value="false:clicked">did not click</option>
          </select>
          <select aria-label="Template" className={small} value={c.templateId ?? ""} onChange={(e) => props.onChange({ ...c, templateId: e.target.value || undefined })}>
            <option value="">any email</option>
            {o.templates.map((t) => (
              <option key={t.id} value={t.id}>{t.name}</option>
            ))}
          </select>
          <select aria-label="Flow" className={small} value={c.flowId ?? ""} onChange={(e) => props.onChange({ ...c, flowId: e.target.value || undefined })}>
            <option value="">from any flow or send</option>
            {o.flows.map((f) => (
              <option key={f.id} value={f.id}>from {f.name}</option>
            ))}
          </select>
          <WindowEditor value={c.window} onChange={(window) => props.onChange({ ...c, window })} />
          <label className="flex items-center gap-1 text-sm" title="Opens and clicks by mail scanners and privacy proxies">
            <input type="checkbox" checked={c.includeMachine === true} onChange={(e) => props.onChange({ ...c, includeMachine: e.target.checked || undefined })} />
            include machine activity
          </label>
        </span>
      );
  }
}

function GroupEditor(props: { value: Definition; onChange: (g: Definition) => void; onRemove?: () => void; options: BuilderOptions; depth: number }) {
  const g = props.value;
  const set = (i: number, n: Node) => props.onChange({ ...g, children: g.children.map((c, j) => (j === i ? n : c)) });
  const remove = (i: number) => props.onChange({ ...g, children: g.children.filter((_, j) => j !== i) });
  return (
    <div className={`space-y-2 rounded-lg border border-slate-200 p-3 ${props.depth % 2 ? "bg-slate-50" : "bg-white"}`} data-testid="segment-group">
      <div className="flex items-center gap-2 text-sm">
        <span>Match</span>
        <select aria-label="Match" className={small} value={g.match} onChange={(e) => props.onChange({ ...g, match: e.target.value as "all" | "any" })}>
          <option value="all">all (AND)</option>
          <option value="any">any (OR)</option>
        </select>
        <span>of these conditions</span>
        {props.onRemove ? <button type="button" className="ml-auto text-red-700" onClick={props.onRemove}>Remove group</button> : null}
      </div>
      {g.children.map((n, i) =>
        n.type === "group" ? (
          <GroupEditor key={i} value={n} onChange={(x) => set(i, x)} onRemove={() => remove(i)} options={props.options} depth={props.depth + 1} />
        ) : (
          <div key={i} className="flex flex-wrap items-center gap-2 rounded-md border border-slate-200 bg-white p-2" data-testid="segment-condition">
            <span className="w-36 text-xs font-medium uppercase text-slate-500">{typeLabels[n.type]}</span>
            <ConditionEditor value={n} onChange={(x) => set(i, x)} options={props.options} />
            <button type="button" aria-label="Remove condition" className="ml-auto text-sm text-red-700" onClick={() => remove(i)}>✕</button>
          </div>
        ),
      )}
      <div className="flex flex-wrap gap-2">
        <select
          aria-label="Add condition"
          className={small}
          value=""
          onChange={(e) => {
            const v = e.target.value;
            if (!v) return;
            props.onChange({ ...g, children: [...g.children, v === "group" ? { type: "group", match: "any", children: [] } : newCondition(v as Condition["type"])] });
          }}
        >
          <option value="">+ Add condition…</option>
          {(Object.keys(typeLabels) as Condition["type"][]).map((t) => (
            <option key={t} value={t}>{typeLabels[t]}</option>
          ))}
          {props.depth < 3 ? <option value="group">Group (nested AND/OR)</option> : null}
        </select>
      </div>
    </div>
  );
}

/** The segment builder: nested AND/OR groups, a live count while editing, save. */
export function SegmentBuilder(props: {
  workspace: string;
  segment?: { id: string; name: string; definition: Definition };
  options: BuilderOptions;
  canEdit: boolean;
}) {
  const [definition, setDefinition] = useState<Definition>(props.segment?.definition ?? { type: "group", match: "all", children: [] });
  // `of`: the definition the shown count answers; until it is the current one, the count is pending.
  const [preview, setPreview] = useState<{ of?: string; count?: number; sample?: string[]; error?: string }>({});
  const json = JSON.stringify(definition);
  const pending = preview.of !== json;

  // The live count: a plain request, not a server action (see lib/auth/action `actionRoute`); a
  // newer definition aborts the count in flight.
  useEffect(() => {
    const abort = new AbortController();
    const count = async () => {
      const r = await postAction<typeof previewSegmentAction>(`/w/${props.workspace}/segments/preview`, { workspace: props.workspace, definition }, abort.signal);
      if (!r) return;
      if (r.ok && r.data) setPreview({ of: json, count: r.data.count, sample: r.data.sample });
      else setPreview({ of: json, error: r.message ?? "Could not count" });
    };
    const t = setTimeout(() => void count(), 350);
    return () => {
      clearTimeout(t);
      abort.abort();
    };
  }, [json, definition, props.workspace]);

  return (
    <div className="mt-4 grid gap-6 lg:grid-cols-[1fr_18rem]">
      <ActionForm action={saveSegmentAction} workspace={props.workspace} className="space-y-4" testId="segment-form">
        {props.segment ? <input type="hidden" name="segmentId" value={props.segment.id} /> : null}
        <input type="hidden" name="definition" value={json} />
        <div>
          <label htmlFor="segment-name" className={label}>Name</label>
          <input id="segment-name" name="name" required defaultValue={props.segment?.name ?? ""} placeholder="Active pro customers" className={`${input} max-w-md`} />
        </div>
        <datalist id="segment-fields">
          {builtinFields.map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <datalist id="segment-tags">
          {props.options.tags.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <GroupEditor value={definition} onChange={setDefinition} options={props.options} depth={0} />
        {props.canEdit ? (
          <div>
            <button type="submit" className={button}>Save segment</button>
            {props.segment ? (
              <p className="mt-1 text-xs text-slate-500">Saving a changed definition records who matches afresh: people who match only because of the change do not trigger “entered segment” flows.</p>
            ) : null}
          </div>
        ) : <p className="text-sm text-slate-500">Viewers can explore segments but not save them.</p>}
      </ActionForm>
      <aside className="h-fit rounded-lg border border-slate-200 bg-white p-4" aria-live="polite">
        <p className="text-sm text-slate-600">Matching now</p>
        <p className="text-3xl font-semibold" data-testid="segment-count">
          {preview.count === undefined ? "…" : preview.count.toLocaleString("en")}
        </p>
        <p className="text-xs text-slate-500">{pending ? "Counting…" : preview.error ? <span className="text-red-700" role="alert">{preview.error}</span> : "contacts (erased people never match)"}</p>
        {preview.sample && preview.sample.length > 0 ? (
          <ul className="mt-3 space-y-1 text-sm text-slate-700" data-testid="segment-sample">
            {preview.sample.map((e) => (
              <li key={e} className="truncate">{e}</li>
            ))}
          </ul>
        ) : null}
      </aside>
    </div>
  );
}

