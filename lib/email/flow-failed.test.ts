import { describe, expect, it } from "vitest";
import { flowFailedEmail } from "./flow-failed";

describe("the failed-runs mail to admins", () => {
  const base = { workspaceName: "Acme", flowName: "Welcome", reason: "Resend: 503", since: new Date("2026-03-02T10:05:30Z"), link: "https://app.example.com/w/acme/flows/f1/failed" };

  it("names the flow, how many runs failed since when, the latest reason and the failed list", () => {
    const m = flowFailedEmail({ ...base, count: 3 });
    expect(m.subject).toBe("3 runs of “Welcome” failed in Acme");
    expect(m.text).toContain("3 runs of the flow “Welcome” in Acme failed since 2026-03-02 10:05 UTC");
    expect(m.text).toContain("Latest reason: Resend: 503\n");
    expect(m.text).toContain("https://app.example.com/w/acme/flows/f1/failed\n");
    expect(m.html).toContain('<a href="https://app.example.com/w/acme/flows/f1/failed">open the failed runs</a>');
    expect(flowFailedEmail({ ...base, count: 1 }).subject).toBe("A run of “Welcome” failed in Acme");
  });

  it("escapes names and reasons in the HTML part", () => {
    const m = flowFailedEmail({ ...base, count: 2, flowName: `<b>Cart</b> & "co"`, reason: "<script>alert(1)</script>" });
    expect(m.html).not.toContain("<script>");
    expect(m.html).not.toContain("<b>Cart");
    expect(m.html).toContain("&lt;b&gt;Cart&lt;/b&gt; &amp; &quot;co&quot;");
    expect(m.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });
});
