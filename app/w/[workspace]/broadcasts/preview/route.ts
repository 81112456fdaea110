import { actionRoute } from "@/lib/server/auth/action";
import { previewAudienceAction } from "../actions";

/** POST: the broadcast editor's live recipient count and who is left out. */
export const POST = actionRoute(previewAudienceAction);
