import { MS } from "./duration";
import type { FlowGraph } from "./graph";

/**
 * Starter flows a marketer can begin from instead of an empty canvas. Each is a complete graph
 * that compiles once its send nodes name templates: the editor creates the flow with the
 * templates the workspace has (or leaves them empty, and the node asks for one).
 */

export type StarterKey = "blank" | "welcome-double-opt-in" | "abandoned-cart" | "post-purchase" | "birthday" | "re-engagement";

export type StarterOptions = {
  /** A template id for each send slot ("confirm", "welcome", …); "" leaves the node for the marketer to fill. */
  template?: (slot: string) => string;
  /** The segment of inactive subscribers, for the re-engagement starter. */
  segmentId?: string;
};

type Build = (o: Required<StarterOptions>) => { nodes: [string, string, Record<string, unknown>, string?][]; edges: [string, string, string][] };

const starters: Record<StarterKey, { title: string; description: string; build: Build }> = {
  blank: {
    title: "Empty canvas",
    description: "Start from nothing: drag a trigger from the palette.",
    build: () => ({ nodes: [], edges: [] }),
  },
  "welcome-double-opt-in": {
    title: "Welcome series with double opt-in",
    description: "Ask new signups to confirm, then send two welcome emails two days apart.",
    build: (o) => ({
      nodes: [
        ["signup", "form-submitted", { formId: null }, "Signed up"],
        ["confirm", "send-email", { templateId: o.template("confirm") }, "Please confirm"],
        ["confirmed", "wait-for-event", { event: "Subscription Confirmed", filters: [], correlate: null, timeoutMs: 3 * MS.day }, "Confirmed?"],
        ["welcome1", "send-email", { templateId: o.template("welcome") }, "Welcome"],
        ["pause", "delay", { durationMs: 2 * MS.day }],
        ["welcome2", "send-email", { templateId: o.template("welcome-2") }, "Getting started"],
        ["done", "exit", { reason: "welcomed" }],
        ["unconfirmed", "exit", { reason: "never confirmed" }],
      ],
      edges: [
        ["signup", "next", "confirm"],
        ["confirm", "next", "confirmed"],
        ["confirmed", "matched", "welcome1"],
        ["confirmed", "timeout", "unconfirmed"],
        ["welcome1", "next", "pause"],
        ["pause", "next", "welcome2"],
        ["welcome2", "next", "done"],
      ],
    }),
  },
  "abandoned-cart": {
    title: "Abandoned cart",
    description: "When a cart gets a product, wait for the purchase of that same cart; remind those who do not buy.",
    build: (o) => ({
      nodes: [
        ["cart", "event-tracked", { event: "Product Added", filters: [] }, "Product added to cart"],
        [
          "purchase",
          "wait-for-event",
          { event: "Order Completed", filters: [], correlate: { eventProperty: "cartId", triggerProperty: "cartId" }, timeoutMs: 4 * MS.hour },
          "Bought this cart?",
        ],
        ["bought", "goal", { name: "Purchased", event: null }],
        ["reminder", "send-email", { templateId: o.template("cart-reminder") }, "Cart reminder"],
        ["end", "exit", { reason: "reminded" }],
      ],
      edges: [
        ["cart", "next", "purchase"],
        ["purchase", "matched", "bought"],
        ["purchase", "timeout", "reminder"],
        ["reminder", "next", "end"],
      ],
    }),
  },
  "post-purchase": {
    title: "Post-purchase review and upsell",
    description: "A week after an order ask for a review; offer a matching product to those who click.",
    build: (o) => ({
      nodes: [
        ["order", "event-tracked", { event: "Order Completed", filters: [] }, "Order completed"],
        ["week", "delay", { durationMs: 7 * MS.day }],
        ["review", "send-email", { templateId: o.template("review") }, "Review request"],
        ["later", "delay", { durationMs: 3 * MS.day }],
        [
          "clicked",
          "condition",
          { mode: "yes-no", match: "all", rules: [{ type: "email", action: "clicked", sendNodeId: "review", templateId: null, withinMs: null }] },
          "Clicked the review?",
        ],
        ["upsell", "send-email", { templateId: o.template("upsell") }, "Upsell"],
        ["thanks", "exit", { reason: "upsold" }],
        ["quiet", "exit", { reason: "no click" }],
      ],
      edges: [
        ["order", "next", "week"],
        ["week", "next", "review"],
        ["review", "next", "later"],
        ["later", "next", "clicked"],
        ["clicked", "yes", "upsell"],
        ["clicked", "no", "quiet"],
        ["upsell", "next", "thanks"],
      ],
    }),
  },
  birthday: {
    title: "Birthday greeting",
    description: "On each contact's birthday at 09:00 their time, send a greeting.",
    build: (o) => ({
      nodes: [
        ["birthday", "date-anniversary", { attribute: "birthday", offsetDays: 0, time: "09:00" }, "Birthday"],
        ["greeting", "send-email", { templateId: o.template("birthday") }, "Happy birthday"],
        ["end", "exit", { reason: "greeted" }],
      ],
      edges: [
        ["birthday", "next", "greeting"],
        ["greeting", "next", "end"],
      ],
    }),
  },
  "re-engagement": {
    title: "Re-engagement of inactive subscribers",
    description: "Write to subscribers who went quiet; tag those who come back, mark the rest inactive.",
    build: (o) => ({
      nodes: [
        ["inactive", "segment-entered", { segmentId: o.segmentId }, "Became inactive"],
        ["miss", "send-email", { templateId: o.template("we-miss-you") }, "We miss you"],
        ["wait", "delay", { durationMs: 5 * MS.day }],
        [
          "back",
          "condition",
          { mode: "yes-no", match: "any", rules: [{ type: "email", action: "clicked", sendNodeId: "miss", templateId: null, withinMs: null }] },
          "Came back?",
        ],
        ["reengaged", "add-tag", { tag: "re-engaged" }],
        ["gone", "add-tag", { tag: "inactive" }],
        ["end-back", "exit", { reason: "re-engaged" }],
        ["end-gone", "exit", { reason: "inactive" }],
      ],
      edges: [
        ["inactive", "next", "miss"],
        ["miss", "next", "wait"],
        ["wait", "next", "back"],
        ["back", "yes", "reengaged"],
        ["back", "no", "gone"],
        ["reengaged", "next", "end-back"],
        ["gone", "next", "end-gone"],
      ],
    }),
  },
};

