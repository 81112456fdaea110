import { parse, type ParseResult } from "@marcbachmann/cel-js";

/**
 * CEL as Inngest's expressions need it. JSON numbers become CEL doubles in cel-js, and then
 * `event.data.seats + 1` (double + int) throws; whole numbers are converted to BigInt first.
 */

const compiled = new Map<string, ParseResult | Error>();

function compile(expr: string): ParseResult {
  let c = compiled.get(expr);
  if (c === undefined) {
    try {
      c = parse(expr);
    } catch (err) {
      c = err as Error;
    }
    if (compiled.size > 5000) compiled.clear();
    compiled.set(expr, c);
  }
  if (c instanceof Error) throw c;
  return c;
}

/** Throws when the expression does not parse: used at sync to refuse bad configs early. */
export function checkExpression(expr: string): void {
  compile(expr);
}

export function toCel(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

export type CelVars = { event?: unknown; async?: unknown };

function bind(vars: CelVars): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  if (vars.event !== undefined) ctx.event = toCel(vars.event);
  if (vars.async !== undefined) ctx.async = toCel(vars.async);
  return ctx;
}

/** A filter: an evaluation error (missing key, type mismatch) is no match, as Inngest treats it. */
export function matches(expr: string | undefined | null, vars: CelVars): boolean {
  if (expr === undefined || expr === null || expr.trim() === "") return true;
  try {
    return compile(expr)(bind(vars)) === true;
  } catch {
    return false;
  }
}

/** A key expression's value as a canonical string; a failed evaluation is the shared empty key. */
export function keyOf(expr: string, vars: CelVars): string {
  try {
    const v: unknown = compile(expr)(bind(vars));
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x)) ?? "";
  } catch {
    return "";
  }
}
