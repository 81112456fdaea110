// For scripts run outside Next (benchmarks): "server-only" guards modules against client bundles and
// throws when imported anywhere else; here it resolves to an empty module, as Next's server build does.
import { register } from "node:module";

register(
  "data:text/javascript," +
    encodeURIComponent(
      `export async function resolve(specifier, context, next) {
        if (specifier === "server-only") return { url: "data:text/javascript,", shortCircuit: true };
        return next(specifier, context);
      }`,
    ),
);
