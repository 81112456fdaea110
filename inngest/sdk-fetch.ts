import http from "node:http";
import https from "node:https";

/**
 * The `fetch` the Inngest client is given (its documented `fetch` option) for its own requests:
 * event sends, step checkpoints (one per step with checkpointing on), sync. Plain JSON requests
 * go over node:http(s) with keep-alive connections and come back as a standard Response; Node
 * 20's built-in fetch costs several times the CPU per request, which with a checkpoint per step
 * is a large share of a flow's cost. Anything else — a Request object, a stream or form body, a
 * redirect to follow — is handed to the built-in fetch unchanged.
 */

const agents = {
  "http:": new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
  "https:": new https.Agent({ keepAlive: true, keepAliveMsecs: 10_000 }),
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export const sdkFetch: typeof fetch = async (input, init) => {
  const body = init?.body;
  const plainBody = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
  const url = typeof input === "string" ? URL.canParse(input) ? new URL(input) : undefined : input instanceof URL ? input : undefined;
  if (!url || !plainBody || (url.protocol !== "http:" && url.protocol !== "https:")) return fetch(input, init);

  const headers: Record<string, string> = {};
  const given = init?.headers;
  if (given instanceof Headers || Array.isArray(given)) new Headers(given).forEach((v, k) => (headers[k] = v));
  else if (given) for (const [k, v] of Object.entries(given)) if (v !== undefined) headers[k.toLowerCase()] = String(v);
  const payload = body === undefined || body === null ? undefined : typeof body === "string" ? Buffer.from(body, "utf8") : body;
  if (payload) headers["content-length"] = String(payload.byteLength);

  // As fetch does: an aborted request rejects with the signal's reason, any other failure with
  // TypeError("fetch failed") (which the SDK recognises as a plain network failure).
  const failure = (err: Error): unknown => (init?.signal?.aborted ? init.signal.reason : new TypeError("fetch failed", { cause: err }));
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = (url.protocol === "https:" ? https.request : http.request)(
      url,
      { method: init?.method ?? "GET", headers, agent: agents[url.protocol as keyof typeof agents], signal: init?.signal ?? undefined },
      resolve,
    );
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- fetch rejects with the signal's reason as given, Error or not
    req.on("error", (err) => reject(failure(err)));
    req.end(payload);
  });
  const status = res.statusCode ?? 0;
  if (REDIRECTS.has(status) && init?.redirect !== "manual") {
    res.resume();
    return fetch(input, init);
  }
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    res.on("data", (c: Buffer) => chunks.push(c));
    res.on("end", resolve);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as above: the signal's reason as given
    res.on("error", (err) => reject(failure(err)));
  });
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) out.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
  const empty = status === 204 || status === 205 || status === 304 || init?.method === "HEAD";
  return new Response(empty ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? "", headers: out });
};
