"use client";

import { useId, useMemo, useState } from "react";
import { isNodeKind, nodeCatalog } from "@/lib/flows/catalog";
import { formatDuration } from "@/lib/flows/duration";
import {
  configFieldSchema,
  discriminator,
  durationKind,
  fieldLabel,
  freshItem,
  headerLines,
  initial,
  isNull,
  parseHeaderLines,
  parseInUnit,
  placeholderFor,
  scalar,
  scalarText,
  suggestionLists,
  suggestionsFor,
  type FieldSchema,
} from "@/lib/flows/editor/config-fields";
import type { Pickers } from "./types";

/**
 * The node panel's form, generated from the catalog's zod schema (through its JSON Schema):
 * objects become fieldsets, unions a mode picker, nullable parts a switch, arrays a list.
 * A field's widget comes from the catalog's metadata (`FieldWidget` in lib/flows/catalog.ts):
 * template, segment and send-node pickers, suggested tags, events, attributes and time zones,
 * human durations and weekdays. Validated as you type by the same schema compile() uses.
 */

type Value = unknown;
type Ctx = { pickers: Pickers; issues: Map<string, string>; readOnly: boolean; zones: string[]; sendNodes: string[] };

const inputCls = "mt-0.5 block w-full rounded border border-slate-300 px-2 py-1 text-xs disabled:bg-slate-50";
const weekdayNames: Record<string, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

export function ConfigForm(props: {
  kind: string;
  config: Record<string, unknown>;
  onChange: (config: Record<string, unknown>) => void;
  pickers: Pickers;
  readOnly: boolean;
  sendNodes: string[];
}) {
  const schema = useMemo(() => configFieldSchema(props.kind), [props.kind]);
  const issues = useMemo(() => {
    const m = new Map<string, string>();
    if (!isNodeKind(props.kind)) return m;
    const r = nodeCatalog[props.kind].configSchema.safeParse(props.config);
    if (!r.success) for (const i of r.error.issues) if (!m.has(i.path.join("."))) m.set(i.path.join("."), i.message);
    return m;
  }, [props.kind, props.config]);
  const zones = useMemo(() => (typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : ["UTC"]), []);
  if (!schema) return <p className="text-xs text-red-700">This node&apos;s kind is unknown; delete it.</p>;
  const ctx: Ctx = { pickers: props.pickers, issues, readOnly: props.readOnly, zones, sendNodes: props.sendNodes };
  return (
    <div className="space-y-2" data-testid="config-form">
      <Field name="" schema={schema} value={props.config} path={[]} ctx={ctx} onChange={(v) => props.onChange(v as Record<string, unknown>)} />
      {issues.get("") ? <p className="text-xs text-red-700">{issues.get("")}</p> : null}
      <PickerLists ctx={ctx} />
    </div>
  );
}

function PickerLists({ ctx }: { ctx: Ctx }) {
  return (
    <>
      <datalist id={suggestionLists.tag}>{ctx.pickers.tags.map((t) => <option key={t} value={t} />)}</datalist>
      <datalist id={suggestionLists.event}>{ctx.pickers.events.map((t) => <option key={t} value={t} />)}</datalist>
      <datalist id={suggestionLists.attribute}>{ctx.pickers.attributes.map((t) => <option key={t} value={t} />)}</datalist>
      <datalist id={suggestionLists["time-zone"]}>{ctx.zones.map((t) => <option key={t} value={t} />)}</datalist>
    </>
  );
}

function Issue({ path, ctx }: { path: (string | number)[]; ctx: Ctx }) {
  const m = ctx.issues.get(path.join("."));
  return m ? (
    <span role="alert" className="block text-[11px] text-red-700">
      {m}
    </span>
  ) : null;
}

