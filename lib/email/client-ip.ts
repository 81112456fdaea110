/** The client's address as the first proxy saw it (x-forwarded-for), else x-real-ip. */
export function clientIp(headers: Headers): string | null {
  const fwd = headers.get("x-forwarded-for");
  if (fwd) return fwd.split(",")[0]!.trim().slice(0, 100) || null;
  return headers.get("x-real-ip")?.slice(0, 100) ?? null;
}
