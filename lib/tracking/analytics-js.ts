/**
 * analytics.js 2.0 (@segment/analytics-next's standalone bundle) as the ingest serves it at
 * /analytics.js/v1/<writeKey>/analytics.min.js, the path Segment's standard snippet loads from its
 * CDN (docs/runtime.md, "3. Tracking"). Pure: the bundle's text comes in, the served text goes out.
 */

/** The placeholder the bundle carries for its write key; Segment's CDN fills it in as well. */
export const WRITE_KEY_PLACEHOLDER = "__WRITE_KEY__";

/** Where the bundle's lazily loaded chunks are asked for: <cdn>/analytics-next/bundles/<file>. */
export const CHUNK_PREFIX = "/analytics-next/bundles/";

/** A chunk's file name as the package ships them (index.js, 407.bundle.<hash>.js …): no paths. */
export const chunkName = /^[A-Za-z0-9_-]{1,64}(\.bundle\.[0-9a-f]{8,40})?\.js$/;

/**
 * The bundle for one write key. The bundle finds its CDN (the settings document's host and its
 * chunks' base) only from an https script URL or from the global analytics object's `_cdn`: the
 * preamble sets `_cdn` to this ingest, so a site loading it over http (or through a proxy) works
 * too. The write key goes in as a JSON string literal.
 */
export function servedAnalyticsJs(bundle: string, writeKey: string, cdn: string): string {
  const key = JSON.stringify(writeKey).slice(1, -1);
  const base = JSON.stringify(cdn.replace(/\/+$/, ""));
  const preamble = `(function(){try{var s=document.currentScript;var k=(s&&s.getAttribute("data-global-segment-analytics-key"))||"analytics";var a=window[k]=window[k]||[];if(!a._cdn)a._cdn=${base};}catch(e){}})();\n`;
  return preamble + bundle.replace(`"${WRITE_KEY_PLACEHOLDER}"`, `"${key}"`);
}
