import http from "node:http";
import https from "node:https";

/**
 * The executor's calls to the app: a JSON POST over node:http with keep-alive connections.
 * Node 20's fetch (undici) spends several times the CPU per request on its web streams and
 * request objects, and a call per run is on the hot path of every flow.
 */

export type PostResult = { status: number; headers: Record<string, string>; text: string };

const agents = {
  "http:": new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
  "https:": new https.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
};

export function postJson(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const secure = url.protocol === "https:";
  if (!secure && url.protocol !== "http:") return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
  const request = secure ? https.request : http.request;
  const payload = Buffer.from(body, "utf8");
  return new Promise<PostResult>((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: agents[url.protocol as keyof typeof agents],
        headers: { ...headers, "content-length": String(payload.length) },
      },
      (res) => {
        res.on("close", () => clearTimeout(timer));
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
          resolve({ status: res.statusCode ?? 0, headers: out, text: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    // A timer cleared when the exchange ends (AbortSignal.timeout would leave one per call pending).
    const timer = setTimeout(() => req.destroy(new Error(`no reply within ${timeoutMs} ms`)), timeoutMs);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}
