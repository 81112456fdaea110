import { actionRoute } from "@/lib/server/auth/action";
import { previewSegmentAction } from "../actions";

/** POST: the segment builder's live count and sample. */
export const POST = actionRoute(previewSegmentAction);
