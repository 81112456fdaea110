import type { IncomingMessage } from "node:http";

/** A request body over its limit. `message` names the limit ("body is larger than 32 KB"). */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`body is larger than ${limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)} MB` : `${Math.round(limit / 1024)} KB`}`);
  }
}

/**
 * Reads a request body of at most `limit` bytes, for the plain node:http servers (the tracking
 * ingest and the local executor) that run it on every request. A declared Content-Length over the
 * limit is refused before anything is read. On overflow, `drain` reads the rest away unkept, so
 * the connection stays usable for the error answer (and for the next request on it); `destroy`
 * closes the connection at once, so a client streaming a huge body costs no more than the limit.
 * Listeners rather than `for await`: this is on every request's path.
 */
export function readBody(req: IncomingMessage, limit: number, onOverflow: "drain" | "destroy" = "drain"): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      req.resume();
      return reject(new BodyTooLargeError(limit));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) return void chunks.push(c);
      chunks.length = 0;
      req.off("data", onData);
      reject(new BodyTooLargeError(limit));
      if (onOverflow === "destroy") req.destroy();
      else req.resume();
    };
    req.on("data", onData);
    req.on("error", reject);
    req.on("end", () => {
      if (size <= limit) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  });
}
