import type { FormConfig } from "./config";
import { HONEYPOT_FIELD, STAMP_FIELD, TOPICS_FIELD } from "./config";
import { escapeHtml } from "../html";

/**
 * The signup form's markup, shared by the hosted page and the iframe embed: a plain
 * `<form method="post">` that works without JavaScript. Topic boxes are never pre-ticked; the
 * consent wording sits right above the button, apart from any terms.
 */
export function SignupFormMarkup(props: {
  slug: string;
  config: FormConfig;
  consentWording: string;
  topics: { key: string; name: string; description: string }[];
  stamp: string;
  /** Where the form posts: the hosted page's own URL. */
  action: string;
}) {
  const { config } = props;
  const accent = config.style.colour;
  return (
    <form method="post" action={props.action} className="space-y-4" data-testid="signup-form">
      <input type="hidden" name={STAMP_FIELD} value={props.stamp} />
      {/* Humans never see this field; bots that fill every input give themselves away. */}
      <div aria-hidden="true" style={{ position: "absolute", left: "-10000px", width: 1, height: 1, overflow: "hidden" }}>
        <label>
          Leave this empty
          <input type="text" name={HONEYPOT_FIELD} tabIndex={-1} autoComplete="off" defaultValue="" />
        </label>
      </div>
      <label className="block text-sm font-medium text-slate-700">
        Email
        <input
          type="email"
          name="email"
          required
          maxLength={254}
          autoComplete="email"
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
        />
      </label>
      {config.fields.map((f) =>
        f.type === "checkbox" ? (
          <label key={f.key} className="flex items-center gap-2 text-sm text-slate-700">
            <input type="checkbox" name={f.key} value="on" required={f.required} />
            {f.label}
          </label>
        ) : (
          <label key={f.key} className="block text-sm font-medium text-slate-700">
            {f.label}
            {f.required ? "" : <span className="font-normal text-slate-400"> (optional)</span>}
            <input
              type={f.type === "number" ? "number" : f.type === "date" ? "date" : "text"}
              name={f.key}
              required={f.required}
              maxLength={f.type === "text" ? 500 : undefined}
              autoComplete={f.key === "first_name" ? "given-name" : f.key === "last_name" ? "family-name" : "off"}
              className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
            />
          </label>
        ),
      )}
      {props.topics.length > 0 ? (
        <fieldset className="space-y-1">
          <legend className="text-sm font-medium text-slate-700">What would you like to hear about?</legend>
          {props.topics.map((t) => (
            <label key={t.key} className="flex items-start gap-2 text-sm text-slate-700">
              <input type="checkbox" name={TOPICS_FIELD} value={t.key} className="mt-1" />
              <span>
                {t.name}
                {t.description ? <span className="block text-xs text-slate-500">{t.description}</span> : null}
              </span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {props.consentWording ? (
        <p className="text-xs text-slate-600" data-testid="consent-wording">
          {props.consentWording}
          {config.privacyNoticeUrl ? (
            <>
              {" "}
              <a href={config.privacyNoticeUrl} className="underline" target="_blank" rel="noreferrer">
                Privacy notice
              </a>
            </>
          ) : null}
        </p>
      ) : null}
      <button type="submit" className="w-full rounded-md px-4 py-2 text-sm font-medium text-white" style={{ background: accent }}>
        {config.submitLabel}
      </button>
    </form>
  );
}

/** The plain HTML embed: no script, posts straight to the hosted page's URL from any site. */
export function plainHtmlEmbed(q: { url: string; config: FormConfig; consentWording: string; topics: { key: string; name: string }[] }): string {
  const lines = [
    `<form method="post" action="${escapeHtml(q.url)}">`,
    `  <label>Email <input type="email" name="email" required></label>`,
    ...q.config.fields.map((f) =>
      f.type === "checkbox"
        ? `  <label><input type="checkbox" name="${f.key}" value="on"${f.required ? " required" : ""}> ${escapeHtml(f.label)}</label>`
        : `  <label>${escapeHtml(f.label)} <input type="${f.type === "number" ? "number" : f.type === "date" ? "date" : "text"}" name="${f.key}"${f.required ? " required" : ""}></label>`,
    ),
    ...q.topics.map((t) => `  <label><input type="checkbox" name="${TOPICS_FIELD}" value="${escapeHtml(t.key)}"> ${escapeHtml(t.name)}</label>`),
    `  <div style="position:absolute;left:-10000px" aria-hidden="true"><input type="text" name="${HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"></div>`,
    ...(q.consentWording ? [`  <p>${escapeHtml(q.consentWording)}</p>`] : []),
    `  <button type="submit">${escapeHtml(q.config.submitLabel)}</button>`,
    `</form>`,
  ];
  return lines.join("\n");
}
