import { describe, expectTypeOf, it } from "vitest";
import { z } from "zod";
// Types only: the action client itself needs a session (next-auth), which unit tests have not;
// its input handling is tested in lib/auth/action-input.test.ts.
import type { ActionData, ActionInput, ActionState, FormAction, FormField, formFields, workspaceAction } from "./action";

const schema = z.object({ flowId: z.uuid(), revision: z.number().int(), note: z.string().trim().default("") });

// Declared, never called: what TypeScript infers for an action is the subject here.
function actions(define: typeof workspaceAction, fields: typeof formFields) {
  return {
    saveDraft: define("flows.edit", fields(schema, { revision: "number" }), async ({ input }) => {
      if (input.revision < 0) return { ok: false, message: "conflict", data: { conflict: true, revision: input.revision } };
      return { ok: true, data: { conflict: false, revision: input.revision + 1 } };
    }),
    preview: define("workspace.read", schema, async () => ({ ok: true, data: { count: 3, sample: ["a@example.com"] } })),
    remove: define("flows.edit", schema, async () => undefined),
    rename: define("flows.edit", schema, async ({ input }) => ({ ok: true, message: `Renamed to ${input.note}` })),
  };
}
type Actions = ReturnType<typeof actions>;

describe("typed workspace actions", () => {
  it("hand back the data their handler returns, typed", () => {
    expectTypeOf(actions).returns.toHaveProperty("saveDraft");
    expectTypeOf<ActionData<Actions["saveDraft"]>>().toEqualTypeOf<{ conflict: boolean; revision: number }>();
    expectTypeOf<ActionData<Actions["preview"]>>().toEqualTypeOf<{ count: number; sample: string[] }>();
    // Handlers that return no data answer none.
    expectTypeOf<ActionData<Actions["remove"]>>().toEqualTypeOf<never>();
    expectTypeOf<ActionData<Actions["rename"]>>().toEqualTypeOf<never>();
  });

  it("take the schema's input from code, with the workspace, or a form", () => {
    expectTypeOf<ActionInput<Actions["saveDraft"]>>().toEqualTypeOf<{ flowId: string; revision: number; note?: string | undefined } & { workspace: string }>();
    expectTypeOf<Actions["saveDraft"]>().parameter(1).toEqualTypeOf<FormData | ActionInput<Actions["saveDraft"]>>();
    expectTypeOf<Actions["remove"]>().toExtend<FormAction>();
    expectTypeOf<Actions["preview"]>().returns.resolves.toEqualTypeOf<ActionState<{ count: number; sample: string[] }>>();
  });

  it("declare form coercions only for fields the schema has", () => {
    expectTypeOf<Parameters<typeof formFields<typeof schema>>[1]>().toEqualTypeOf<{ flowId?: FormField; revision?: FormField; note?: FormField }>();
  });
});
