import { describe, expect, it } from "vitest";
import { isDatabaseUnavailable, unavailableReason } from "./unavailable";

const coded = (code: string, message = "x") => Object.assign(new Error(message), { code });
/** As drizzle-orm throws a failed query: the driver's error as the cause. */
const wrapped = (cause: unknown) => Object.assign(new Error("Failed query: select 1\nparams: "), { cause });

describe("isDatabaseUnavailable", () => {
  const unavailable = [
    ["connection refused", "ECONNREFUSED"],
    ["connection reset", "ECONNRESET"],
    ["a broken pipe", "EPIPE"],
    ["a network timeout", "ETIMEDOUT"],
    ["an unreachable host", "EHOSTUNREACH"],
    ["a host name that does not resolve now", "EAI_AGAIN"],
    ["postgres.js: connection closed under a query", "CONNECTION_CLOSED"],
    ["postgres.js: pool ended", "CONNECTION_ENDED"],
    ["postgres.js: connection destroyed", "CONNECTION_DESTROYED"],
    ["postgres.js: connect timed out", "CONNECT_TIMEOUT"],
    ["admin shutdown", "57P01"],
    ["crash shutdown", "57P02"],
    ["cannot connect now", "57P03"],
    ["too many connections", "53300"],
    ["connection failure", "08006"],
    ["connection does not exist", "08003"],
    ["server rejected the connection", "08004"],
  ];
  const failed = [
    ["a unique violation", "23505"],
    ["a foreign-key violation", "23503"],
    ["a syntax error", "42601"],
    ["a statement timeout (the database is up)", "57014"],
    ["a serialization failure", "40001"],
    ["a protocol violation", "08P01"],
    ["a file that is missing", "ENOENT"],
  ];
  it.each([...unavailable.map(([what, code]) => [what, code, true] as const), ...failed.map(([what, code]) => [what, code, false] as const)])(
    "%s (%s): %s, bare and wrapped by drizzle",
    (_what, code, expected) => {
      expect(isDatabaseUnavailable(coded(code!))).toBe(expected);
      expect(isDatabaseUnavailable(wrapped(coded(code!)))).toBe(expected);
    },
  );

  it("looks inside Node's AggregateError of one failed connect per address", () => {
    const both = Object.assign(new AggregateError([coded("ECONNREFUSED"), coded("ECONNREFUSED")], "connect failed"), {});
    expect(isDatabaseUnavailable(both)).toBe(true);
    expect(isDatabaseUnavailable(wrapped(both))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([coded("23505")], "x"))).toBe(false);
  });

  it("says no to what is not an error, and to errors without a code", () => {
    for (const v of [undefined, null, 0, "ECONNREFUSED", { code: 57 }, new Error("connect ECONNREFUSED 127.0.0.1:5432"), new TypeError("x is undefined")])
      expect(isDatabaseUnavailable(v)).toBe(false);
  });

  it("stops on a cause chain that loops", () => {
    const a: { code: string; cause?: unknown } = { code: "23505" };
    a.cause = a;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });

  it("names the error that decided it, for the log", () => {
    expect(unavailableReason(wrapped(coded("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.5:5432")))).toBe("ECONNREFUSED: connect ECONNREFUSED 10.0.0.5:5432");
    expect(unavailableReason(new AggregateError([coded("23505"), coded("ETIMEDOUT", "connect ETIMEDOUT")], "x"))).toBe("ETIMEDOUT: connect ETIMEDOUT");
    expect(unavailableReason(wrapped(coded("23505")))).toBeUndefined();
  });
});
