import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { API_ERROR_CODES, API_ERROR_STATUS, apiErrorCodeOf } from "./errors";
import { openApiDocument } from "./openapi";

function routes(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) routes(p, out);
    else if (name === "route.ts") out.push(p);
  }
  return out;
}

describe("the OpenAPI document", () => {
  it("describes exactly the REST routes that exist, method by method", () => {
    const base = path.resolve("app/api/v1");
    const served = routes(base)
      .filter((f) => !f.includes("openapi.json"))
      .flatMap((f) => {
        const urlPath = `/api/v1${path.dirname(f).slice(base.length).split(path.sep).join("/")}`.replace(/\[([^\]]+)\]/g, "{$1}");
        const methods = [...readFileSync(f, "utf8").matchAll(/export const (GET|POST|PUT|PATCH|DELETE)\b/g)].map((m) => m[1]!.toLowerCase());
        return methods.map((m) => `${m} ${urlPath}`);
      })
      .sort();
    const doc = openApiDocument("http://localhost:3000");
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .sort();
    expect(documented).toEqual(served);
  });

  it("gives request bodies the schemas the routes parse with", () => {
    const post = openApiDocument("http://x").paths["/api/v1/contacts"].post.requestBody.content["application/json"].schema as {
      required?: string[];
      properties: Record<string, unknown>;
    };
    expect(post.required).toEqual(["email"]);
    expect(Object.keys(post.properties)).toEqual(expect.arrayContaining(["email", "first_name", "attributes", "external_id"]));
  });

  it("documents the broadcast bodies with the fields the routes take, and the illegal moves as 409", () => {
    const doc = openApiDocument("http://x");
    const create = doc.paths["/api/v1/broadcasts"].post.requestBody.content["application/json"].schema as { required?: string[]; properties: Record<string, unknown>; additionalProperties?: unknown };
    expect(create.required).toEqual(["name"]);
    expect(Object.keys(create.properties)).toEqual(expect.arrayContaining(["name", "template_id", "subject", "audience", "bypass_caps", "from_email", "utm"]));
    expect(create.additionalProperties).toBe(false);
    const schedule = doc.paths["/api/v1/broadcasts/{broadcastId}/schedule"].post;
    expect(Object.keys((schedule.requestBody.content["application/json"].schema as { properties: object }).properties)).toEqual(["send_at"]);
    for (const p of ["schedule", "cancel", "pause", "resume"] as const) expect(doc.paths[`/api/v1/broadcasts/{broadcastId}/${p}`].post.responses).toHaveProperty("409");
  });

  it("documents every error code in the error schema, and each status maps back to its one code", () => {
    const doc = openApiDocument("http://x");
    const schema = doc.paths["/api/v1/contacts"].post.responses["409"].content["application/json"].schema;
    expect(schema.properties.error.required).toEqual(["code", "message"]);
    expect(schema.properties.error.properties.code.enum).toEqual(API_ERROR_CODES);
    expect(API_ERROR_CODES).toEqual(expect.arrayContaining(["validation_failed", "unauthorized", "not_found", "conflict", "unavailable", "internal"]));
    for (const code of API_ERROR_CODES) expect(apiErrorCodeOf(API_ERROR_STATUS[code])).toBe(code);
    expect(doc.paths["/api/v1/contacts/{id}"].get.responses["404"]).toMatchObject({ content: { "application/json": { schema } } });
    expect(doc.paths["/api/v1/topics"].get.responses["503"].headers).toHaveProperty("Retry-After");
  });
});
