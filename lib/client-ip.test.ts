import { describe, expect, it } from "vitest";
import { clientIp, ipInRange, PEER_HEADER, requestIp } from "./client-ip";

describe("clientIp", () => {
  const trusted = ["10.0.0.0/8", "127.0.0.1", "::1"];
  it("uses the peer when it is not a trusted proxy, whatever X-Forwarded-For says", () => {
    expect(clientIp({ peer: "198.51.100.7", forwardedFor: "1.2.3.4", trusted })).toBe("198.51.100.7");
  });
  it("walks X-Forwarded-For from the right through trusted proxies only", () => {
    expect(clientIp({ peer: "127.0.0.1", forwardedFor: "203.0.113.5", trusted })).toBe("203.0.113.5");
    // A client that prepends a fake address does not get to choose: the rightmost untrusted hop wins.
    expect(clientIp({ peer: "10.1.2.3", forwardedFor: "6.6.6.6, 203.0.113.5, 10.0.0.9", trusted })).toBe("203.0.113.5");
    expect(clientIp({ peer: "::ffff:127.0.0.1", forwardedFor: "203.0.113.5", trusted })).toBe("203.0.113.5");
    expect(clientIp({ peer: "127.0.0.1", forwardedFor: "garbage, 203.0.113.5", trusted })).toBe("203.0.113.5");
    expect(clientIp({ peer: "127.0.0.1", forwardedFor: null, trusted })).toBe("127.0.0.1");
  });
  it("trusts nobody by default", () => {
    expect(clientIp({ peer: "127.0.0.1", forwardedFor: "203.0.113.5", trusted: [] })).toBe("127.0.0.1");
  });
  it("matches IPv4 and IPv6 ranges", () => {
    expect(ipInRange("10.200.3.4", "10.0.0.0/8")).toBe(true);
    expect(ipInRange("11.0.0.1", "10.0.0.0/8")).toBe(false);
    expect(ipInRange("2001:db8::5", "2001:db8::/32")).toBe(true);
    expect(ipInRange("2001:db9::5", "2001:db8::/32")).toBe(false);
    expect(ipInRange("10.0.0.1", "2001:db8::/32")).toBe(false);
  });
});

describe("requestIp", () => {
  const req = (headers: Record<string, string>) => new Request("http://localhost/f/x", { headers });
  const trusted = ["127.0.0.1"];

  it("takes the peer the server stamped, not an address the client claims", () => {
    expect(requestIp(req({ [PEER_HEADER]: "198.51.100.7", "x-forwarded-for": "1.2.3.4" }), trusted)).toBe("198.51.100.7");
    expect(requestIp(req({ [PEER_HEADER]: "127.0.0.1", "x-forwarded-for": "1.2.3.4, 203.0.113.5" }), trusted)).toBe("203.0.113.5");
    expect(requestIp(req({ [PEER_HEADER]: "127.0.0.1", "x-forwarded-for": "203.0.113.5" }), [])).toBe("127.0.0.1");
  });

  it("without the stamp, falls back to the last X-Forwarded-For entry (Next's own), then to unknown", () => {
    expect(requestIp(req({ "x-forwarded-for": "6.6.6.6, 198.51.100.9" }), trusted)).toBe("198.51.100.9");
    expect(requestIp(req({}), trusted)).toBe("unknown");
  });
});
