/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // PGlite ships WASM and data files that must be loaded from node_modules at run time, not bundled;
  // esbuild runs its native binary (it bundles the render pool's worker entry at run time).
  serverExternalPackages: ["@electric-sql/pglite", "@electric-sql/pglite-socket", "postgres", "esbuild"],
  typedRoutes: false,
  // The app's tracking route serves analytics.js's browser build, read from node_modules at run
  // time: a serverless bundle must carry it (docs/deploy.md).
  outputFileTracingIncludes: { "/api/track/[...path]": ["./node_modules/@segment/analytics-next/dist/umd/**"] },
  // `npm test` type-checks the whole repository (tests, scripts and the app) in its own layer
  // with tsc; the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  // Public pages answer POSTs on their own URL: a plain HTML form on any site posts to /f/[slug],
  // the Confirm button to /f/confirm/[token], RFC 8058 one-click to the List-Unsubscribe URL
  // /u/[token]. Next allows no page.tsx and route.ts in one folder, so requests with a body (they
  // carry a Content-Type; a page GET does not) and CORS preflights go to a handler beside the page.
  // These are path rewrites, not proxy.ts rewrites: a middleware rewrite is an absolute URL and
  // becomes an external proxy hop whenever the Host header differs from the server's bind address.
  async rewrites() {
    const body = [{ type: "header", key: "content-type" }];
    const preflight = [{ type: "header", key: "access-control-request-method" }];
    return {
      beforeFiles: [
        { source: "/f/confirm/:token", has: body, destination: "/f/confirm/:token/post" },
        { source: "/f/:slug", has: body, destination: "/f/:slug/submit" },
        { source: "/f/:slug", has: preflight, destination: "/f/:slug/submit" },
        { source: "/u/:token", has: body, destination: "/u/:token/post" },
      ],
    };
  },
};

export default nextConfig;
