/**
 * Input Postgres cannot store, found at the boundaries before it reaches a query: text (or jsonb)
 * holding the NUL character or half of a UTF-16 surrogate pair, and times outside the years
 * 0001–9999. Postgres refuses such values with an error mid-request (text: "invalid byte sequence",
 * jsonb: "unsupported Unicode escape", timestamptz: "out of range"), which would be a 5xx; every
 * boundary refuses them first with a 4xx naming the field. Pure: no I/O, nothing from the project.
 */

export const UNSTORABLE_MESSAGE = "must not contain the NUL character (\\u0000) or half of a surrogate pair (\\ud800–\\udfff)";

const unstorableChar = /\0|\p{Cs}/u;

/** Whether Postgres text and jsonb refuse this string (NUL; a lone surrogate, which jsonb refuses). */
export const unstorableText = (s: string): boolean => unstorableChar.test(s);

/** A copy Postgres can store, each offending character replaced by U+FFFD (for keeping what was refused). */
export const storableCopy = (s: string): string => s.replace(/\0|\p{Cs}/gu, "\uFFFD");

/**
 * Cheap first test on JSON text: escapes are the only way such characters reach a JSON document,
 * so only text passing this needs its parsed value searched.
 */
export const mayHoldUnstorable = (json: string): boolean => /\\u(0000|[dD][89a-fA-F])/.test(json);

/** A key as it may appear in an answer: the offending characters written as escapes. */
const printable = (key: string) =>
  key.replace(/\0|\p{Cs}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * The path ("properties.items.2.name") of the first string, key or value, in `value` that Postgres
 * cannot store: "" for `value` itself, undefined when there is none. Iterative, so a deeply nested
 * document costs time, never the stack.
 */
export function unstorablePath(value: unknown): string | undefined {
  // Each entry links to its parent: the path is spelled out only for the one that is found.
  type At = { key: string; parent: At | undefined } | undefined;
  const spell = (at: At, last?: string) => {
    const keys = last === undefined ? [] : [last];
    for (let a = at; a; a = a.parent) keys.push(a.key);
    return keys.reverse().join(".");
  };
  const stack: [unknown, At][] = [[value, undefined]];
  while (stack.length > 0) {
    const [v, at] = stack.pop()!;
    if (typeof v === "string") {
      if (unstorableChar.test(v)) return spell(at);
      continue;
    }
    if (typeof v !== "object" || v === null) continue;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], { key: String(i), parent: at }]);
      continue;
    }
    const entries = Object.entries(v);
    for (const [k] of entries) if (unstorableChar.test(k)) return spell(at, printable(k));
    for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], { key: entries[i]![0], parent: at }]);
  }
  return undefined;
}

/**
 * The name of the first field of a form or query string (name → value pairs, names may repeat)
 * whose name or value Postgres cannot store. Files are not text and are skipped.
 */
export function unstorableField(entries: Iterable<[string, unknown]>): string | undefined {
  for (const [k, v] of entries) {
    if (unstorableChar.test(k)) return printable(k);
    if (unstorablePath(v) !== undefined) return k;
  }
  return undefined;
}

/**
 * Whether a time fits a Postgres timestamp as the app writes it (an ISO string): years 0001 to
 * 9999 in UTC. JavaScript dates reach ±270,000 years, and its "+010000-…" and "0000-…" forms are
 * not ones Postgres reads.
 */
export function storableTime(d: Date): boolean {
  const y = d.getUTCFullYear();
  return y >= 1 && y <= 9999;
}

export const UNSTORABLE_TIME_MESSAGE = "must be a time between the years 0001 and 9999";
