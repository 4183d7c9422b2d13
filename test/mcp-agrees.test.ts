/**
 * The MCP face agrees with the OpenAPI document (issue 21, part 6): the tool
 * annotations say what `x-openai-isConsequential` says, a successful call
 * carries the OpenAPI answer as structuredContent and as the same JSON in text,
 * and docs/mcp.md (and its Chinese twin) list exactly the registry's tools.
 * Driven by the official MCP SDK client over real HTTP and, for the answers'
 * shape, over stdio too.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import { actionEffects } from "../src/actions/define.js";
import { ACTIONS } from "../src/actions/registry.js";
import { updateConfig } from "../src/config/store.js";
import { CLI, PLAIN_ENGLISH, getPath, makeHome, startServer, type TestServer } from "./helpers.js";
import { assertRefused, call, connect, okBody, text, type Json } from "./mcp-helpers.js";
import { requires, type Need } from "./preconditions.js";

const GIT: Need = { ok: () => spawnSync("git", ["--version"]).status === 0, reason: "needs git" };
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const NAMES = ACTIONS.map((action) => action.name);

/** The operation of an action in /openapi.json. */
function operation(doc: Json, name: string): Json {
  const op = doc.paths?.[`/${name}`]?.post as Json | undefined;
  assert.ok(op, `/openapi.json has POST /${name}`);
  return op;
}

