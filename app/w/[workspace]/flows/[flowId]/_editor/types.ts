import type { FlowGraph } from "@/lib/flows/graph";

/** What the server page hands the client editor: plain JSON only. */

/** `failed`: runs that failed for good at the node and wait for a retry or an exit (the failed list). */
export type NodeStats = { entered: number; waitingNow: number; completed: number; exited: number; converted: number; failed: number };

export type EditorVersion = { id: string; number: number; note: string | null; publishedAt: string; publishedBy: string | null; graph: FlowGraph | null };

export type Pickers = {
  /** Archived templates are listed (flagged) so a node that sends one still names it; the select offers only the others. */
  templates: { id: string; name: string; subject: string; archived: boolean }[];
  tags: string[];
  events: string[];
  attributes: string[];
  segments: { id: string; name: string }[];
  /** The workspace's members, for the notify-team node's picker. */
  members: { id: string; name: string | null; email: string | null }[];
};

export type DryRunContact = { id: string; email: string; firstName: string | null; timeZone: string | null; attributes: Record<string, unknown>; tags: string[] };

export type WaitingContact = { enrollmentId: string; email: string; firstName: string | null; since: string | null };

export type Trace = {
  enrollmentId: string;
  email: string;
  status: string;
  exitReason: string | null;
  version: number;
  trigger: Record<string, unknown>;
  steps: { nodeId: string; outcome: string; exit: string | null; detail: string; at: string; finishedAt: string | null }[];
};

export type EditorProps = {
  workspace: string;
  timeZone: string;
  flow: { id: string; name: string; status: string; revision: number; currentVersionId: string | null; providerWaitHours: number };
  /** Open failed runs of the flow, at any node (the failed list's count). */
  failedTotal: number;
  draft: FlowGraph;
  /** The draft did not parse; the editor starts from what could be read. */
  draftProblem: string | null;
  canEdit: boolean;
  canPublish: boolean;
  /** false: no autosave and no live refresh (the benchmark page). */
  persist?: boolean;
  versions: EditorVersion[];
  stats: Record<string, NodeStats>;
  /** Contacts at each node of the current version now (the migration map's rows). */
  waitingInCurrent: { nodeId: string; count: number }[];
  pickers: Pickers;
  /**
   * Templates whose content changed since the current version pinned them: the version still
   * sends what it pinned, and the edit reaches the flow when it is published again.
   */
  changedTemplates: string[];
  contacts: DryRunContact[];
  waitingList: { nodeId: string; contacts: WaitingContact[] } | null;
  trace: Trace | null;
};
