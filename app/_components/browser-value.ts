import { useSyncExternalStore } from "react";

const noSubscription = () => () => {};

/**
 * A value only the browser knows (that the page has hydrated, the user's time zone): `server`
 * while rendering on the server and hydrating, `browser()` from then on. `browser` must return the
 * same value each call (a primitive). Read without an effect, so no extra render pass.
 */
export function useBrowserValue<T>(browser: () => T, server: T): T {
  return useSyncExternalStore(noSubscription, browser, () => server);
}