describe("MCP annotations say what x-openai-isConsequential says", () => {
  let s: TestServer;
  let client: Client;
  let tools: Tool[];
  let doc: Json;
  before(async () => {
    s = await startServer();
    client = await connect(s);
    tools = (await client.listTools()).tools;
    doc = (await getPath(s.url, "/openapi.json")).json as Json;
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  it("every action: consequential in OpenAPI ⇔ destructive and not read-only in MCP; the hints MCP would assume are stated", () => {
    assert.deepEqual(tools.map((tool) => tool.name), NAMES);
    for (const tool of tools) {
      const consequential = operation(doc, tool.name)["x-openai-isConsequential"] as unknown;
      assert.equal(typeof consequential, "boolean", `${tool.name}: OpenAPI flag`);
      const hints = tool.annotations ?? {};
      // MCP assumes destructive and open-world when a hint is missing: both must be said.
      for (const key of ["readOnlyHint", "destructiveHint", "openWorldHint"] as const) {
        assert.equal(typeof hints[key], "boolean", `${tool.name}: ${key} is stated`);
      }
      if (consequential) {
        assert.equal(hints.readOnlyHint, false, `${tool.name}: the GPT asks, so it is not read-only for MCP`);
        assert.equal(hints.destructiveHint, true, `${tool.name}: the GPT asks, so MCP clients are told it is destructive`);
        assert.notEqual(hints.idempotentHint, true, `${tool.name}: not idempotent`);
      } else {
        assert.equal(hints.destructiveHint, false, `${tool.name}: the GPT does not ask, so it is not destructive`);
      }
      if (hints.readOnlyHint) assert.equal(consequential, false, `${tool.name}: read-only yet consequential`);
      // idempotentHint defaults to false: it is only ever said when true.
      assert.ok(hints.idempotentHint === undefined || hints.idempotentHint === true, `${tool.name}: idempotentHint only when true`);
      const action = ACTIONS.find((a) => a.name === tool.name)!;
      assert.deepEqual(
        { readOnly: hints.readOnlyHint, consequential, destructive: hints.destructiveHint, idempotent: hints.idempotentHint === true, openWorld: hints.openWorldHint },
        actionEffects(action),
        `${tool.name}: both faces from actionEffects`,
      );
    }
  });

  it("write_stdin: consequential in OpenAPI, so destructive in MCP (text typed into a shell runs); it may reach the network", () => {
    assert.equal(operation(doc, "write_stdin")["x-openai-isConsequential"], true);
    const hints = tools.find((tool) => tool.name === "write_stdin")!.annotations!;
    assert.equal(hints.readOnlyHint, false);
    assert.equal(hints.destructiveHint, true);
    assert.equal(hints.openWorldHint, true);
  });

  it("open world only where the model's programs run (exec_command, write_stdin); idempotent: reads, switch_workspace, kill_command", () => {
    const open = tools.filter((tool) => tool.annotations?.openWorldHint).map((tool) => tool.name);
    assert.deepEqual(open, ["exec_command", "write_stdin"]);
    const idempotent = tools.filter((tool) => tool.annotations?.idempotentHint).map((tool) => tool.name);
    const expected = ACTIONS.filter((a) => a.readOnly || a.name === "switch_workspace" || a.name === "kill_command").map((a) => a.name);
    assert.deepEqual(idempotent, expected);
    for (const name of ["switch_workspace", "kill_command"]) {
      const hints = tools.find((tool) => tool.name === name)!.annotations!;
      assert.equal(hints.readOnlyHint, false, `${name} changes a state`);
      assert.equal(hints.destructiveHint, false, `${name} destroys nothing`);
    }
  });

  it("a user's consequential override changes only whether the GPT asks, not what the MCP hints say", async () => {
    updateConfig(s.home, (config) => {
      config.consequential.exec_command = false;
    });
    const relaxed = (await getPath(s.url, "/openapi.json")).json as Json;
    assert.equal(operation(relaxed, "exec_command")["x-openai-isConsequential"], false);
    const again = (await client.listTools()).tools.find((tool) => tool.name === "exec_command")!;
    assert.equal(again.annotations?.destructiveHint, true);
    assert.equal(again.annotations?.readOnlyHint, false);
    updateConfig(s.home, (config) => {
      delete config.consequential.exec_command;
    });
  });
});

describe("MCP answers are the OpenAPI answers, as structuredContent and the same JSON text", { ...requires(GIT) }, () => {
  let s: TestServer;
  let client: Client;
  let doc: Json;
  const validator = new AjvJsonSchemaValidator();
  const seen = new Set<string>();

  before(async () => {
    s = await startServer();
    writeFileSync(join(s.workspace, "notes.txt"), "first line\nsecond line\n");
    const git = spawnSync("git", ["init", "-q"], { cwd: s.workspace, encoding: "utf8" });
    assert.equal(git.status, 0, git.stderr);
    client = await connect(s);
    doc = (await getPath(s.url, "/openapi.json")).json as Json;
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  /**
   * A successful call whose structuredContent equals its text's JSON and passes the
   * OpenAPI 200 schema with the SDK client's own validator: what the client would
   * check if that schema were declared as the tool's outputSchema.
   */
  async function answer(name: string, args: Json): Promise<Json> {
    const result = await call(client, name, args);
    const body = okBody(result);
    const schema = operation(doc, name).responses["200"].content["application/json"].schema as Json;
    const verdict = validator.getValidator(schema)(result.structuredContent);
    assert.ok(verdict.valid, `${name}: structuredContent fits the OpenAPI answer schema: ${verdict.errorMessage ?? ""}`);
    seen.add(name);
    return body;
  }

  it("tools declare no outputSchema (the SDK client would check refusals against it too)", async () => {
    for (const tool of (await client.listTools()).tools) assert.equal(tool.outputSchema, undefined, tool.name);
  });

  it("every action, called once: the answer fits the OpenAPI schema; changing actions carry their checkpoint", async () => {
    await answer("workspace_status", {});
    await answer("list_workspaces", {});
    await answer("switch_workspace", { name: "ws" });
    await answer("list_files", {});
    await answer("read_file", { path: "notes.txt" });
    await answer("search_text", { query: "line" });
    const written = await answer("write_file", { path: "notes.txt", content: "changed\n" });
    const patched = await answer("apply_patch", { patch: "*** Begin Patch\n*** Add File: added.txt\n+added\n*** End Patch\n" });
    await answer("git_status", {});
    await answer("git_diff", {});
    const ran = await answer("exec_command", { command: "echo hello", wait_seconds: 20 });
    assert.equal(ran.status, "exited", JSON.stringify(ran).slice(0, 300));
    const reader = await answer("exec_command", { command: "cat", stdin: "open", wait_seconds: 1 });
    await answer("write_stdin", { job_id: reader.job_id, input: "typed\n", close: true, wait_seconds: 10 });
    await answer("command_output", { job_id: reader.job_id });
    const sleeper = await answer("exec_command", { command: "sleep 30", wait_seconds: 0 });
    await answer("list_commands", {});
    await answer("kill_command", { job_id: sleeper.job_id });
    const checkpoints = await answer("list_checkpoints", {});
    const oldest = (checkpoints.checkpoints as Json[]).at(-1)!.id as string;
    await answer("checkpoint_diff", { id: oldest });
    const restored = await answer("restore_checkpoint", { id: oldest });
    for (const [name, body] of [["write_file", written], ["apply_patch", patched], ["exec_command", ran], ["restore_checkpoint", restored]] as const) {
      assert.equal(typeof body.checkpoint, "string", `${name} answers its checkpoint`);
    }
    assert.deepEqual([...seen].sort(), [...NAMES].sort(), "every action was called");
  });

  it("a refusal is still an error result the SDK client returns, with the error body as structuredContent", async () => {
    const result = await call(client, "read_file", { path: "../outside.txt" });
    assertRefused(result, "OUTSIDE_WORKSPACE");
    assert.match(text(result), /^OUTSIDE_WORKSPACE: /);
  });
});

describe("stdio face: the same structuredContent", () => {
  it("workspace_status over `chatgpt-codex mcp` carries structuredContent equal to its text", async () => {
    const fixture = makeHome();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "mcp"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root", ...PLAIN_ENGLISH, NO_COLOR: "1", CHATGPT_CODEX_HOME: fixture.home },
      stderr: "pipe",
    });
    const client = new Client({ name: "mcp-agrees-stdio", version: "1.0.0" });
    await client.connect(transport, { timeout: 60_000 });
    try {
      const result = (await client.callTool({ name: "workspace_status", arguments: {} }, undefined, { timeout: 60_000 })) as CallToolResult;
      const body = okBody(result);
      assert.equal(body.active_workspace, "ws");
      const hints = (await client.listTools(undefined, { timeout: 60_000 })).tools.find((tool) => tool.name === "write_stdin")!.annotations;
      assert.equal(hints?.destructiveHint, true);
    } finally {
      await client.close();
    }
  });
});

/**
 * The tool list of a docs page: the bullet lines under its "every tool" heading,
 * each `- \`name\` — what it does (tags)`.
 */
function documentedTools(page: string, heading: string, label: string): Map<string, string[]> {
  const lines = page.split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  assert.ok(start >= 0, `${label} has the heading ${heading}`);
  const tools = new Map<string, string[]>();
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("#")) break;
    if (!line.startsWith("- ")) continue;
    const match = /^- `([^`]+)` (?:—|——) .+[(（]([^()（）]+)[)）][.。]?$/.exec(line);
    assert.ok(match, `${label}: a tool line is \`- \`name\` — what it does (tags)\`: ${line}`);
    assert.ok(!tools.has(match[1]!), `${label}: ${match[1]} is listed twice`);
    tools.set(match[1]!, match[2]!.split(/, |、|，/).map((tag) => tag.trim()));
  }
  return tools;
}

