/** What a workspace action answers (lib/auth/action's ActionState, as JSON). */
export type FormAnswer = {
  ok: boolean;
  message?: string;
  fieldErrors?: Record<string, string>;
  data?: Record<string, string>;
};

/**
 * Posts a form to one of the app's action routes (lib/auth/action `actionRoute`) for background
 * work such as live previews. Resolves to the action's answer, or to a failed answer saying what
 * went wrong; undefined when `signal` aborted it (a newer request replaced it).
 */
export async function postForm(url: string, form: FormData, signal: AbortSignal): Promise<FormAnswer | undefined> {
  try {
    const res = await fetch(url, { method: "POST", body: form, signal, headers: { accept: "application/json" } });
    const type = res.headers.get("content-type") ?? "";
    if (!type.includes("application/json")) return { ok: false, message: res.redirected ? "Your session has ended: sign in again" : `The server answered ${res.status}: try again` };
    return (await res.json()) as FormAnswer;
  } catch (err) {
    if (signal.aborted) return undefined;
    return { ok: false, message: `Could not reach the server (${(err as Error).message}): try again` };
  }
}
