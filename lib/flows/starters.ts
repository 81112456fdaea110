import { MS } from "./duration";
import type { FlowGraph } from "./graph";

/**
 * Starter flows a marketer can begin from instead of an empty canvas. Each is a complete graph
 * that compiles once its send nodes name templates. Each send slot comes with a template made for
 * it (`starterTemplates`): creating a flow from a starter gives every send node the workspace's
 * template of that name, creating it from this draft when there is none (docs/flows.md, "Starters").
 */

export type StarterKey = "blank" | "welcome-double-opt-in" | "abandoned-cart" | "post-purchase" | "birthday" | "re-engagement";

export type StarterOptions = {
  /** A template id for each send slot ("welcome", "welcome-2", …); "" leaves the node for the marketer to fill. */
  template?: (slot: string) => string;
  /** The segment of inactive subscribers, for the re-engagement starter. */
  segmentId?: string;
};

/** The template a starter proposes for one of its send slots: a draft for the marketer to edit. */
export type StarterTemplate = {
  /** The send slot (what `StarterOptions.template` is asked for). */
  slot: string;
  /** The send node that uses it. */
  nodeId: string;
  /** Named after the step, like "Welcome — step 1"; an existing template of this name is used instead. */
  name: string;
  class: "marketing" | "transactional";
  /** null: the general list. */
  topic: string | null;
  subject: string;
  preheader: string;
  /** Template markup (lib/email/markup.ts); the footer with the unsubscribe link is added when sending. */
  markup: string;
};

type Draft = Omit<StarterTemplate, "slot" | "nodeId" | "class" | "topic"> & Partial<Pick<StarterTemplate, "class" | "topic">>;
type Build = (o: Required<StarterOptions>) => { nodes: [string, string, Record<string, unknown>, string?][]; edges: [string, string, string][] };

const hi = "Hi {{ contact.first_name | default: \"there\" }},";
const shop = "https://example.com";

const starters: Record<StarterKey, { title: string; description: string; build: Build; templates: Record<string, Draft> }> = {
  blank: {
    title: "Empty canvas",
    description: "Start from nothing: drag a trigger from the palette.",
    build: () => ({ nodes: [], edges: [] }),
    templates: {},
  },
  "welcome-double-opt-in": {
    title: "Welcome series with double opt-in",
    description:
      "New signups confirm their address first (the form's double opt-in mail asks them); once they do, send two welcome emails two days apart.",
    // Forms with double opt-in send the confirmation mail themselves and start form-triggered flows
    // only when the contact confirms, so nothing here mails an unconfirmed address.
    build: (o) => ({
      nodes: [
        ["signup", "form-submitted", { formId: null }, "Signed up and confirmed"],
        ["welcome1", "send-email", { templateId: o.template("welcome") }, "Welcome"],
        ["pause", "delay", { durationMs: 2 * MS.day }],
        ["welcome2", "send-email", { templateId: o.template("welcome-2") }, "Getting started"],
        ["done", "exit", { reason: "welcomed" }],
      ],
      edges: [
        ["signup", "next", "welcome1"],
        ["welcome1", "next", "pause"],
        ["pause", "next", "welcome2"],
        ["welcome2", "next", "done"],
      ],
    }),
    templates: {
      welcome: {
        name: "Welcome — step 1",
        subject: "Welcome to {{ workspace.name }}",
        preheader: "Thanks for confirming your subscription.",
        markup: `# Welcome!\n\n${hi}\n\nThanks for confirming your subscription to {{ workspace.name }}. Here is what to expect from us: news, tips and offers, never more than we think is worth your time.\n\n[button: Visit us](${shop})`,
      },
      "welcome-2": {
        name: "Welcome — step 2",
        subject: "Getting started with {{ workspace.name }}",
        preheader: "A few things worth knowing.",
        markup: `# Getting started\n\n${hi}\n\nNow that you have been with us for a couple of days, here are a few places to start.\n\n[button: Get started](${shop})`,
      },
    },
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
    templates: {
      "cart-reminder": {
        name: "Abandoned cart — reminder",
        subject: "You left something in your cart",
        preheader: "Your cart is saved for you.",
        markup: `# Still thinking it over?\n\n${hi}\n\nYou left something in your cart. It is still there whenever you are ready.\n\n[button: Back to my cart](${shop}/cart)`,
      },
    },
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
    templates: {
      review: {
        name: "Post-purchase — review request",
        subject: "How is your order?",
        preheader: "Tell us what you think: it takes a minute.",
        markup: `# How did we do?\n\n${hi}\n\nYour order arrived a few days ago. Would you tell other customers what you think of it?\n\n[button: Write a review](${shop}/reviews)`,
      },
      upsell: {
        name: "Post-purchase — upsell",
        subject: "Picked for you",
        preheader: "Goes well with what you bought.",
        markup: `# Picked for you\n\n${hi}\n\nHere is something that goes well with your last order.\n\n[button: Have a look](${shop})`,
      },
    },
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
    templates: {
      birthday: {
        name: "Birthday — greeting",
        subject: "Happy birthday, {{ contact.first_name | default: \"friend\" }}!",
        preheader: "A little something from us.",
        markup: `# Happy birthday!\n\n${hi}\n\nEveryone at {{ workspace.name }} wishes you a wonderful day.\n\n[button: Your birthday treat](${shop})`,
      },
    },
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
    templates: {
      "we-miss-you": {
        name: "Re-engagement — we miss you",
        subject: "We miss you, {{ contact.first_name | default: \"friend\" }}",
        preheader: "Still interested? One click tells us.",
        markup: `# We miss you\n\n${hi}\n\nWe have not heard from you in a while. If you still want our emails, click below; if not, no hard feelings: you can leave with the link at the bottom.\n\n[button: Yes, keep me posted](${shop})`,
      },
    },
  },
};

export const starterKeys = Object.keys(starters) as StarterKey[];

export function starterInfo(key: StarterKey): { title: string; description: string } {
  const s = starters[key];
  return { title: s.title, description: s.description };
}

/**
 * The templates a starter's send nodes get, one per send slot, in the order of the graph. Slots a
 * build does not use (none today) are left out, so every entry names a real send node.
 */
export function starterTemplates(key: StarterKey): StarterTemplate[] {
  const s = starters[key];
  const built = s.build({ template: (slot) => `slot:${slot}`, segmentId: "" });
  const out: StarterTemplate[] = [];
  for (const [nodeId, kind, config] of built.nodes) {
    if (kind !== "send-email" || typeof config.templateId !== "string") continue;
    const slot = config.templateId.slice("slot:".length);
    const draft = s.templates[slot];
    if (draft) out.push({ slot, nodeId, class: "marketing", topic: null, ...draft });
  }
  return out;
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
