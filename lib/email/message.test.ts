import { describe, expect, it } from "vitest";
import { parseEnv } from "../env";
import { inboundUnsubscribe, marketingHeaders } from "./message";

describe("marketingHeaders", () => {
  it("offers only the https URL when no inbound address is configured", () => {
    const inbound = inboundUnsubscribe("tok_A-1", parseEnv({}).INBOUND_UNSUBSCRIBE_ADDRESS);
    expect(inbound).toBeUndefined();
    expect(marketingHeaders("https://app.example/u/tok_A-1", inbound)).toEqual({
      "List-Unsubscribe": "<https://app.example/u/tok_A-1>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
  });

  it("adds a mailto naming the message's token after the https URL when an inbound address is configured", () => {
    const address = parseEnv({ INBOUND_UNSUBSCRIBE_ADDRESS: " unsubscribe+list@mail.example.com " }).INBOUND_UNSUBSCRIBE_ADDRESS;
    const headers = marketingHeaders("https://app.example/u/tok_A-1", inboundUnsubscribe("tok_A-1", address));
    expect(headers).toEqual({
      "List-Unsubscribe": "<https://app.example/u/tok_A-1>, <mailto:unsubscribe+list@mail.example.com?subject=unsubscribe-tok_A-1>",
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    });
    // RFC 2369: a comma-separated list of angle-bracketed URIs, https first for RFC 8058 one-click.
    const uris = [...headers["List-Unsubscribe"]!.matchAll(/<([^>]+)>/g)].map((m) => new URL(m[1]!));
    expect(uris.map((u) => u.protocol)).toEqual(["https:", "mailto:"]);
    expect(uris[1]!.searchParams.get("subject")).toBe("unsubscribe-tok_A-1");
  });

  it("adds no mailto to a message without a token", () => {
    expect(inboundUnsubscribe(null, "unsubscribe@mail.example.com")).toBeUndefined();
  });
});
