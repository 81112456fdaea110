import { describe, expect, it } from "vitest";
import { callWebhook } from "./webhook-call";
import { checkWebhookRoute, webhookTestRoute, WebhookRouteRefused, type WebhookTestRoute } from "./webhook-test-route";

const req = (url: string) => ({ url, method: "POST", headers: {}, body: "{}" });

describe("the webhook test route (tests only)", () => {
  it("cannot be made in production", () => {
    expect(() => webhookTestRoute({ hosts: ["hooks.example.com"], port: 1 }, "production")).toThrow(WebhookRouteRefused);
    expect(() => webhookTestRoute({ hosts: ["hooks.example.com"], port: 1 }, "test")).not.toThrow();
  });

  it("is refused by the flow functions in production, and a hand-made one everywhere", () => {
    const route = webhookTestRoute({ hosts: ["hooks.example.com"], port: 1 }, "test");
    expect(() => checkWebhookRoute(route, "production")).toThrow(/refused in production/);
    expect(() => checkWebhookRoute(route, "test")).not.toThrow();
    expect(() => checkWebhookRoute(undefined, "production")).not.toThrow();
    const forged: WebhookTestRoute = { hosts: [], resolve: route.resolve, agent: route.agent };
    expect(() => checkWebhookRoute(forged, "development")).toThrow(/webhookTestRoute/);
  });

  it("resolves only the hosts on its allow-list", async () => {
    const route = webhookTestRoute({ hosts: ["Hooks.Example.com"] }, "test");
    await expect(route.resolve("hooks.example.com")).resolves.toEqual([{ address: "93.184.216.34", family: 4 }]);
    await expect(route.resolve("api.example.net")).rejects.toThrow(/not on the test allow-list/);
    expect(route.agent).toBeUndefined();
  });

  it("leaves the SSRF guard in place: loopback URLs and private answers are still refused before connecting", async () => {
    let connects = 0;
    const route = webhookTestRoute({ hosts: ["hooks.example.com"], port: 1 }, "test");
    Object.assign(route.agent!, {
      createConnection: () => {
        connects++;
        throw new Error("must not connect");
      },
    });
    for (const url of ["http://127.0.0.1:1/x", "http://localhost:1/x", "http://[::1]:1/x"]) {
      expect((await callWebhook(req(url), route.resolve, 1_000, route.agent)).ok).toBe(false);
    }
    const pinnedPrivate = webhookTestRoute({ hosts: ["hooks.example.com"], address: "127.0.0.1" }, "test");
    expect(await callWebhook(req("http://hooks.example.com/x"), pinnedPrivate.resolve, 1_000, route.agent)).toEqual({
      ok: false,
      retry: false,
      detail: expect.stringContaining("private or reserved address (127.0.0.1)"),
    });
    const elsewhere = await callWebhook(req("http://api.example.net/x"), route.resolve, 1_000, route.agent);
    expect(elsewhere).toEqual({ ok: false, retry: true, detail: expect.stringContaining("not on the test allow-list") });
    expect(connects).toBe(0);
  });
});
