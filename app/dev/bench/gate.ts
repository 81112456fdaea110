import "server-only";

/**
 * The benchmark pages are dev-only, like the dev mailbox: they exist only where the dev routes
 * are switched on (TILLIT_DEV_MAILBOX, as in `npm run dev` and the test and bench runners). They
 * show no mail, so they need no sign-in.
 */
export { requireDevRoutes } from "../mailbox/gate";
