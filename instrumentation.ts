// Runs once when a Next server starts: a malformed or missing setting stops it with one line
// naming the variable. NEXT_RUNTIME is read here, not through lib/env, because Next replaces it
// at build time to keep Node-only code out of the edge bundle.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { assertServerReady } = await import("./lib/env");
    assertServerReady();
  }
}
