/**
 * A nesting limit for JSON taken from outside (tracking calls, REST bodies). JSON.parse reads
 * any depth, but every recursive walk of the result (JSON.stringify when it is stored as jsonb,
 * validation) overflows the stack somewhere under 10,000 levels: the request then fails as a
 * server error, which Segment clients retry for ever. Pure, nothing from the project.
 */

/** Levels of objects and arrays a field may nest: `{}` or `[]` is one level, a scalar none. */
export const MAX_JSON_DEPTH = 32;

/** Whether `value` nests objects and arrays more than `levels` deep; never descends further than that. */
function deeperThan(value: unknown, levels: number): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (levels === 0) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (deeperThan(v, levels - 1)) return true;
    return false;
  }
  for (const k in value) if (deeperThan((value as Record<string, unknown>)[k], levels - 1)) return true;
  return false;
}

/** Whether a value nests objects and arrays more than MAX_JSON_DEPTH levels deep. */
export const nestsTooDeep = (value: unknown) => deeperThan(value, MAX_JSON_DEPTH);

export const depthMessage = (field: string) => `${field}: objects and arrays may nest at most ${MAX_JSON_DEPTH} levels deep`;

/**
 * The first field of a parsed JSON object that nests too deep ("body" when the value is not an
 * object and is itself too deep), or undefined when none does.
 */
export function tooDeepField(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return nestsTooDeep(body) ? "body" : undefined;
  for (const k in body) if (nestsTooDeep((body as Record<string, unknown>)[k])) return k;
  return undefined;
}
