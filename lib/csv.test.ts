import { describe, expect, it } from "vitest";
import { csvLine, csvSections, toCsv } from "./csv";

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

it("writes one line of mixed cells", () => {
  expect(csvLine(["a,b", 'say "hi"', "=SUM(A1)", null, 3])).toBe('"a,b","say ""hi""",\'=SUM(A1),,3\r\n');
});

it("joins sections under title lines", () => {
  expect(csvSections([{ title: "A", csv: "x\r\n1\r\n" }, { title: "B", csv: "y\r\n2\r\n" }])).toBe("# A\r\nx\r\n1\r\n\r\n# B\r\ny\r\n2\r\n");
});

describe("spreadsheet formulas", () => {
  it.each([
    ["=SUM(A1)", "'=SUM(A1)"],
    ["+1", "'+1"],
    ["-2+3", "'-2+3"],
    ["@A1", "'@A1"],
    ["\tcmd", "'\tcmd"],
    ["\rcmd", "\"'\rcmd\""],
    // Spreadsheets skip leading whitespace before deciding a cell is a formula …
    [" =1+1", "' =1+1"],
    ["  \t+1", "'  \t+1"],
    ["\u00a0-1", "'\u00a0-1"],
    ["\u3000@A1", "'\u3000@A1"],
    ["\n=1", "\"'\n=1\""],
    ["\u200b=1", "'\u200b=1"],
    ["\ufeff=1", "'\ufeff=1"],
    // … and read the full-width (and small) forms of = + - @ as the ASCII ones.
    ["\uff1d1+1", "'\uff1d1+1"],
    ["\uff0b1", "'\uff0b1"],
    ["\uff0d1", "'\uff0d1"],
    ["\uff20A1", "'\uff20A1"],
    ["\ufe66A1", "'\ufe66A1"],
    [" \uff1dcmd", "' \uff1dcmd"],
  ])("neutralises %j", (value, cell) => {
    expect(csvLine([value])).toBe(`${cell}\r\n`);
  });

  it.each(["a=b", "1+1", "mail@example.com", "", "   ", "#title", "x -1"])("leaves %j as it is", (value) => {
    expect(csvLine([value])).toBe(`${value}\r\n`);
  });

  it("writes numbers, booleans and dates as values, never as text", () => {
    expect(csvLine([-4, 2.5, true, null, undefined, new Date("2025-01-02T03:04:05Z")])).toBe("-4,2.5,true,,,2025-01-02T03:04:05.000Z\r\n");
  });
});
