import { describe, expect, it } from "vitest";
import { z } from "zod";
import { UNSTORABLE_MESSAGE } from "../storable";
import { formFields, parseActionInput, readActionInput, readRouteInput, specOf, type InputSpec } from "./action-input";

// An action's input as the flow editor's autosave and the segment builder's form have it.
const spec = formFields(
  z.object({
    flowId: z.uuid("flow not found"),
    revision: z.number().int().min(0),
    force: z.boolean().default(false),
    note: z.string().trim().max(10, "at most 10 characters").optional(),
    definition: z.object({ match: z.enum(["all", "any"]), children: z.array(z.object({ value: z.string() })) }),
    rows: z.array(z.array(z.string())).optional(),
  }),
  {
    revision: "number",
    force: "boolean",
    definition: { json: "the definition", maxLength: 200 },
    rows: { json: "rows", unstorable: "keep" },
  },
);

const flowId = "0b8f8b9e-7b5a-4c1e-9f5e-1d2c3b4a5f60";
const definition = { match: "all", children: [{ value: "gold" }] };

function form(fields: Record<string, string>) {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

/** Both steps, as workspaceAction runs them (the session and permission checks between them). */
function run<S extends z.ZodType>(input: unknown, s: InputSpec<S>) {
  const read = readActionInput(input, s.formFields);
  return read.ok ? parseActionInput(read, s) : read;
}

const refusal = (r: ReturnType<typeof run>) => {
  if (r.ok) throw new Error("expected a refusal");
  return r.state;
};

describe("typed input", () => {
  it("passes a plain object through the schema, typed", () => {
    const r = run({ workspace: "acme", flowId, revision: 3, force: true, definition }, spec);
    expect(r).toEqual({ ok: true, data: { flowId, revision: 3, force: true, definition } });
  });

  it("applies no form coercions: a string for a number or a boolean is refused, naming the field", () => {
    expect(refusal(run({ workspace: "acme", flowId, revision: "3", definition }, spec))).toMatchObject({ message: expect.stringMatching(/^revision: /), fieldErrors: { revision: expect.any(String) } });
    expect(refusal(run({ workspace: "acme", flowId, revision: 3, force: "1", definition }, spec)).fieldErrors).toHaveProperty("force");
  });

  it("names a problem inside a JSON field by its label and where in it", () => {
    const state = refusal(run({ workspace: "acme", flowId, revision: 0, definition: { match: "all", children: [{ value: 7 }] } }, spec));
    expect(state.fieldErrors).toEqual({ definition: expect.stringMatching(/^the definition: .+ \(at children\.0\.value\)$/) });
    expect(state.message).toBe(`definition: ${state.fieldErrors!.definition}`);
  });

  it("bounds a JSON field's size as its form text is bounded", () => {
    const big = { match: "all", children: Array.from({ length: 20 }, () => ({ value: "0123456789" })) };
    expect(refusal(run({ workspace: "acme", flowId, revision: 0, definition: big }, spec)).fieldErrors).toEqual({ definition: "the definition is too large: send less at once" });
  });

  it("leaves values JSON cannot hold (a script may encode them) to the schema, which refuses them", () => {
    expect(refusal(run({ workspace: "acme", flowId, revision: 0, definition: { match: "all", children: [{ value: 1n }] } }, spec)).fieldErrors).toEqual({
      definition: expect.stringMatching(/^the definition: .+ \(at children\.0\.value\)$/),
    });
  });

  it("refuses arguments that are not a plain object or a form", () => {
    for (const input of [1, "workspace=acme", null, undefined, [{ workspace: "acme" }], new Map([["workspace", "acme"]]), new Date()]) {
      const state = refusal(run(input, spec));
      expect(state.message, String(input)).toBe("form: send the form's fields as form data, or the action's input as an object");
      expect(state.fieldErrors).toHaveProperty("form");
    }
  });

  it("refuses text Postgres cannot store before anything else, naming the field and where in it", () => {
    expect(refusal(run({ workspace: "acme", flowId, revision: "not even a number", note: "a\u0000" }, spec))).toEqual({
      ok: false,
      message: `note: ${UNSTORABLE_MESSAGE}`,
      fieldErrors: { note: `note: ${UNSTORABLE_MESSAGE}` },
    });
    const nested = refusal(run({ workspace: "acme", flowId, revision: 0, definition: { match: "all", children: [{ value: "x\ud800" }] } }, spec));
    expect(nested.message).toBe(`the definition: ${UNSTORABLE_MESSAGE} (at children.0.value)`);
    expect(Object.keys(nested.fieldErrors!)).toEqual(["definition"]);
    // A field name that is itself unstorable is named escaped.
    expect(refusal(run({ workspace: "acme", ["k\u0000"]: 1 }, spec)).message).toBe(`k\\u0000: ${UNSTORABLE_MESSAGE}`);
  });

  it("leaves such text in a field declared `unstorable: keep` to the handler", () => {
    const r = run({ workspace: "acme", flowId, revision: 0, definition, rows: [["a\u0000"]] }, spec);
    expect(r).toMatchObject({ ok: true, data: { rows: [["a\u0000"]] } });
  });
});

describe("form input", () => {
  const posted = { workspace: "acme", flowId, revision: "3", definition: JSON.stringify(definition) };

  it("coerces declared fields once, so a form and a typed call reach the handler alike", () => {
    expect(run(form({ ...posted, force: "on" }), spec)).toEqual(run({ workspace: "acme", flowId, revision: 3, force: true, definition }, spec));
    expect(run(form(posted), spec)).toEqual({ ok: true, data: { flowId, revision: 3, force: false, definition } });
  });

  it("reads checkboxes as browsers and scripts post them", () => {
    const force = (v?: string) => {
      const r = run(form(v === undefined ? posted : { ...posted, force: v }), spec);
      return r.ok ? r.data.force : r.state.fieldErrors;
    };
    expect([force("on"), force("1"), force("true"), force("TRUE")]).toEqual([true, true, true, true]);
    expect([force(undefined), force(""), force("0"), force("false"), force("off")]).toEqual([false, false, false, false, false]);
    expect(force("maybe")).toEqual({ force: "must be on or off" });
  });

  it("names the field a coercion fails on", () => {
    expect(refusal(run(form({ ...posted, revision: "three" }), spec))).toEqual({ ok: false, message: "revision: must be a number", fieldErrors: { revision: "must be a number" } });
    expect(refusal(run(form({ ...posted, definition: "{not json" }), spec)).message).toBe("definition: the definition is not valid JSON");
    expect(refusal(run(form({ ...posted, definition: `"${"x".repeat(300)}"` }), spec)).fieldErrors).toEqual({ definition: "the definition is too large: send less at once" });
    // An empty number input is absent: the schema says whether that is allowed.
    expect(refusal(run(form({ ...posted, revision: " " }), spec)).fieldErrors).toHaveProperty("revision");
  });

  it("reports every failed coercion, the first one in the message", () => {
    const state = refusal(run(form({ ...posted, revision: "x", force: "y" }), spec));
    expect(state.fieldErrors).toEqual({ revision: "must be a number", force: "must be on or off" });
    expect(state.message).toBe("revision: must be a number");
  });

  it("refuses a field holding text Postgres cannot store, raw or inside its JSON", () => {
    expect(refusal(run(form({ ...posted, note: "a\u0000" }), spec))).toEqual({ ok: false, message: `note: ${UNSTORABLE_MESSAGE}`, fieldErrors: { note: `note: ${UNSTORABLE_MESSAGE}` } });
    const json = JSON.stringify({ match: "all", children: [{ value: "gold\u0000" }] });
    expect(json).not.toContain("\u0000");
    const state = refusal(run(form({ ...posted, definition: json }), spec));
    expect(state.message).toBe(`the definition: ${UNSTORABLE_MESSAGE} (at children.0.value)`);
    expect(Object.keys(state.fieldErrors!)).toEqual(["definition"]);
    // Kept fields are judged by the handler, item by item.
    expect(run(form({ ...posted, rows: JSON.stringify([["b\ud800"]]) }), spec)).toMatchObject({ ok: true, data: { rows: [["b\ud800"]] } });
  });

  it("names schema problems as before: the field, the message, one error per field", () => {
    const state = refusal(run(form({ ...posted, flowId: "nope", note: "far too long a note" }), spec));
    expect(state.fieldErrors).toEqual({ flowId: "flow not found", note: "at most 10 characters" });
    expect(state.message).toBe("flowId: flow not found");
  });

  it("keeps an undeclared schema working on the form's strings", () => {
    const bare = specOf(z.object({ name: z.string().trim().min(1, "name it") }));
    expect(run(form({ workspace: "acme", name: " Newsletter " }), bare)).toEqual({ ok: true, data: { name: "Newsletter" } });
    expect(run({ workspace: "acme", name: "Newsletter" }, bare)).toEqual({ ok: true, data: { name: "Newsletter" } });
    expect(refusal(run(form({ workspace: "acme", name: "" }), bare)).message).toBe("name: name it");
  });
});

describe("action routes' bodies", () => {
  const url = "http://app.example/w/acme/segments/preview";
  const post = (body: BodyInit, headers: Record<string, string> = {}) => readRouteInput(new Request(url, { method: "POST", body, headers: { host: "app.example", ...headers } }));

  it("reads JSON as the typed input, and a form as FormData", async () => {
    expect(await post(JSON.stringify({ workspace: "acme", definition }), { "content-type": "application/json", origin: "http://app.example" })).toEqual({ ok: true, input: { workspace: "acme", definition } });
    const multipart = await post(form({ workspace: "acme", definition: JSON.stringify(definition) }));
    expect(multipart.ok && multipart.input instanceof FormData && multipart.input.get("workspace")).toBe("acme");
    const urlencoded = await post(new URLSearchParams({ workspace: "acme" }));
    expect(urlencoded.ok && urlencoded.input instanceof FormData && urlencoded.input.get("workspace")).toBe("acme");
  });

  it("refuses another site's request with a 403 naming the origin", async () => {
    for (const origin of ["https://elsewhere.example", "null", "not a url"]) {
      expect(await post(JSON.stringify({ workspace: "acme" }), { "content-type": "application/json", origin }), origin).toEqual({ ok: false, status: 403, state: { ok: false, message: "origin: cross-site requests are refused" } });
    }
    // Behind a proxy, the forwarded host is the site's.
    expect(await post(JSON.stringify({}), { "content-type": "application/json", origin: "https://tillit.example", "x-forwarded-host": "tillit.example" })).toMatchObject({ ok: true });
  });

  it("answers a body it cannot read with a 400 naming the body", async () => {
    const unreadable = { ok: false, status: 400, state: { ok: false, message: "body: send the input as JSON, or the form as multipart or urlencoded form data" } };
    expect(await post("{not json", { "content-type": "application/json" })).toEqual(unreadable);
    expect(await post("plain words", { "content-type": "text/plain" })).toEqual(unreadable);
  });

  it("leaves JSON that is not an object to the action, which refuses it as any argument", async () => {
    const r = await post("[1,2]", { "content-type": "application/json" });
    expect(r).toEqual({ ok: true, input: [1, 2] });
    expect(r.ok && readActionInput(r.input, {})).toMatchObject({ ok: false, state: { fieldErrors: { form: expect.any(String) } } });
  });
});
