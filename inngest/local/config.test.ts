import { describe, expect, it } from "vitest";
import { concurrencyRules, parseFunctionConfigs } from "./config";

const fn = (extra: Record<string, unknown>) => ({
  id: "app-f",
  name: "f",
  triggers: [{ cron: "* * * * *" }],
  steps: { step: { id: "step", name: "step", runtime: { type: "http", url: "http://127.0.0.1:3000/api/inngest?fnId=app-f&stepId=step" } } },
  ...extra,
});

describe("function configs", () => {
  it("reads a concurrency limit given as a number, one object or a list", () => {
    for (const [concurrency, expected] of [
      [2, [{ limit: 2, scope: "fn" }]],
      [{ limit: 1 }, [{ limit: 1, key: undefined, scope: "fn" }]],
      [[{ limit: 3, key: "event.data.id", scope: "env" }], [{ limit: 3, key: "event.data.id", scope: "env" }]],
    ] as const) {
      const [parsed] = parseFunctionConfigs([fn({ concurrency })]);
      expect(concurrencyRules(parsed!)).toEqual(expected);
    }
  });

  it("refuses a malformed concurrency rule, naming the function", () => {
    expect(() => parseFunctionConfigs([fn({ concurrency: { limit: "one" } })])).toThrow(/app-f/);
  });
});
