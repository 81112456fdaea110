import { Agent } from "node:http";
import { describe, expect, it } from "vitest";
import { callWebhook } from "./webhook-call";

const req = (url: string) => ({ url, method: "POST", headers: {}, body: "{}" });

describe("callWebhook (SSRF guard at run time)", () => {
  it("refuses a public name that resolves to a private or loopback address, before connecting", async () => {
    let asked = "";
    const r = await callWebhook(req("https://hooks.example.com/x"), (host) => {
      asked = host;
      return Promise.resolve([
        { address: "93.184.216.34", family: 4 },
        { address: "127.0.0.1", family: 4 },
      ]);
    });
    expect(asked).toBe("hooks.example.com");
    expect(r).toEqual({ ok: false, retry: false, detail: expect.stringContaining("private or reserved address (127.0.0.1)") });
    const metadata = await callWebhook(req("https://hooks.example.com/x"), () => Promise.resolve([{ address: "169.254.169.254", family: 4 }]));
    expect(metadata.ok).toBe(false);
    const v6 = await callWebhook(req("https://hooks.example.com/x"), () => Promise.resolve([{ address: "::ffff:10.0.0.1", family: 6 }]));
    expect(v6.ok).toBe(false);
  });
  it("refuses URLs the compile-time screen refuses, without resolving them", async () => {
    const never = () => Promise.reject(new Error("must not resolve"));
    expect((await callWebhook(req("http://localhost:8080/"), never)).ok).toBe(false);
    expect((await callWebhook(req("http://[::1]/"), never)).ok).toBe(false);
    expect((await callWebhook(req("http://10.1.2.3/"), never)).ok).toBe(false);
  });
  it("screens the resolved address before a given agent is ever asked to connect", async () => {
    let connects = 0;
    const agent = new Agent();
    Object.assign(agent, {
      createConnection: () => {
        connects++;
        throw new Error("must not connect");
      },
    });
    const r = await callWebhook(req("http://hooks.example.com/x"), () => Promise.resolve([{ address: "10.0.0.7", family: 4 }]), 1_000, agent);
    expect(r).toEqual({ ok: false, retry: false, detail: expect.stringContaining("private or reserved address (10.0.0.7)") });
    expect(connects).toBe(0);
  });
});