export const starterKeys = Object.keys(starters) as StarterKey[];

export function starterInfo(key: StarterKey): { title: string; description: string } {
  const s = starters[key];
  return { title: s.title, description: s.description };
}

export function isStarterKey(key: string): key is StarterKey {
  return Object.prototype.hasOwnProperty.call(starters, key);
}

/** The starter's graph, laid out top to bottom (branches side by side); the editor can re-lay it out. */
export function starterGraph(key: StarterKey, options: StarterOptions = {}): FlowGraph {
  const built = starters[key].build({ template: options.template ?? (() => ""), segmentId: options.segmentId ?? "" });
  // Depth by longest path from the root; columns by order of appearance within a depth.
  const depth = new Map<string, number>();
  for (const [id] of built.nodes) depth.set(id, 0);
  for (let pass = 0; pass < built.nodes.length; pass++) {
    for (const [s, , t] of built.edges) depth.set(t, Math.max(depth.get(t) ?? 0, (depth.get(s) ?? 0) + 1));
  }
  const column = new Map<number, number>();
  return {
    nodes: built.nodes.map(([id, kind, config, label]) => {
      const d = depth.get(id) ?? 0;
      const c = column.get(d) ?? 0;
      column.set(d, c + 1);
      return { id, kind, config, position: { x: c * 260, y: d * 140 }, ...(label ? { label } : {}) };
    }),
    edges: built.edges.map(([source, sourceHandle, target]) => ({ id: `${source}-${sourceHandle}-${target}`, source, sourceHandle, target })),
  };
}
