import type { MergeTag } from "./editor";

/** The merge-tag menu: built-in fields, the workspace's attributes, trigger data. */
export function mergeTagMenu(attributes: string[]): MergeTag[] {
  return [
    { tag: '{{ contact.first_name | default: "there" }}', label: "First name (or “there”)" },
    { tag: "{{ contact.last_name }}", label: "Last name" },
    { tag: "{{ contact.email }}", label: "Email address" },
    ...attributes.map((a) => ({ tag: `{{ contact.${a} }}`, label: `Attribute: ${a}` })),
    { tag: "{{ trigger.name }}", label: "Trigger event property (e.g. name)" },
    { tag: "{{ workspace.name }}", label: "Workspace name" },
    { tag: "{{ view_url }}", label: "View in browser link (broadcasts and flow mail)" },
    { tag: "{{ confirm_url }}", label: "Confirmation link (re-permission mail; required there)" },
    { tag: "{% if contact.first_name %}…{% endif %}", label: "Only if a field is set" },
  ];
}
