import { transitionRoute } from "@/lib/server/broadcasts/api";

/** POST: pauses the broadcast (409 when its status does not allow it). */
export const POST = transitionRoute("pause");
