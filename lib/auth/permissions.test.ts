import { describe, expect, it } from "vitest";
import { assignableRoles, can, permissions, roles, type Permission } from "./permissions";

describe("role matrix", () => {
  it("lets viewers read and nothing else", () => {
    const granted = (Object.keys(permissions) as Permission[]).filter((p) => can("viewer", p));
    expect(granted).toEqual(["workspace.read", "broadcasts.read"]);
  });

  it("lets editors change and publish content, but not manage people, keys or settings", () => {
    for (const p of ["flows.edit", "flows.publish", "broadcasts.edit", "broadcasts.send", "templates.edit", "forms.edit", "segments.edit", "contacts.edit", "contacts.import"] as const)
      expect(can("editor", p)).toBe(true);
    for (const p of ["members.manage", "api_keys.manage", "settings.manage", "contacts.export", "contacts.erase", "notices.read"] as const)
      expect(can("editor", p)).toBe(false);
  });

  it("gives admins members, keys, settings, export and erasure, and keeps deletion and transfer for owners", () => {
    for (const p of ["members.manage", "api_keys.manage", "settings.manage", "contacts.export", "contacts.erase", "audit.read", "notices.read"] as const)
      expect(can("admin", p)).toBe(true);
    expect(can("admin", "workspace.delete")).toBe(false);
    expect(can("admin", "ownership.transfer")).toBe(false);
    expect(can("owner", "workspace.delete")).toBe(true);
    expect(can("owner", "ownership.transfer")).toBe(true);
  });

  it("is monotonic: a higher role holds everything a lower one does", () => {
    for (const p of Object.keys(permissions) as Permission[])
      for (let i = 0; i < roles.length - 1; i++) if (can(roles[i]!, p)) expect(can(roles[i + 1]!, p)).toBe(true);
  });

  it("never lets anyone hand out ownership or a role above their own", () => {
    expect(assignableRoles("owner")).toEqual(["viewer", "editor", "admin"]);
    expect(assignableRoles("admin")).toEqual(["viewer", "editor", "admin"]);
    expect(assignableRoles("editor")).toEqual([]);
  });
});
