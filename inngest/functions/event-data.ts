import { NonRetriableError } from "inngest";
import type { z } from "zod";

/** An event declared in inngest/events.ts: its name and the schema of its payload. */
type Declared = { name: string; schema: z.ZodType };

/**
 * The payload of the event a function was given, parsed with the schema of its declared type
 * (one of `declared`, picked by name): what the handler reads, typed and without unknown keys. A
 * payload that does not fit fails the run at once with a NonRetriableError naming the field (a
 * retry would read the same payload). The SDK already checks a trigger event against its schema
 * before the handler runs (its EventValidationError is non-retriable too); this parse holds where
 * that check does not: routeEvent called directly (tests, benchmarks) and events a function is
 * handed by step.waitForEvent.
 */
export function eventData<T extends Declared[]>(event: { name: string; data: unknown }, ...declared: T): z.output<T[number]["schema"]> {
  const type = declared.find((d) => d.name === event.name);
  if (!type) throw new NonRetriableError(`${event.name}: not an event this function takes (${declared.map((d) => d.name).join(", ")})`);
  const parsed = type.schema.safeParse(event.data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NonRetriableError(`${event.name}: ${["data", ...issue.path.map(String)].join(".")}: ${issue.message}`);
  }
  // Parsed by the schema of one of `declared`: its output is one of theirs (TypeScript loses which
  // through the array's element type).
  return parsed.data as z.output<T[number]["schema"]>;
}
