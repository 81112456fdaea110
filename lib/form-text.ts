/**
 * A form field's text: the string as sent; a file, a missing field or anything else reads as "".
 * (`String(value)` would turn a file into "[object File]" and store that.)
 */
export function fieldText(value: unknown): string {
  return typeof value === "string" ? value : "";
}
