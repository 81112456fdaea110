import type { ActionData, ActionInput, ActionState } from "@/lib/server/auth/action";

/**
 * Posts to one of the app's action routes (lib/server/auth/action `actionRoute`) for background
 * work such as live previews, typed by the action the route serves:
 * `postAction<typeof previewSegmentAction>(url, { workspace, definition }, signal)`. The input goes
 * as JSON (a form's FormData goes as it is). Resolves to the action's answer, or to a failed
 * answer saying what went wrong; undefined when `signal` aborted it (a newer request replaced it).
 */
export async function postAction<A>(url: string, input: ActionInput<A> | FormData, signal: AbortSignal): Promise<ActionState<ActionData<A>> | undefined> {
  const form = input instanceof FormData;
  const headers: Record<string, string> = form ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" };
  try {
    const res = await fetch(url, { method: "POST", body: form ? input : JSON.stringify(input), signal, headers });
    const type = res.headers.get("content-type") ?? "";
    if (!type.includes("application/json")) return { ok: false, message: res.redirected ? "Your session has ended: sign in again" : `The server answered ${res.status}: try again` };
    return (await res.json()) as ActionState<ActionData<A>>;
  } catch (err) {
    if (signal.aborted) return undefined;
    return { ok: false, message: `Could not reach the server (${(err as Error).message}): try again` };
  }
}
