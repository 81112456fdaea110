import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listDevMail, getDevMail } from "@/db/queries/dev-mailbox";
import { freshDatabase, type TestDatabase } from "@/e2e/fixtures/database";
import { startResendCapture, type ResendCapture } from "@/e2e/fixtures/resend-capture";
import { devMailboxTransport, resendTransport, sendEmail } from "./transport";
import { EmailSendError, type OutgoingEmail } from "@/lib/email/types";

const message: OutgoingEmail = {
  from: "Acme Outdoor <news@acme.example>",
  to: ["kari@example.com"],
  subject: "Your trail map is here",
  html: "<p>Hei Kari</p>",
  text: "Hei Kari",
  headers: {
    "List-Unsubscribe": "<https://app.example/u/tok>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
  },
  tags: [
    { name: "workspace", value: "ws_1" },
    { name: "enrollment", value: "enr_1" },
  ],
  idempotencyKey: "enr_1:n2#1:send",
  class: "marketing",
};

describe("Resend transport (real SDK against the capture server)", () => {
  let capture: ResendCapture;
  beforeAll(async () => {
    capture = await startResendCapture();
  });
  afterAll(async () => capture.close());
  beforeEach(() => capture.reset());

  it("hands Resend the message with headers, tags and the idempotency key", async () => {
    const t = resendTransport({ apiKey: "re_test_123", baseUrl: capture.url });
    const sent = await sendEmail(t, message);
    expect(sent.transport).toBe("resend");
    const [req] = capture.requests;
    expect(req!.path).toBe("/emails");
    expect(req!.headers.authorization).toBe("Bearer re_test_123");
    expect(req!.headers["idempotency-key"]).toBe("enr_1:n2#1:send");
    expect(capture.emails[0]).toMatchObject({
      id: sent.id,
      to: ["kari@example.com"],
      subject: "Your trail map is here",
      headers: { "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" },
      tags: message.tags,
    });
  });

  it("sends one message for a retried idempotency key", async () => {
    const t = resendTransport({ apiKey: "re_test_123", baseUrl: capture.url });
    const a = await sendEmail(t, message);
    const b = await sendEmail(t, message);
    expect(b.id).toBe(a.id);
    expect(capture.emails).toHaveLength(1);
  });

  it("reports a rate limit with the provider's retry-after", async () => {
    capture.failNext({ status: 429, retryAfterSeconds: 2 });
    const t = resendTransport({ apiKey: "re_test_123", baseUrl: capture.url });
    const err = await sendEmail(t, message).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmailSendError);
    expect((err as EmailSendError).code).toBe("rate_limited");
    expect((err as EmailSendError).retryAfterMs).toBe(2000);
    expect(capture.emails).toHaveLength(0);
  });

  it("reports a provider outage as retryable, not as a rejection", async () => {
    capture.failNext({ status: 500 });
    const err = await sendEmail(resendTransport({ apiKey: "re_x", baseUrl: capture.url }), message).catch((e: unknown) => e);
    expect((err as EmailSendError).code).toBe("provider_error");
  });

  it("refuses an invalid message before calling the provider, naming the field", async () => {
    const t = resendTransport({ apiKey: "re_test_123", baseUrl: capture.url });
    await expect(sendEmail(t, { ...message, to: ["not-an-address"] })).rejects.toThrow(/to\.0/);
    await expect(sendEmail(t, { ...message, tags: [{ name: "flow id", value: "x" }] })).rejects.toThrow(/tags\.0\.name/);
    expect(capture.requests).toHaveLength(0);
  });
});

describe("dev mailbox transport", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await freshDatabase();
  });
  afterAll(async () => t.destroy());

  it("stores the message with every part and header, once per idempotency key", async () => {
    const transport = devMailboxTransport(t.db);
    const a = await sendEmail(transport, message);
    const b = await sendEmail(transport, message);
    expect(b.id).toBe(a.id);
    const list = await listDevMail(t.db, { to: "kari@example.com" });
    expect(list).toHaveLength(1);
    const stored = await getDevMail(t.db, a.id);
    expect(stored).toMatchObject({
      subject: "Your trail map is here",
      html: "<p>Hei Kari</p>",
      text: "Hei Kari",
      headers: message.headers,
      tags: message.tags,
    });
    expect(await listDevMail(t.db, { to: "someone-else@example.com" })).toHaveLength(0);
  });
});
