import { Liquid, Tag, type FS, type LiquidOptions, type TagToken, type TopLevelToken } from "liquidjs";

/**
 * The product's Liquid engines. liquidjs reads partials and layouts from the server's disk by
 * default (`{% include 'package.json' %}` printed the file), so every engine here has no file
 * system at all: the tags that would read one are refused when a template is parsed, with an
 * error naming the tag, and the file system liquidjs would use refuses every lookup, so even a
 * template parsed some other way can never read a file.
 */

/** The tags that load another template by name; liquidjs would read it from disk. */
export const FILE_TAGS = ["include", "render", "layout"] as const;

/** What a refused tag's parse error says; `refusedFileTag` finds it again in an error. */
const refusal = (tag: string) => `the {% ${tag} %} tag is not available: templates cannot read files`;

export function refusedFileTag(err: unknown): string | null {
  const message = err instanceof Error ? err.message : String(err);
  return /the \{% (\w+) %\} tag is not available: templates cannot read files/.exec(message)?.[1] ?? null;
}

const cannotRead = (path: string) => new Error(`templates cannot read files (asked for "${path}")`);

/** A file system in which nothing exists and nothing can be read. */
const noFileSystem: FS = {
  exists: () => Promise.resolve(false),
  existsSync: () => false,
  readFile: (p) => Promise.reject(cannotRead(p)),
  readFileSync: (p) => {
    throw cannotRead(p);
  },
  resolve: (_dir, file) => file,
  contains: () => Promise.resolve(false),
  containsSync: () => false,
  sep: "/",
  dirname: () => "",
  fallback: () => undefined,
};

function refusedTag(name: string) {
  return class extends Tag {
    constructor(token: TagToken, remain: TopLevelToken[], liquid: Liquid) {
      super(token, remain, liquid);
      throw new Error(refusal(name));
    }
    *render(): Generator<unknown, void, unknown> {}
  };
}

// Limits keep a careless template (a loop over a huge attribute) from stalling a send.
// renderLimit is wall-clock ms per render: generous, since a busy machine must not fail a send.
const LIMITS = { parseLimit: 200_000, renderLimit: 5_000, memoryLimit: 20_000_000 };

/** A Liquid engine with no file system; `escape` HTML-escapes every output tag. */
export function liquidEngine(opts: { escape: boolean }): Liquid {
  const options: LiquidOptions = {
    ...LIMITS,
    ...(opts.escape ? { outputEscape: "escape" as const } : {}),
    ownPropertyOnly: true,
    strictFilters: true,
    fs: noFileSystem,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
  };
  const engine = new Liquid(options);
  for (const tag of FILE_TAGS) engine.registerTag(tag, refusedTag(tag));
  return engine;
}

/** Why `source` cannot be used, when it names a tag that would read a file; null otherwise. */
export function fileTagProblem(source: string): string | null {
  try {
    textEngine.parse(source);
    return null;
  } catch (err) {
    return refusedFileTag(err) ? (err as Error).message.split("\n")[0]! : null;
  }
}

/** HTML output: values are HTML-escaped. */
export const htmlEngine = liquidEngine({ escape: true });
/** Subjects, text parts, webhook bodies: nothing is escaped. */
export const textEngine = liquidEngine({ escape: false });
