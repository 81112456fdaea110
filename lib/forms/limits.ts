import { RateLimiter } from "./rate-limit";

/**
 * The public form endpoint's limits, per server process. Per IP: a burst of 20 submissions, then
 * 10 a minute — an office behind one NAT signing up together fits, a script does not. Per
 * address (per workspace): 3 at once, then one every 20 minutes, so nobody can flood someone
 * else's inbox with confirmation mail.
 */
export const perIp = new RateLimiter({ burst: 20, perMinute: 10 });
export const perAddress = new RateLimiter({ burst: 3, perMinute: 1 / 20 });

/** The header the server stamps with the socket's peer address (instrumentation.ts). */
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
