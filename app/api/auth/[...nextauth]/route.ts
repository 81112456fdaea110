import type { NextRequest } from "next/server";
import { handlers } from "../../../../lib/auth/auth";
import { answerRefusals } from "../../../../lib/auth/sign-in-links";

export const { GET } = handlers;

// POST /api/auth/signin/email sends sign-in mail: a refused link is named on the error page.
export const POST = (req: NextRequest) => answerRefusals(req, () => handlers.POST(req));
