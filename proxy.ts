import { NextResponse, type NextRequest } from "next/server";

// Next 16's middleware. It only routes: the real session check happens on the server
// (lib/auth/member), which also handles a cookie that is present but invalid.
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];
const PATH_HEADER = "x-tillit-path";

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const path = `${pathname}${search}`;
  const signedIn = SESSION_COOKIES.some((c) => request.cookies.has(c));
  if (!signedIn && (pathname.startsWith("/w/") || pathname === "/w" || pathname.startsWith("/workspaces"))) {
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
  matcher: ["/w/:path*", "/w", "/workspaces/:path*", "/workspaces", "/invite/:path*"],
};
