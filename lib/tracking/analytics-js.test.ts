import { describe, expect, it } from "vitest";
import { chunkName, servedAnalyticsJs } from "./analytics-js";

describe("servedAnalyticsJs", () => {
  const bundle = 'window.analyticsWriteKey="__WRITE_KEY__";var other="__WRITE_KEY__x";';

  it("fills in the write key and names this ingest as the CDN", () => {
    const out = servedAnalyticsJs(bundle, "tk_pub_abc", "http://127.0.0.1:8300/");
    expect(out).toContain('window.analyticsWriteKey="tk_pub_abc";');
    expect(out).toContain('var other="__WRITE_KEY__x"');
    expect(out).toContain('a._cdn="http://127.0.0.1:8300"');
  });

  it("cannot be broken out of by a key or a URL holding quotes or script", () => {
    const out = servedAnalyticsJs(bundle, 'x";alert(1);"', 'https://t.example/"</script>');
    expect(out).toContain('window.analyticsWriteKey="x\\";alert(1);\\"";');
    expect(out).toContain('a._cdn="https://t.example/\\"</script>"');
  });
});

describe("chunkName", () => {
  it("takes the package's chunk names and nothing that walks the file system", () => {
    for (const ok of ["index.js", "407.bundle.61efa1acb302134c434b.js", "auto-track.bundle.f131ce01a05e3a33a8c1.js"]) expect(chunkName.test(ok)).toBe(true);
    for (const bad of ["../package.json", "..%2Fx.js", "index.js.map", "a/b.js", ".js", "standalone.js/"]) expect(chunkName.test(bad)).toBe(false);
  });
});
