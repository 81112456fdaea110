export * from "./definition";
export * from "./evaluate";
