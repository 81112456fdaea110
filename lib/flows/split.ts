/**
 * Deterministic random split. The runner and the simulator must send a contact down the same
 * branch, and a retried step must not re-roll, so the "random" number is a hash of the contact
 * and the node rather than Math.random(). Changing this function reshuffles live splits: don't.
 */

/** 32-bit FNV-1a over UTF-16 code units, then murmur3's finaliser to spread nearby inputs. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) fixed for this contact at this node. */
export function splitFraction(contactId: string, nodeId: string): number {
  return stableHash(`${contactId}\u0000${nodeId}`) / 0x1_0000_0000;
}

/** The branch this contact takes at this split, chosen with probability proportional to weight. */
export function pickSplitBranch<B extends { id: string; weight: number }>(contactId: string, nodeId: string, branches: readonly B[]): B {
  const total = branches.reduce((sum, b) => sum + Math.max(0, b.weight), 0);
  if (branches.length === 0 || total <= 0) throw new Error("a split needs branches with positive weight");
  const point = splitFraction(contactId, nodeId) * total;
  let cumulative = 0;
  for (const branch of branches) {
    cumulative += Math.max(0, branch.weight);
    if (point < cumulative) return branch;
  }
  // Floating point can leave `point` a hair above the last boundary.
  return branches[branches.length - 1]!;
}
