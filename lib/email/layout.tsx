import { Body, Button, Container, Head, Heading, Hr, Html, Link, Section, Text } from "@react-email/components";
import type { ReactNode } from "react";
import type { Block, Inline } from "./markup";

/**
 * The one responsive email layout. Rendered once per template version with Liquid placeholders in
 * place of merge tags (lib/email/render.ts puts the Liquid back afterwards), so React never sees a
 * contact's data and the per-message cost is Liquid alone.
 *
 * Marketing mail always gets the footer with the unsubscribe link and the postal address; it is
 * part of the layout, not of the template body, so no template can leave it out.
 */

const main = { backgroundColor: "#f6f7f9", fontFamily: "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif", margin: 0, padding: "24px 0" };
const container = { backgroundColor: "#ffffff", borderRadius: "8px", maxWidth: "600px", margin: "0 auto", padding: "32px 28px" };
const paragraph = { fontSize: "16px", lineHeight: "26px", color: "#1f2937", margin: "0 0 16px" };
const footer = { fontSize: "12px", lineHeight: "18px", color: "#6b7280", textAlign: "center" as const, margin: "8px 0 0" };

function inline(content: Inline[]): ReactNode[] {
  return content.map((c, i) => {
    switch (c.kind) {
      case "text":
        return c.text;
      case "bold":
        return <strong key={i}>{c.text}</strong>;
      case "br":
        return <br key={i} />;
      case "link":
        return (
          <Link key={i} href={c.href} style={{ color: "#2563eb", textDecoration: "underline" }}>
            {c.text}
          </Link>
        );
    }
  });
}

const PREHEADER_LENGTH = 150;

/**
 * The inbox preview line: hidden text, then invisible padding so the preview does not run on into
 * the body. One no-break space and one zero-width non-joiner per missing character: as character
 * references (the HTML goes out as ASCII) about 1.8 KB, where a seven-character pad per missing
 * character would add over 6 KB to every message.
 */
function Preheader(props: { text: string }) {
  const text = props.text.slice(0, PREHEADER_LENGTH);
  return (
    <div style={{ display: "none", overflow: "hidden", lineHeight: "1px", opacity: 0, maxHeight: 0, maxWidth: 0 }} data-skip-in-text>
      {text}
      {"\u00a0\u200c".repeat(Math.max(0, PREHEADER_LENGTH - text.length))}
    </div>
  );
}

export type LayoutProps = {
  preheader: string;
  /** Markup blocks, or a raw HTML fragment (templates written in HTML). */
  content: { blocks: Block[] } | { html: string };
  marketing: boolean;
  /** Placeholders (Liquid) for the footer's values. */
  footer: { unsubscribeUrl: string; postalAddress: string; workspaceName: string };
};

export function EmailLayout(props: LayoutProps) {
  return (
    <Html lang="en">
      <Head />
      {props.preheader ? <Preheader text={props.preheader} /> : null}
      <Body style={main}>
        <Container style={container}>
          {"html" in props.content ? (
            <div dangerouslySetInnerHTML={{ __html: props.content.html }} />
          ) : (
            props.content.blocks.map((b, i) => {
              switch (b.kind) {
                case "heading":
                  return (
                    <Heading key={i} as={b.level === 1 ? "h1" : "h2"} style={{ color: "#111827", fontSize: b.level === 1 ? "26px" : "20px", margin: "0 0 16px" }}>
                      {inline(b.content)}
                    </Heading>
                  );
                case "paragraph":
                  return (
                    <Text key={i} style={paragraph}>
                      {inline(b.content)}
                    </Text>
                  );
                case "button":
                  return (
                    <Section key={i} style={{ margin: "8px 0 24px" }}>
                      <Button href={b.href} style={{ backgroundColor: "#2563eb", borderRadius: "6px", color: "#ffffff", fontSize: "16px", fontWeight: 600, padding: "12px 20px", textDecoration: "none" }}>
                        {b.text}
                      </Button>
                    </Section>
                  );
                case "divider":
                  return <Hr key={i} style={{ borderColor: "#e5e7eb", margin: "24px 0" }} />;
              }
            })
          )}
        </Container>
        {props.marketing ? (
          <Section style={{ maxWidth: "600px", margin: "0 auto", padding: "16px 28px" }} data-footer="marketing">
            <Text style={footer}>
              You receive this because you subscribed to {props.footer.workspaceName}.{" "}
              <Link href={props.footer.unsubscribeUrl} style={{ color: "#6b7280", textDecoration: "underline" }}>
                Unsubscribe
              </Link>
            </Text>
            <Text style={footer}>{props.footer.postalAddress}</Text>
          </Section>
        ) : null}
      </Body>
    </Html>
  );
}
