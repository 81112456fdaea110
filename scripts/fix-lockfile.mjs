// npm records a platform package in package-lock.json only if the registry it installed from
// serves it. A registry mirror without the macOS/Windows builds of next's SWC and Tailwind's
// oxide leaves those out, and `npm ci` then refuses the lockfile as out of sync. This adds the
// missing optional platform entries (version, os, cpu), which npm skips on other platforms and
// fetches by version on theirs. Run after any `npm install` that rewrites the lockfile.
import { readFileSync, writeFileSync } from "node:fs";

const file = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(file, "utf8"));
const pkgs = lock.packages;
const added = [];
for (const [path, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = path ? `${path}/node_modules/${dep}` : `node_modules/${dep}`;
    if (pkgs[`node_modules/${dep}`] || pkgs[nested]) continue;
    const name = dep.split("/").pop();
    const os = name.match(/android|darwin|freebsd|linux|win32|openbsd|sunos|aix/)?.[0];
    const cpu = name.match(/arm64|x64|ia32|arm|wasm32|ppc64|s390x|riscv64|loong64/)?.[0];
    if (!os && !cpu) continue; // not a platform build: a genuinely missing package, leave it to npm
    pkgs[`node_modules/${dep}`] = { version, optional: true, ...(os && { os: [os] }), ...(cpu && { cpu: [cpu] }) };
    added.push(`${dep}@${version}`);
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform entries: ${added.join(", ")}` : "lockfile complete");
