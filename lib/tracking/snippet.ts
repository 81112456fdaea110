/**
 * The browser snippet websites load with
 *   <script async src="https://APP/tillit.js" data-key="tk_pub_…"></script>
 * It keeps an anonymous id per browser, records page views (SPA navigations too) and identifies
 * the visitor when a form with an email field is submitted. It posts text/plain JSON with the
 * write key in the body, which needs no CORS preflight. Pure: returns the script text.
 */
export function trackingSnippet(apiUrl: string): string {
  return `(function () {
  var s = document.currentScript;
  var key = s && s.getAttribute("data-key");
  if (!key || window.__tillit) return;
  var api = ${JSON.stringify(apiUrl.replace(/\/$/, ""))};
  var aid;
  try { aid = localStorage.getItem("tillit_aid"); } catch (e) {}
  if (!aid) {
    aid = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
    try { localStorage.setItem("tillit_aid", aid); } catch (e) {}
  }
  function send(type, msg) {
    msg.type = type;
    msg.anonymousId = aid;
    msg.writeKey = key;
    msg.messageId = (crypto.randomUUID ? crypto.randomUUID() : aid + "-" + Date.now() + "-" + Math.random());
    msg.timestamp = msg.sentAt = new Date().toISOString();
    msg.context = { userAgent: navigator.userAgent, page: { url: location.href, path: location.pathname, referrer: document.referrer, title: document.title } };
    try {
      fetch(api + "/v1/" + type, { method: "POST", keepalive: true, headers: { "content-type": "text/plain" }, body: JSON.stringify(msg) });
    } catch (e) {}
  }
  function page() { send("page", { properties: {} }); }
  var push = history.pushState;
  history.pushState = function () { var r = push.apply(this, arguments); page(); return r; };
  window.addEventListener("popstate", page);
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (!f || !f.querySelector) return;
    var email = f.querySelector('input[type="email"], input[name="email"]');
    if (!email || !email.value) return;
    var traits = { email: email.value };
    ["first_name", "firstName", "last_name", "lastName"].forEach(function (n) {
      var el = f.querySelector('[name="' + n + '"]');
      if (el && el.value) traits[n] = el.value;
    });
    send("identify", { traits: traits });
  }, true);
  window.__tillit = { track: function (event, properties) { send("track", { event: event, properties: properties || {} }); }, page: page };
  page();
})();
`;
}
