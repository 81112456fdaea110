import { isIP } from "node:net";
import { env } from "./env";

/**
 * Who is on the other end of a public request: the one place the app reads a client's address
 * (forms, confirmations, unsubscribes, open and click tracking, sign-in rate limits). The peer
 * address is what the socket saw; a X-Forwarded-For is believed only hop by hop from the right
 * while each hop is a configured proxy (TRUSTED_PROXIES), so a client cannot choose its own address
 * (and its own rate-limit bucket) by sending one.
 */

/** The header the server stamps with the socket's peer address (installPeerHeader, from instrumentation.ts). */
export const PEER_HEADER = "x-tillit-peer";

type Emitter = { emit: (event: string | symbol, ...args: unknown[]) => boolean };

/**
 * Next does not hand route handlers the socket, and fills X-Forwarded-For only when the client
 * sent none, so a client-sent header would hide the real peer. This stamps every incoming request
 * with the peer address (overwriting anything the client sent under that name) before Next sees it.
 */
export function installPeerHeader(proto: Emitter & { __tillitPeer?: boolean }) {
  if (proto.__tillitPeer) return;
  const emit = proto.emit;
  proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const req = args[0] as { headers?: Record<string, unknown>; socket?: { remoteAddress?: string } } | undefined;
      if (req?.headers) req.headers[PEER_HEADER] = req.socket?.remoteAddress ?? "";
    }
    return emit.call(this, event, ...args);
  };
  proto.__tillitPeer = true;
}

/** The visitor's address for a request the app answers (see above); `trusted`: TRUSTED_PROXIES. */
export function requestIp(req: Request, trusted: readonly string[] = env().TRUSTED_PROXIES): string {
  const h = req.headers;
  const forwardedFor = h.get("x-forwarded-for");
  // Without the peer stamp (another server in front of Next's handler), Next's own
  // X-Forwarded-For entry is the best there is.
  const peer = h.get(PEER_HEADER) ?? forwardedFor?.split(",").at(-1)?.trim() ?? null;
  return clientIp({ peer, forwardedFor, trusted });
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function ipv6ToBigInt(ip: string): bigint | undefined {
  let s = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = ipv4ToInt(v4[1]!);
    if (n === undefined) return undefined;
    s = `${s.slice(0, -v4[1]!.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** IPv4-mapped IPv6 (::ffff:10.0.0.1) reads as the IPv4 address. */
export function normalizeIp(ip: string): string {
  const t = ip.trim().replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(t);
  return (mapped ? mapped[1]! : t).toLowerCase();
}

/** Does `ip` fall in `range` (an address or a CIDR)? */
export function ipInRange(ip: string, range: string): boolean {
  const a = normalizeIp(ip);
  const [base, bitsText] = range.split("/");
  const b = normalizeIp(base ?? "");
  const family = isIP(a);
  if (family === 0 || family !== isIP(b)) return false;
  if (family === 4) {
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (!(bits >= 0 && bits <= 32)) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((ipv4ToInt(a)! & mask) >>> 0) === ((ipv4ToInt(b)! & mask) >>> 0);
  }
  const bits = bitsText === undefined ? 128 : Number(bitsText);
  if (!(bits >= 0 && bits <= 128)) return false;
  const x = ipv6ToBigInt(a);
  const y = ipv6ToBigInt(b);
  if (x === undefined || y === undefined) return false;
  const shift = BigInt(128 - bits);
  return x >> shift === y >> shift;
}

export function clientIp(q: { peer: string | null | undefined; forwardedFor: string | null | undefined; trusted: readonly string[] }): string {
  const peer = q.peer ? normalizeIp(q.peer) : "unknown";
  const isTrusted = (ip: string) => q.trusted.some((r) => ipInRange(ip, r));
  if (!isTrusted(peer) || !q.forwardedFor) return peer;
  const hops = q.forwardedFor
    .split(",")
    .map((h) => normalizeIp(h))
    .filter((h) => h !== "");
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    // Garbage in the header ends the chain: the last address we could vouch for is the client.
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!isTrusted(hop)) return hop;
  }
  return client;
}
