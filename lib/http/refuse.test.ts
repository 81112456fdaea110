import { describe, expect, it } from "vitest";
import { ACTION_BODY_LIMIT, brokenServerAction, unreadableUrl } from "./refuse";

describe("unreadableUrl", () => {
  it.each([
    ["/f/%zz", "path"],
    ["/r/%e0%a4%a", "path"],
    ["/u/%ed%a0%80", "path"],
    ["/w/acme/contacts/a%00b", "path"],
    ["/w/acme/contacts?q=%00", "q"],
    ["/api/v1/contacts?limit=1&search=x%00", "search"],
  ])("refuses %s, naming %s", (path, field) => {
    expect(unreadableUrl(new URL(path, "http://localhost"))).toMatchObject({ status: 400, field });
  });

  it.each(["/f/spring-sale", "/w/acme/contacts?q=%25zz&after=x", "/u/tok%2500en", "/sign-in?callbackUrl=%2Fw%2Facme", "/f/%F0%9F%98%80"])("lets %s through", (path) => {
    expect(unreadableUrl(new URL(path, "http://localhost"))).toBeUndefined();
  });
});

const post = (path: string, headers: Record<string, string>, body?: string | Uint8Array) =>
  [new Request(`http://localhost:3000${path}`, { method: "POST", headers: { host: "localhost:3000", ...headers }, body: body as BodyInit }), path] as const;

describe("brokenServerAction", () => {
  const form = (boundary: string, parts: [string, string][]) =>
    `${parts.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("")}--${boundary}--\r\n`;

  it("refuses a multipart body that does not parse", async () => {
    expect(await brokenServerAction(...post("/sign-in", { "content-type": "multipart/form-data; boundary=zzz" }, "--nope\r\n\r\n"))).toMatchObject({ status: 400, field: "body" });
    expect(await brokenServerAction(...post("/", { "content-type": "multipart/form-data" }, "x"))).toMatchObject({ status: 400 });
  });

  it("refuses React's encoded arguments that are not JSON, naming the part", async () => {
    const body = form("----b", [["$ACTION_REF_1", ""], ["$ACTION_1:0", '{"id":"x","bound":'], ["email", "a@b.co"]]);
    expect(await brokenServerAction(...post("/sign-in", { "content-type": "multipart/form-data; boundary=----b" }, body))).toMatchObject({ status: 400, field: "$ACTION_1:0" });
    expect(await brokenServerAction(...post("/sign-in", { "next-action": "7f00", "content-type": "text/plain" }, "No number after -"))).toMatchObject({ status: 400, field: "body" });
  });

  it("refuses arguments React would choke on: not a list, nested too deep, missing, or a descriptor that is not an object", async () => {
    const call = (body: string) => brokenServerAction(...post("/sign-in", { "next-action": "7f00", "content-type": "text/plain" }, body));
    expect(await call("true")).toMatchObject({ status: 400, message: "body: a server action's arguments are a JSON list" });
    expect(await call(`${"[".repeat(20_000)}${"]".repeat(20_000)}`)).toMatchObject({ status: 400, message: expect.stringContaining("nested deeper") });
    // Brackets inside strings are text, not nesting.
    expect(await call(JSON.stringify(["[".repeat(500)]))).toBeUndefined();
    const multipart = (parts: [string, string][], headers: Record<string, string> = { "next-action": "7f00" }) =>
      brokenServerAction(...post("/sign-in", { ...headers, "content-type": "multipart/form-data; boundary=----b" }, form("----b", parts)));
    expect(await multipart([["_1_email", "a@b.co"]])).toMatchObject({ status: 400, field: "0" });
    expect(await multipart([["$ACTION_REF_1", ""], ["$ACTION_1:0", "[1]"]], {})).toMatchObject({ status: 400, field: "$ACTION_1:0" });
  });

  it("refuses a foreign or unreadable Origin, as Next would, with a 403", async () => {
    const body = form("----b", [["email", "a@b.co"]]);
    for (const origin of ["https://evil.example", "null", "http://", ""]) {
      expect(await brokenServerAction(...post("/sign-in", { origin, "content-type": "multipart/form-data; boundary=----b" }, body)), origin).toMatchObject({ status: 403, field: "origin" });
    }
    expect(await brokenServerAction(...post("/sign-in", { origin: "http://localhost:3000", "content-type": "multipart/form-data; boundary=----b" }, body))).toBeUndefined();
    expect(await brokenServerAction(...post("/sign-in", { origin: "https://app.example", "x-forwarded-host": "app.example", "content-type": "multipart/form-data; boundary=----b" }, body))).toBeUndefined();
  });

  it("refuses a body over Next's action limit with a 413", async () => {
    const big = new Uint8Array(ACTION_BODY_LIMIT + 1).fill(0x61);
    expect(await brokenServerAction(...post("/sign-in", { "next-action": "7f00", "content-type": "text/plain" }, big))).toMatchObject({ status: 413 });
  });

  it("leaves alone what Next does not decode as an action: route handlers, other methods, plain posts", async () => {
    const junk = "--nope\r\n\r\n";
    const multipart = { "content-type": "multipart/form-data; boundary=zzz", origin: "https://landing.example" };
    expect(await brokenServerAction(...post("/f/spring-sale", multipart, junk))).toBeUndefined();
    expect(await brokenServerAction(...post("/u/some-token", multipart, junk))).toBeUndefined();
    expect(await brokenServerAction(...post("/w/acme/templates/preview", multipart, junk))).toBeUndefined();
    expect(await brokenServerAction(...post("/api/v1/contacts", { ...multipart, "next-action": "x" }, junk))).toBeUndefined();
    expect(await brokenServerAction(...post("/sign-in", { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" }, "a=%"))).toBeUndefined();
    const put = new Request("http://localhost:3000/sign-in", { method: "PUT", headers: multipart, body: junk });
    expect(await brokenServerAction(put, "/sign-in")).toBeUndefined();
    // A well-formed call of a real shape passes.
    const call = form("----b", [["_1_email", "a@b.co"], ["0", '["$undefined","$K1"]']]);
    expect(await brokenServerAction(...post("/sign-in", { "next-action": "7f00", "content-type": "multipart/form-data; boundary=----b" }, call))).toBeUndefined();
  });
});
