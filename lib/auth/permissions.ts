/**
 * The role matrix: one place that both the server (every action and route) and the UI (what it
 * offers) read. Roles are ordered; each permission names the least role that holds it.
 */

export const roles = ["viewer", "editor", "admin", "owner"] as const;
export type Role = (typeof roles)[number];

const rank: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

export const permissions = {
  "workspace.read": "viewer",
  /** Broadcasts: viewers see them; editors write drafts and send them (schedule, cancel, pause, resume). */
  "broadcasts.read": "viewer",
  "broadcasts.edit": "editor",
  "broadcasts.send": "editor",
  "flows.edit": "editor",
  "flows.publish": "editor",
  "templates.edit": "editor",
  "forms.edit": "editor",
  "segments.edit": "editor",
  "contacts.edit": "editor",
  "contacts.import": "editor",
  "members.manage": "admin",
  "api_keys.manage": "admin",
  "settings.manage": "admin",
  "audit.read": "admin",
  /** Notices of trouble (failed runs), in the app and by mail. */
  "notices.read": "admin",
  "contacts.export": "admin",
  "contacts.erase": "admin",
  "workspace.delete": "owner",
  "ownership.transfer": "owner",
} as const satisfies Record<string, Role>;

export type Permission = keyof typeof permissions;

export function can(role: Role, permission: Permission): boolean {
  return rank[role] >= rank[permissions[permission]];
}

/** Roles a member may hand out: never above their own, and ownership only by transfer. */
export function assignableRoles(actor: Role): Role[] {
  if (!can(actor, "members.manage")) return [];
  return roles.filter((r) => r !== "owner" && rank[r] <= rank[actor]);
}

export const roleLabels: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  editor: "Editor",
  viewer: "Viewer",
};
