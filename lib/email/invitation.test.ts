import { describe, expect, it } from "vitest";
import { invitationEmail } from "./invitation";

describe("the invitation mail", () => {
  it("names who invites to what as which role, and escapes what people typed", () => {
    const m = invitationEmail({ inviter: `Ada <script>`, workspaceName: `R&D "Labs"`, role: "editor", link: "https://app.example.com/invite/abc" });
    expect(m.subject).toBe(`Ada <script> invited you to R&D "Labs" on Tillit`);
    expect(m.text).toContain("as editor.");
    expect(m.text).toContain("https://app.example.com/invite/abc\n");
    expect(m.html).toContain("Ada &lt;script&gt; invited you to join <strong>R&amp;D &quot;Labs&quot;</strong>");
    expect(m.html).toContain('<a href="https://app.example.com/invite/abc">Accept the invitation</a>');
    expect(m.html).not.toContain("<script>");
  });
});
