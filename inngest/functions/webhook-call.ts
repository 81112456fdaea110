import { lookup as dnsLookup } from "node:dns/promises";
import http, { type Agent } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { checkWebhookUrl, isPrivateAddress } from "@/lib/flows/webhook-url";

export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export type WebhookResult = { ok: true; status: number } | { ok: false; retry: boolean; detail: string };

/**
 * Calls a flow's webhook without letting it reach our own network: the URL is screened as
 * written, the host is resolved once and every address checked with isPrivateAddress, and the
 * connection goes to that vetted address (so a second DNS answer cannot rebind it). Redirects
 * are not followed — a 3xx is a failure — because a redirect could point anywhere.
 */
export async function callWebhook(
  req: { url: string; method: string; headers: Record<string, string>; body: string },
  resolve: Resolver = systemResolver,
  timeoutMs = 10_000,
  agent?: Agent,
): Promise<WebhookResult> {
  const problem = checkWebhookUrl(req.url);
  if (problem) return { ok: false, retry: false, detail: `Refused: the URL ${problem}` };
  const url = new URL(req.url);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: { address: string; family: number }[];
  try {
    addresses = /^[\d.]+$/.test(host) || host.includes(":") ? [{ address: host, family: host.includes(":") ? 6 : 4 }] : await resolve(host);
  } catch (err) {
    return { ok: false, retry: true, detail: `Could not resolve ${host}: ${(err as Error).message}` };
  }
  if (addresses.length === 0) return { ok: false, retry: true, detail: `${host} has no address` };
  const blocked = addresses.find((a) => isPrivateAddress(a.address));
  if (blocked) return { ok: false, retry: false, detail: `Refused: ${host} resolves to a private or reserved address (${blocked.address})` };
  const target = addresses[0]!;
  const pinned: LookupFunction = (_hostname, options, callback) => {
    // Node's LookupFunction types its callback for one address only; with `all` it takes a list.
    if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise<WebhookResult>((done) => {
    const r = client.request(
      url,
      {
        method: req.method,
        headers: { "content-type": "application/json", "user-agent": "Tillit-Webhook/1", ...req.headers },
        lookup: pinned,
        timeout: timeoutMs,
        ...(agent && url.protocol === "http:" ? { agent } : {}),
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) done({ ok: true, status });
        else if (status >= 300 && status < 400) done({ ok: false, retry: false, detail: `Refused to follow a redirect (${status})` });
        else done({ ok: false, retry: status === 429 || status >= 500, detail: `The endpoint answered ${status}` });
      },
    );
    r.on("timeout", () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on("error", (err) => done({ ok: false, retry: true, detail: `Request failed: ${err.message}` }));
    r.end(req.body);
  });
}
