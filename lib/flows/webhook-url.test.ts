import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isPrivateAddress } from "./webhook-url";

describe("checkWebhookUrl", () => {
  it.each([
    "https://hooks.example.com/tillit",
    "http://api.example.org:8443/in?x=1",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
  ])("allows %s", (url) => {
    expect(checkWebhookUrl(url)).toBeNull();
  });

  it.each([
    ["ftp://example.com/x", /https/],
    ["file:///etc/passwd", /https/],
    ["gopher://example.com", /https/],
    ["not a url", /valid URL/],
    ["https://user:pw@example.com/", /user name/],
    ["http://localhost:3000/api", /local/],
    ["http://LOCALHOST./", /local/],
    ["http://app.localhost/", /local/],
    ["http://metadata.google.internal/computeMetadata/v1/", /internal/],
    ["http://printer.local/", /local/],
    ["http://intranet/", /fully qualified/],
    ["http://127.0.0.1/", /private/],
    ["http://127.1/", /private/],
    ["http://2130706433/", /private/],
    ["http://0x7f000001/", /private/],
    ["http://0.0.0.0:8288/", /private/],
    ["http://10.1.2.3/", /private/],
    ["http://172.20.0.1/", /private/],
    ["http://192.168.1.1/", /private/],
    ["http://169.254.169.254/latest/meta-data/", /private/],
    ["http://100.100.100.200/", /private/],
    ["http://[::1]/", /IPv6/],
    ["http://[::ffff:127.0.0.1]/", /IPv6/],
    ["http://[::ffff:a9fe:a9fe]/", /IPv6/],
    ["http://[fe80::1]/", /IPv6/],
    ["http://[fd00:ec2::254]/", /IPv6/],
    ["http://[64:ff9b::a00:1]/", /IPv6/],
    ["http://[2002:c0a8:101::1]/", /IPv6/],
  ])("refuses %s", (url, reason) => {
    expect(checkWebhookUrl(url)).toMatch(reason);
  });
});

describe("isPrivateAddress", () => {
  it("separates public from private addresses", () => {
    expect(isPrivateAddress("93.184.216.34")).toBe(false);
    expect(isPrivateAddress("172.15.255.255")).toBe(false);
    expect(isPrivateAddress("172.16.0.0")).toBe(true);
    expect(isPrivateAddress("172.31.255.255")).toBe(true);
    expect(isPrivateAddress("172.32.0.0")).toBe(false);
    expect(isPrivateAddress("2a00:1450:4001::200e")).toBe(false);
    expect(isPrivateAddress("::ffff:8.8.8.8")).toBe(false);
  });
  it("fails closed on garbage", () => {
    expect(isPrivateAddress("not-an-ip")).toBe(true);
    expect(isPrivateAddress("1:2:3")).toBe(true);
  });
});
