import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { ACTIONS } from "../src/actions/registry.js";
import { LIMITS } from "../src/ground/limits.js";
import { getPath, makeHome, runCli, startServer, type TestServer } from "./helpers.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const READ_ONLY_OR_SAFE = new Set(["workspace_status", "list_workspaces", "switch_workspace", "list_files", "read_file", "search_text", "git_status", "git_diff", "command_output", "kill_command"]);
const CONSEQUENTIAL = new Set(["write_file", "apply_patch", "exec_command"]);

/** Visit every schema object below `node`, with its JSON path. */
function walk(node: unknown, path: string, visit: (schema: Json, path: string) => void): void {
  if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${path}[${i}]`, visit));
  if (node === null || typeof node !== "object") return;
  visit(node as Json, path);
  for (const [key, value] of Object.entries(node)) walk(value, `${path}.${key}`, visit);
}

describe("OpenAPI document (contract §3)", () => {
  let s: TestServer;
  let doc: Json;
  before(async () => {
    s = await startServer(makeHome({ change: (c) => (c.consequential = { exec_command: false }) }));
    doc = (await getPath(s.url, "/openapi.json")).json;
  });
  after(() => s.close());

  it("is valid OpenAPI 3.1.0 according to an independent validator", async () => {
    assert.equal(doc.openapi, "3.1.0");
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it("has the public base URL as servers[0] and follows a change at once", async () => {
    assert.equal(doc.servers[0].url, "https://example-tunnel.trycloudflare.com");
    assert.equal(runCli(["set-public-url", "https://other.example.com/"], s.home).code, 0);
    const fresh = (await getPath(s.url, "/openapi.json")).json;
    assert.equal(fresh.servers[0].url, "https://other.example.com");
  });

  it("has exactly one bearer security scheme, public GETs without security", () => {
    assert.deepEqual(doc.components.securitySchemes, { bearerAuth: { type: "http", scheme: "bearer" } });
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    for (const [path, item] of Object.entries<Json>(doc.paths)) {
      if (item.get) assert.deepEqual(item.get.security, [], `${path} GET must be public`);
    }
    assert.equal(doc.paths["/mcp"], undefined, "the MCP face is not an Action");
  });

  it("has one POST operation per registered action whose operationId is the action name (§6), ≤ 30 in all", () => {
    const operations = Object.values<Json>(doc.paths).flatMap((item) => Object.values<Json>(item));
    assert.ok(operations.length <= LIMITS.maxOperations, `${operations.length} operations`);
    const ids = operations.map((op) => op.operationId);
    assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
    for (const action of ACTIONS) {
      const op = doc.paths[`/${action.name}`]?.post;
      assert.ok(op, `missing /${action.name}`);
      assert.equal(op.operationId, action.name, "one name: path, operationId and MCP tool agree");
      assert.match(op.operationId, /^[a-z]+(_[a-z]+)*$/, "snake_case");
    }
    for (const name of ["workspace_status", "read_file", "write_file", "apply_patch", "exec_command", "command_output", "kill_command", "git_diff"]) {
      assert.equal(doc.paths[`/${name}`]?.post?.operationId, name);
    }
  });

  it("keeps summaries ≤ 300 and property descriptions ≤ 700 characters", () => {
    walk(doc.paths, "paths", (node, path) => {
      if (typeof node.summary === "string") assert.ok(node.summary.length <= LIMITS.operationSummaryChars, `${path}.summary`);
      if (typeof node.description === "string") {
        const limit = node.operationId ? LIMITS.operationSummaryChars : LIMITS.propertyDescriptionChars;
        assert.ok(node.description.length <= limit, `${path}.description is ${node.description.length} chars`);
      }
    });
  });

  it("gives every object schema properties, components.schemas an object, and no $ref cycles", () => {
    assert.equal(typeof doc.components.schemas, "object");
    walk(doc, "doc", (node, path) => {
      if (node.type === "object" || (Array.isArray(node.type) && node.type.includes("object"))) {
        assert.equal(typeof node.properties, "object", `${path} lacks properties`);
      }
      if (typeof node.$ref === "string") assert.match(node.$ref, /^#\/components\/schemas\/[A-Za-z]+$/, `${path} $ref`);
    });
    walk(doc.components.schemas, "schemas", (node, path) => {
      assert.equal(node.$ref, undefined, `${path}: component schemas must not reference others (no cycles)`);
    });
  });

  it("marks read-only actions not consequential and writes consequential unless the user relaxed them", () => {
    for (const action of ACTIONS) {
      const flag = doc.paths[`/${action.name}`].post["x-openai-isConsequential"];
      if (READ_ONLY_OR_SAFE.has(action.name)) assert.equal(flag, false, action.name);
      else if (action.name === "exec_command") assert.equal(flag, false, "config relaxed exec_command");
      else if (CONSEQUENTIAL.has(action.name)) assert.equal(flag, true, action.name);
    }
  });

  it("bounds every string a request carries: maxLength ≤ 100,000 (content fields included), and no field besides the listed ones", () => {
    const unbounded: string[] = [];
    for (const action of ACTIONS) {
      const schema = doc.paths[`/${action.name}`].post.requestBody.content["application/json"].schema;
      assert.equal(schema.additionalProperties, false, `${action.name}: unknown fields are refused, and the document says so`);
      walk(schema, action.name, (node, path) => {
        const isString = node.type === "string" || (Array.isArray(node.type) && node.type.includes("string"));
        if (!isString || node.enum) return;
        if (typeof node.maxLength !== "number" || node.maxLength > LIMITS.inputStringChars) unbounded.push(`${path} (${node.maxLength})`);
      });
    }
    assert.deepEqual(unbounded, []);
    const body = (action: string) => doc.paths[`/${action}`].post.requestBody.content["application/json"].schema.properties;
    // The fields that carry content: each has a limit of its own.
    for (const [action, field] of [["write_file", "content"], ["apply_patch", "patch"], ["exec_command", "command"], ["write_stdin", "input"], ["search_text", "query"], ["command_output", "pattern"]]) {
      assert.ok(body(action!)[field!].maxLength <= 100_000, `${action}.${field}`);
    }
    assert.match(doc.paths["/write_file"].post.summary, /append/, "write_file says how long files are written");
  });

  it("is the same document the CLI prints (one source)", () => {
    const printed = JSON.parse(runCli(["openapi"], s.home).stdout);
    assert.deepEqual(Object.keys(printed.paths), Object.keys(doc.paths));
    assert.deepEqual(printed.paths["/switch_workspace"], doc.paths["/switch_workspace"]);
  });
});