/** Registry tools a list misses, and listed tools the registry does not have. */
function listProblems(listed: Map<string, string[]>): { missing: string[]; unknown: string[] } {
  return { missing: NAMES.filter((name) => !listed.has(name)), unknown: [...listed.keys()].filter((name) => !NAMES.includes(name)) };
}

type Words = { readOnly: string; destructive: string; changes: string; idempotent: string; openWorld: string };

/** The tags a docs line must show for an action, in the page's language. */
function expectedTags(name: string, words: Words): string[] {
  const effects = actionEffects(ACTIONS.find((action) => action.name === name)!);
  const tags = [effects.readOnly ? words.readOnly : effects.destructive ? words.destructive : words.changes];
  if (!effects.readOnly && effects.idempotent) tags.push(words.idempotent);
  if (effects.openWorld) tags.push(words.openWorld);
  return tags;
}

describe("docs/mcp.md and docs/mcp.zh-CN.md list exactly the registry's tools", () => {
  const pages: { file: string; heading: string; words: Words }[] = [
    { file: "mcp.md", heading: "### Every tool", words: { readOnly: "read-only", destructive: "destructive", changes: "changes state", idempotent: "idempotent", openWorld: "open world" } },
    { file: "mcp.zh-CN.md", heading: "### 全部工具", words: { readOnly: "只读", destructive: "破坏性", changes: "改变状态", idempotent: "幂等", openWorld: "开放世界" } },
  ];
  for (const page of pages) {
    it(`${page.file}: one line per action, none unknown, none missing, in registry order, with the annotations as tags`, () => {
      const listed = documentedTools(readFileSync(join(ROOT, "docs", page.file), "utf8"), page.heading, page.file);
      assert.deepEqual(listProblems(listed), { missing: [], unknown: [] }, `${page.file} against the registry`);
      assert.deepEqual([...listed.keys()], NAMES, `${page.file}: registry order`);
      for (const [name, tags] of listed) assert.deepEqual(tags, expectedTags(name, page.words), `${page.file}: ${name} tags`);
    });
  }

  it("the check catches a tool left out and one the registry does not have", () => {
    const page = readFileSync(join(ROOT, "docs", "mcp.md"), "utf8");
    const line = page.split("\n").find((l) => l.startsWith("- `write_stdin` "))!;
    assert.ok(line, "mcp.md lists write_stdin");
    const edited = page.replace(line, "- `run_shell` — an action that does not exist. (destructive)");
    assert.deepEqual(listProblems(documentedTools(edited, "### Every tool", "edited mcp.md")), { missing: ["write_stdin"], unknown: ["run_shell"] });
  });
});
