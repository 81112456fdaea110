import { env } from "@/lib/env";

/**
 * The script-snippet embed: `<script src="APP/f/SLUG/embed.js" async></script>` puts the hosted
 * form in an iframe where the script tag stands, sized to its content. The form itself still
 * posts without JavaScript inside the frame.
 */
export function GET(_req: Request, _route: { params: Promise<{ slug: string }> }) {
  return _route.params.then(({ slug }) => {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) return new Response("// no such form", { status: 404, headers: { "content-type": "text/javascript" } });
    const src = `${env().appUrl}/f/${slug}?embed=1`;
    const js = `(function(){var s=document.currentScript;var f=document.createElement("iframe");f.src=${JSON.stringify(src)};f.title="Signup form";f.loading="lazy";f.style.cssText="width:100%;max-width:480px;border:0;min-height:420px";s.parentNode.insertBefore(f,s);window.addEventListener("message",function(e){if(e.source===f.contentWindow&&e.data&&e.data.tillitFormHeight){f.style.height=e.data.tillitFormHeight+"px";}});})();`;
    return new Response(js, { status: 200, headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300", "access-control-allow-origin": "*" } });
  });
}
