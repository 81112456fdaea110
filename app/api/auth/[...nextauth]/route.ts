import type { NextRequest } from "next/server";
import { handlers } from "@/lib/server/auth/auth";
import { answerRefusals } from "@/lib/server/auth/sign-in-links";

// Auth.js answers a callback URL it will not follow (a query parameter or its cookie that is
// neither a path nor an http(s) URL) with a 500, as if the server were misconfigured. The request
// is what is wrong: it gets a 400 naming the part.
const CALLBACK_COOKIES = ["authjs.callback-url", "__Secure-authjs.callback-url"];

function followable(url: string): boolean {
  try {
    return /^https?:$/.test(new URL(url, url.startsWith("/") ? "http://localhost" : undefined).protocol);
  } catch {
    return false;
  }
}

function checked(handler: (req: NextRequest) => Promise<Response>) {
  return async (req: NextRequest): Promise<Response> => {
    const field = req.nextUrl.searchParams.getAll("callbackUrl").some((v) => v !== "" && !followable(v))
      ? "callbackUrl"
      : CALLBACK_COOKIES.find((c) => {
          const v = req.cookies.get(c)?.value;
          return v !== undefined && v !== "" && !followable(v);
        });
    if (field) return Response.json({ error: { message: `${field}: must be a path on this site or an http(s) URL`, field } }, { status: 400 });
    return handler(req);
  };
}

export const GET = checked(handlers.GET);
// POST /api/auth/signin/email sends sign-in mail: a refused link is named on the error page.
export const POST = checked((req) => answerRefusals(req, () => handlers.POST(req)));
