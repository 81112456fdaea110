/** The workspace sections, in navigation order. */
export const sections = [
  { slug: "flows", label: "Flows" },
  { slug: "broadcasts", label: "Broadcasts" },
  { slug: "contacts", label: "Contacts" },
  { slug: "segments", label: "Segments" },
  { slug: "forms", label: "Forms" },
  { slug: "templates", label: "Templates" },
  { slug: "reports", label: "Reports" },
  { slug: "settings", label: "Settings" },
] as const;
