// The one re-export file: drizzle-kit and drizzle's relational queries need the whole schema.
export * from "./auth";
export * from "./workspaces";
export * from "./contacts";
export * from "./flows";
export * from "./forms";
export * from "./email";
export * from "./tracking";
export * from "./segments";
export * from "./analytics";
export * from "./imports";
export * from "./repermission";
export * from "./broadcasts";
