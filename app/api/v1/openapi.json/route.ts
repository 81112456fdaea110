import { openApiDocument } from "@/lib/api/openapi";
import { env } from "@/lib/env";

export function GET() {
  return Response.json(openApiDocument(env().appUrl), { headers: { "access-control-allow-origin": "*" } });
}
