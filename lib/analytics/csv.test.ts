import { expect, it } from "vitest";
import { csvSections, toCsv } from "./csv";

it("quotes, escapes and neutralises formulas", () => {
  const csv = toCsv(
    [
      { header: "url", value: (r: { url: string; n: number | null }) => r.url },
      { header: "clicks", value: (r) => r.n },
    ],
    [
      { url: "https://x.example/?a=1,b=2", n: 3 },
      { url: 'say "hi"', n: -4 },
      { url: "=HYPERLINK(\"evil\")", n: null },
      { url: "line\nbreak", n: 0 },
    ],
  );
  expect(csv).toBe(
    'url,clicks\r\n"https://x.example/?a=1,b=2",3\r\n"say ""hi""",-4\r\n"\'=HYPERLINK(""evil"")",\r\n"line\nbreak",0\r\n',
  );
});

it("joins sections under title lines", () => {
  expect(csvSections([{ title: "A", csv: "x\r\n1\r\n" }, { title: "B", csv: "y\r\n2\r\n" }])).toBe("# A\r\nx\r\n1\r\n\r\n# B\r\ny\r\n2\r\n");
});
