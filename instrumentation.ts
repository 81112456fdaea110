// Runs once when a Next server starts: a malformed or missing setting stops it with one line
// naming the variable. NEXT_RUNTIME is read here, not through lib/env, because Next replaces it
// at build time to keep Node-only code out of the edge bundle.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { assertServerReady } = await import("./lib/env");
    assertServerReady();
    // Public endpoints tell visitors apart by the socket's peer (and trusted proxies' headers).
    const http = await import("node:http");
    const { installPeerHeader } = await import("./lib/client-ip");
    installPeerHeader(http.Server.prototype as unknown as Parameters<typeof installPeerHeader>[0]);
  }
}
