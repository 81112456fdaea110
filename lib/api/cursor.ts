import { z } from "zod";
import { storableTime } from "../storable";

/**
 * A keyset cursor as the list queries hand it out, "<time>_<id>": the last row's exact time
 * (Postgres's microseconds, as text) and its id. Anything else is refused here rather than by
 * Postgres, which cannot cast a malformed time or id.
 */
export const keysetCursor = z
  .string()
  .max(100)
  .transform((v, ctx) => {
    const cut = v.lastIndexOf("_");
    const at = v.slice(0, cut);
    const id = v.slice(cut + 1);
    const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(at) ? new Date(at) : undefined;
    // The time reads back as written (no 31 February) and fits Postgres.
    const valid = time !== undefined && storableTime(time) && time.toISOString().slice(0, 19) === at.slice(0, 19) && z.uuid().safeParse(id).success;
    if (!valid) {
      ctx.addIssue({ code: "custom", message: "cursor is not one this API returned" });
      return z.NEVER;
    }
    return { at, id };
  });
