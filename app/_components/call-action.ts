import type { ActionState } from "@/lib/server/auth/action";

/**
 * Calls a workspace server action from code with its typed input (`workspace` included), as
 * `callAction(saveDraftAction, { workspace, flowId, revision, graph, force })`; the answer's
 * `data` is typed by the action (lib/server/auth/action). A call that never answers (the
 * network, a restarting server) comes back as a failed answer saying so, not as a throw.
 */
export async function callAction<I, T>(action: (prev: ActionState<T> | undefined, input: I) => Promise<ActionState<T>>, input: Exclude<I, FormData>): Promise<ActionState<T>> {
  try {
    return await action(undefined, input);
  } catch {
    return { ok: false, message: "The server could not be reached: your changes are kept here, try again." };
  }
}
