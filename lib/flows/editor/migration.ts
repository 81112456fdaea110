import { z } from "zod";
import { idSchema } from "../catalog";
import type { EditorGraph } from "./graph-ops";

/**
 * The migration map shown when publishing over a version with contacts waiting: for each node
 * of the running version where contacts wait, the node of the new version where they continue,
 * or null to let them finish on the version they are in.
 */

export const migrationMapSchema = z.record(idSchema, idSchema.nullable());
export type MigrationMap = z.infer<typeof migrationMapSchema>;

export type WaitingAt = { nodeId: string; count: number };

/**
 * The suggestion: a node that still exists with the same kind keeps its contacts (they resume
 * there, restarting the wait); anything else finishes on the old version.
 */
export function suggestMigration(waiting: readonly WaitingAt[], before: EditorGraph, after: EditorGraph): MigrationMap {
  const oldKind = new Map(before.nodes.map((n) => [n.id, n.kind]));
  const newKind = new Map(after.nodes.map((n) => [n.id, n.kind]));
  const map: MigrationMap = {};
  for (const w of waiting) {
    if (w.count <= 0) continue;
    const kind = oldKind.get(w.nodeId);
    map[w.nodeId] = kind !== undefined && newKind.get(w.nodeId) === kind ? w.nodeId : null;
  }
  return map;
}

/** Targets must be nodes of the new version that are not its trigger; returns the problems found. */
export function checkMigration(map: MigrationMap, newNodes: readonly { id: string; trigger: boolean }[]): string[] {
  const nodes = new Map(newNodes.map((n) => [n.id, n]));
  const problems: string[] = [];
  for (const [from, to] of Object.entries(map)) {
    if (to === null) continue;
    const target = nodes.get(to);
    if (!target) problems.push(`Contacts waiting at "${from}" are mapped to "${to}", which is not in the new version.`);
    else if (target.trigger) problems.push(`Contacts waiting at "${from}" cannot continue at the trigger "${to}".`);
  }
  return problems;
}

/** Only the entries that move someone: nodes mapped to null stay on the old version. */
export function movingEntries(map: MigrationMap): [string, string][] {
  return Object.entries(map).filter((e): e is [string, string] => e[1] !== null);
}
