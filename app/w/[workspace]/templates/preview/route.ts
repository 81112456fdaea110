import { actionRoute } from "@/lib/server/auth/action";
import { previewTemplateAction } from "../actions";

/** POST: the template editor's live preview (the draft rendered for a picked contact). */
export const POST = actionRoute(previewTemplateAction);