function Field(props: {
  name: string;
  /** The label, when a wrapper (a nullable's switch) already chose it. */
  label?: string;
  schema: FieldSchema;
  value: Value;
  path: (string | number)[];
  ctx: Ctx;
  onChange: (v: Value) => void;
  required?: boolean;
}) {
  const { name, schema: s, value, path, ctx, onChange } = props;
  const id = useId();
  const label = props.label ?? fieldLabel(name, s);
  const variants = s.oneOf ?? s.anyOf;

  // Nullable: a switch, then the non-null part.
  if (variants && variants.some(isNull) && variants.length === 2) {
    const inner = variants.find((v) => !isNull(v))!;
    // The send-node picker has its own "any" choice for null.
    if (inner.widget === "send-node") return <Field {...props} label={label} schema={inner} />;
    const simple = inner.type === "string" || inner.type === "integer" || inner.type === "number";
    if (simple) {
      return <Field {...props} label={label} schema={inner} value={value ?? ""} onChange={(v) => onChange(v === "" ? null : v)} />;
    }
    const on = value !== null && value !== undefined;
    return (
      <fieldset className="rounded border border-slate-200 p-2">
        <label className="flex items-center gap-2 text-xs font-medium text-slate-700">
          <input type="checkbox" checked={on} disabled={ctx.readOnly} onChange={(e) => onChange(e.target.checked ? initial(inner) : null)} />
          {label}
        </label>
        {on ? <div className="mt-1 space-y-2"><Field {...props} name={name} label={label} schema={inner} /></div> : null}
      </fieldset>
    );
  }

  // A tagged union (condition mode, rule type, wait-until mode): pick the variant, then its fields.
  if (variants && variants.length > 1) {
    const key = discriminator(variants);
    if (key && typeof value === "object" && value !== null) {
      const current = (value as Record<string, unknown>)[key];
      const chosen = variants.find((v) => v.properties?.[key]?.const === current) ?? variants[0]!;
      return (
        <div className="space-y-2">
          <label className="block text-xs font-medium text-slate-700" htmlFor={id}>
            {fieldLabel(key)}
          </label>
          <select
            id={id}
            aria-label={fieldLabel(key)}
            className={inputCls}
            disabled={ctx.readOnly}
            value={String(current)}
            onChange={(e) => onChange(initial(variants.find((v) => String(v.properties?.[key]?.const) === e.target.value)!))}
          >
            {variants.map((v) => (
              <option key={String(v.properties?.[key]?.const)} value={String(v.properties?.[key]?.const)}>
                {String(v.properties?.[key]?.const)}
              </option>
            ))}
          </select>
          <ObjectFields schema={chosen} value={value as Record<string, unknown>} path={path} ctx={ctx} onChange={onChange} skip={key} />
        </div>
      );
    }
    // Scalars of several types (a filter's value): typed text.
    return (
      <label className="block text-xs font-medium text-slate-700">
        {label}
        <input
          aria-label={label}
          className={inputCls}
          disabled={ctx.readOnly}
          value={scalarText(value)}
          onChange={(e) => onChange(scalar(e.target.value))}
        />
        <Issue path={path} ctx={ctx} />
      </label>
    );
  }

  const type = Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type;
  if (type === "object" && s.properties) {
    const body = <ObjectFields schema={s} value={(value ?? {}) as Record<string, unknown>} path={path} ctx={ctx} onChange={onChange} />;
    return name ? (
      <fieldset className="space-y-2 rounded border border-slate-200 p-2">
        <legend className="px-1 text-xs font-semibold text-slate-700">{label}</legend>
        {body}
      </fieldset>
    ) : (
      body
    );
  }
  if (type === "object") {
    // Free-form string map (webhook headers): one "Name: value" per line.
    const text = headerLines((value ?? {}) as Record<string, string>);
    return (
      <label className="block text-xs font-medium text-slate-700">
        {label} <span className="font-normal text-slate-500">(one “Name: value” per line)</span>
        <textarea
          aria-label={label}
          className={inputCls}
          rows={3}
          disabled={ctx.readOnly}
          defaultValue={text}
          onChange={(e) => onChange(parseHeaderLines(e.target.value))}
        />
        <Issue path={path} ctx={ctx} />
      </label>
    );
  }
  if (type === "array" && s.items) {
    const list: unknown[] = Array.isArray(value) ? value : [];
    if (s.widget === "weekdays") {
      return (
        <fieldset>
          <legend className="text-xs font-medium text-slate-700">Days</legend>
          <div className="mt-0.5 flex flex-wrap gap-2">
            {["mon", "tue", "wed", "thu", "fri", "sat", "sun"].map((d) => (
              <label key={d} className="flex items-center gap-1 text-xs">
                <input
                  type="checkbox"
                  disabled={ctx.readOnly}
                  checked={list.includes(d)}
                  onChange={(e) => onChange(e.target.checked ? [...list, d] : list.filter((x) => x !== d))}
                />
                {weekdayNames[d]}
              </label>
            ))}
          </div>
          <Issue path={path} ctx={ctx} />
        </fieldset>
      );
    }
    if (s.widget === "members") return <MemberPicker label={label} chosen={list} path={path} ctx={ctx} onChange={onChange} help={s.help} />;
    const item = s.items;
    const singular = label.replace(/s$/, "").toLowerCase();
    return (
      <fieldset className="space-y-2 rounded border border-slate-200 p-2">
        <legend className="px-1 text-xs font-semibold text-slate-700">{label}</legend>
        {list.map((v, i) => (
          <div key={i} className="relative space-y-2 rounded bg-slate-50 p-2">
            <Field name="" schema={item} value={v} path={[...path, i]} ctx={ctx} onChange={(nv) => onChange(list.map((x, j) => (j === i ? nv : x)))} />
            {ctx.readOnly ? null : (
              <button type="button" className="text-[11px] text-red-700 hover:underline" onClick={() => onChange(list.filter((_, j) => j !== i))}>
                Remove {singular}
              </button>
            )}
          </div>
        ))}
        {ctx.readOnly ? null : (
          <button
            type="button"
            className="text-[11px] font-medium text-brand-700 hover:underline"
            onClick={() => onChange([...list, freshItem(item, list)])}
          >
            Add {singular}
          </button>
        )}
        <Issue path={path} ctx={ctx} />
      </fieldset>
    );
  }
  if (type === "boolean") {
    return (
      <label className="flex items-center gap-2 text-xs font-medium text-slate-700">
        <input type="checkbox" disabled={ctx.readOnly} checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        {label}
      </label>
    );
  }
  const duration = durationKind(s);
  if ((type === "integer" || type === "number") && duration) {
    return <DurationField label={label} value={typeof value === "number" ? value : null} path={path} ctx={ctx} onChange={onChange} kind={duration} placeholder={s.placeholder} help={s.help} />;
  }
  if (type === "integer" || type === "number") {
    return (
      <label className="block text-xs font-medium text-slate-700">
        {label}
        <input
          type="number"
          aria-label={label}
          className={inputCls}
          disabled={ctx.readOnly}
          value={typeof value === "number" ? value : ""}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
        <Issue path={path} ctx={ctx} />
      </label>
    );
  }
  // Strings.
  let control;
  const str = typeof value === "string" ? value : "";
  if (s.enum) {
    control = (
      <select aria-label={label} className={inputCls} disabled={ctx.readOnly} value={str} onChange={(e) => onChange(e.target.value)}>
        {s.enum.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (s.widget === "template") {
    // Archived templates leave the picker; one this node already sends stays, marked, until changed.
    const offered = ctx.pickers.templates.filter((t) => !t.archived || t.id === str);
    control = (
      <select aria-label="Template" className={inputCls} disabled={ctx.readOnly} value={str} onChange={(e) => onChange(e.target.value)}>
        <option value="">{offered.length ? "Choose a template…" : "No templates yet: create one first"}</option>
        {offered.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
            {t.subject && t.subject !== t.name ? ` — ${t.subject}` : ""}
            {t.archived ? " (archived)" : ""}
          </option>
        ))}
      </select>
    );
  } else if (s.widget === "segment") {
    control = (
      <select aria-label="Segment" className={inputCls} disabled={ctx.readOnly} value={str} onChange={(e) => onChange(e.target.value)}>
        <option value="">{ctx.pickers.segments.length ? "Choose a segment…" : "No segments yet: create one under Segments"}</option>
        {ctx.pickers.segments.map((g) => (
          <option key={g.id} value={g.id}>
            {g.name}
          </option>
        ))}
      </select>
    );
  } else if (s.widget === "send-node") {
    control = (
      <select aria-label="Send node" className={inputCls} disabled={ctx.readOnly} value={str} onChange={(e) => onChange(e.target.value || null)}>
        <option value="">Any email</option>
        {ctx.sendNodes.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        aria-label={label}
        className={inputCls}
        disabled={ctx.readOnly}
        list={suggestionsFor(s)}
        placeholder={placeholderFor(s)}
        value={str}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <label className="block text-xs font-medium text-slate-700">
      {label}
      {control}
      <Help text={s.help} />
      <Issue path={path} ctx={ctx} />
    </label>
  );
}

function Help({ text }: { text?: string }) {
  return text ? <span className="block text-[11px] font-normal text-slate-500">{text}</span> : null;
}

/** The notify-team node's members: a checkbox per workspace member; a chosen id no longer among them stays listed, marked. */
function MemberPicker(props: { label: string; chosen: unknown[]; path: (string | number)[]; ctx: Ctx; onChange: (v: Value) => void; help?: string }) {
  const { chosen, ctx } = props;
  const known = new Set(ctx.pickers.members.map((m) => m.id));
  const gone = chosen.filter((id): id is string => typeof id === "string" && !known.has(id));
  const toggle = (id: string, on: boolean) => props.onChange(on ? [...chosen, id] : chosen.filter((x) => x !== id));
  return (
    <fieldset className="rounded border border-slate-200 p-2" data-testid="member-picker">
      <legend className="px-1 text-xs font-semibold text-slate-700">{props.label}</legend>
      {ctx.pickers.members.length === 0 ? <p className="text-xs text-slate-500">No members to choose from.</p> : null}
      <div className="max-h-48 space-y-1 overflow-y-auto">
        {ctx.pickers.members.map((m) => (
          <label key={m.id} className="flex items-center gap-2 text-xs">
            <input type="checkbox" disabled={ctx.readOnly} checked={chosen.includes(m.id)} onChange={(e) => toggle(m.id, e.target.checked)} />
            {m.name ? `${m.name} (${m.email ?? "no address"})` : (m.email ?? m.id)}
          </label>
        ))}
        {gone.map((id) => (
          <label key={id} className="flex items-center gap-2 text-xs text-red-700">
            <input type="checkbox" disabled={ctx.readOnly} checked onChange={() => toggle(id, false)} />
            Not a member of this workspace ({id})
          </label>
        ))}
      </div>
      <Help text={props.help} />
      <Issue path={props.path} ctx={ctx} />
    </fieldset>
  );
}

function ObjectFields(props: { schema: FieldSchema; value: Record<string, unknown>; path: (string | number)[]; ctx: Ctx; onChange: (v: Value) => void; skip?: string }) {
  const { schema, value, path, ctx, onChange } = props;
  return (
    <>
      {Object.entries(schema.properties ?? {})
        .filter(([k]) => k !== props.skip)
        .map(([k, p]) => (
          <Field
            key={k}
            name={k}
            schema={p}
            value={value[k]}
            path={[...path, k]}
            ctx={ctx}
            required={schema.required?.includes(k)}
            onChange={(v) => {
              const next = { ...value };
              if (v === undefined) delete next[k];
              else next[k] = v;
              onChange(next);
            }}
          />
        ))}
    </>
  );
}

function DurationField(props: {
  label: string;
  value: number | null;
  path: (string | number)[];
  ctx: Ctx;
  onChange: (v: Value) => void;
  kind: { signed: boolean; unitMs: number };
  placeholder?: string;
  help?: string;
}) {
  const { kind } = props;
  const shown = props.value === null ? "" : `${props.value < 0 ? "-" : ""}${formatDuration(Math.abs(props.value) * kind.unitMs)}`;
  const [text, setText] = useState(shown);
  const [bad, setBad] = useState(false);
  // Follow outside changes (undo, another node selected) unless the text already means this value:
  // adjusted while rendering, when the value differs from the one last seen.
  const [seen, setSeen] = useState(props.value);
  if (seen !== props.value) {
    setSeen(props.value);
    setText((t) => (parseInUnit(t, kind) === props.value ? t : shown));
  }
  const example = kind.unitMs === 1 ? "“3 days”, “2h 30m” or “90 minutes”" : "“2 days” or “36 hours” (whole hours)";
  return (
    <label className="block text-xs font-medium text-slate-700">
      {props.label}
      <input
        aria-label={props.label}
        className={inputCls}
        disabled={props.ctx.readOnly}
        placeholder={props.placeholder ?? "3 days"}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          const v = parseInUnit(e.target.value, kind);
          setBad(v === null && e.target.value.trim() !== "");
          if (v !== null) props.onChange(v);
          else if (e.target.value.trim() === "") props.onChange(kind.signed ? 0 : undefined);
        }}
      />
      <Help text={props.help} />
      {bad ? <span role="alert" className="block text-[11px] text-red-700">Not a duration: try {example}.</span> : <Issue path={props.path} ctx={props.ctx} />}
    </label>
  );
}
