import type { NodeConfig } from "@/lib/flows/catalog";
import { getPath } from "@/lib/flows/filters";

/**
 * The `if` of a wait-for-event step: same workspace and contact, the event name, and — when the
 * node correlates and the trigger supplied a string — the correlated property. Property filters
 * and non-string correlations are re-checked in code with lib/flows' waitForEventMatches after
 * the event arrives (the run waits again on a near miss), so CEL never decides alone what the
 * simulator decides with different code.
 */
export function waitExpression(
  config: NodeConfig<"wait-for-event">,
  scope: { workspaceId: string; contactId: string },
  trigger: Record<string, unknown>,
): string {
  const parts = [
    `async.data.workspaceId == ${lit(scope.workspaceId)}`,
    `async.data.contactId == ${lit(scope.contactId)}`,
    `async.data.name == ${lit(config.event)}`,
  ];
  if (config.correlate) {
    const expected = getPath(trigger, config.correlate.triggerProperty);
    if (typeof expected === "string") {
      const path = config.correlate.eventProperty.split(".").map((p) => `[${lit(p)}]`).join("");
      parts.push(`async.data.properties${path} == ${lit(expected)}`);
    }
  }
  return parts.join(" && ");
}

/** A CEL string literal: JSON's escapes are valid CEL escapes. */
function lit(s: string): string {
  return JSON.stringify(s);
}
