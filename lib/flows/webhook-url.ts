/**
 * Compile-time SSRF screen for webhook nodes. It judges the URL as written; a public name can
 * still resolve to a private address, so the runner must also check the resolved address with
 * `isPrivateAddress` right before connecting (and refuse redirects to anything that fails).
 */

const BLOCKED_NAMES = new Set(["localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback", "metadata", "instance-data"]);
// Suffixes that only ever name machines inside a private network or the cloud metadata service.
const BLOCKED_SUFFIXES = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".intranet", ".lan", ".corp"];

/** Returns null when the URL may be called, else a reason a marketer can act on. */
export function checkWebhookUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return "is not a valid URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must start with https:// or http://";
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password; send credentials in a header";
  // WHATWG URL parsing has already turned 0x7f.1, 2130706433 and 127.1 into dotted quads.
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "") return "needs a host name";
  if (host.startsWith("[")) {
    return isPrivateAddress(host.slice(1, -1)) ? "points at a private or reserved IPv6 address" : null;
  }
  if (isIpv4(host)) return isPrivateAddress(host) ? "points at a private, loopback or reserved address" : null;
  if (BLOCKED_NAMES.has(host) || BLOCKED_SUFFIXES.some((s) => host.endsWith(s))) return "points at a local or internal host name";
  if (!host.includes(".")) return "needs a fully qualified host name (like hooks.example.com)";
  return null;
}

function isIpv4(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) && host.split(".").every((p) => Number(p) <= 255);
}

// [network, prefix length]: loopback, private, CGNAT, link-local (cloud metadata), documentation,
// benchmarking, multicast, reserved and broadcast ranges.
const V4_BLOCKED: [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];

function v4ToInt(ip: string): number {
  return ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
}

function v4Blocked(ip: string): boolean {
  const n = v4ToInt(ip);
  return V4_BLOCKED.some(([net, bits]) => {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(net);
    return n >= start && n < start + size;
  });
}

/** Eight 16-bit groups, or null when the text is not an IPv6 address. */
function parseIpv6(text: string): number[] | null {
  let s = text.toLowerCase();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded dotted quad (::ffff:127.0.0.1) becomes two groups.
  const quad = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(s);
  if (quad) {
    const q = quad[1] ?? "";
    if (!isIpv4(q)) return null;
    const n = v4ToInt(q);
    s = `${s.slice(0, -q.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : (halves[0] ?? "").split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : (halves[1] ?? "").split(":")) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

/**
 * True for addresses a webhook must never reach: loopback, private, link-local, metadata,
 * multicast, reserved — including IPv4 addresses smuggled inside IPv6 forms.
 * Anything unparseable counts as private, so a bad input fails closed.
 */
export function isPrivateAddress(ip: string): boolean {
  if (isIpv4(ip)) return v4Blocked(ip);
  const g = parseIpv6(ip);
  if (!g) return true;
  const embeddedV4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): judge the IPv4 inside.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && (g5 === 0xffff || g5 === 0)) {
    if (g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return true; // :: and ::1
    return v4Blocked(embeddedV4(g6, g7));
  }
  // NAT64 (64:ff9b::/96) embeds an IPv4 address too.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return v4Blocked(embeddedV4(g6, g7));
  // 6to4 (2002::/16) carries an IPv4 address in groups 1–2.
  if (g0 === 0x2002) return v4Blocked(embeddedV4(g1, g2));
  // Only global unicast (2000::/3) is public; ULA fc00::/7, link-local fe80::/10, multicast ff00::/8 are not.
  if ((g0 & 0xe000) !== 0x2000) return true;
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x2001 && g1 === 0) return true; // Teredo tunnels reach arbitrary IPv4 hosts
  return false;
}
