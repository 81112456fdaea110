import "server-only";
import { requireDevMailbox } from "../mailbox/gate";

/**
 * The benchmark pages are dev-only, like the dev mailbox: they exist only where the dev routes
 * are switched on (TILLIT_DEV_MAILBOX, as in `npm run dev` and the test and bench runners).
 */
export const requireDevRoutes = requireDevMailbox;
