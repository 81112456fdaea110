import { NextResponse, type NextRequest } from "next/server";

// Next 16's middleware. It only routes: the real session check happens on the server
// (lib/auth/member), which also handles a cookie that is present but invalid.
const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];
const PATH_HEADER = "x-tillit-path";

// Public pages answer POSTs on their own URL (a plain HTML form on any site posts to /f/[slug];
// RFC 8058 one-click POSTs to the List-Unsubscribe URL /u/[token]). Next allows no page.tsx and
// route.ts in one folder, so those POSTs (and CORS preflights) go to a handler beside the page.
const PUBLIC_POSTS: [RegExp, string][] = [
  [/^\/f\/confirm\/([^/]+)$/, "/f/confirm/$1/post"],
  [/^\/f\/([a-z0-9][a-z0-9-]{0,62})$/, "/f/$1/submit"],
  [/^\/u\/([^/]+)$/, "/u/$1/post"],
];

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (request.method === "POST" || request.method === "OPTIONS") {
    for (const [pattern, target] of PUBLIC_POSTS) {
      if (pattern.test(pathname)) {
        const url = request.nextUrl.clone();
        url.pathname = pathname.replace(pattern, target);
        return NextResponse.rewrite(url);
      }
    }
  }
  if (pathname.startsWith("/f/") || pathname.startsWith("/u/")) return NextResponse.next();
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
  matcher: ["/w/:path*", "/w", "/workspaces/:path*", "/workspaces", "/invite/:path*", "/f/:path*", "/u/:path*"],
};
