import { NextResponse, type NextRequest } from "next/server";
import { apiErrorCodeOf } from "./lib/api/errors";
import { brokenServerAction, unreadableUrl, type Refusal } from "./lib/http/refuse";

// Next 16's middleware. It refuses requests Next would otherwise answer with a 500 (see
// lib/http/refuse), and routes: the real session check happens on the server (lib/auth/member),
// which also handles a cookie that is present but invalid.
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];
const PATH_HEADER = "x-tillit-path";

function refuse(request: NextRequest, r: Refusal) {
  const json = request.nextUrl.pathname.startsWith("/api/") || (request.headers.get("accept") ?? "").includes("application/json");
  if (json) return NextResponse.json({ error: { code: apiErrorCodeOf(r.status), message: r.message, field: r.field } }, { status: r.status });
  return new NextResponse(`${r.message}\n`, { status: r.status, headers: { "content-type": "text/plain; charset=utf-8" } });
}

export async function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const refused = unreadableUrl(request.nextUrl) ?? (await brokenServerAction(request, pathname));
  if (refused) return refuse(request, refused);

  const workspaceRoute = pathname.startsWith("/w/") || pathname === "/w" || pathname.startsWith("/workspaces") || pathname.startsWith("/invite/");
  if (!workspaceRoute) return NextResponse.next();
  const path = `${pathname}${search}`;
  const signedIn = SESSION_COOKIES.some((c) => request.cookies.has(c));
  if (!signedIn && !pathname.startsWith("/invite/")) {
    const url = request.nextUrl.clone();
    url.pathname = "/sign-in";
    url.search = `?${new URLSearchParams({ callbackUrl: path })}`;
    return NextResponse.redirect(url);
  }
  const headers = new Headers(request.headers);
  headers.set(PATH_HEADER, path);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // Every page and route handler, except static files and the machine-to-machine endpoints, whose
  // paths hold no parameters and whose bodies need not be copied for this function: Inngest's
  // (/api/inngest) and Resend's (/api/webhooks).
  matcher: ["/((?!_next/static/|_next/image|favicon\\.ico|icon\\.svg|api/inngest|api/webhooks/|api/health).*)"],
};
