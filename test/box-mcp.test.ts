/**
 * The same over MCP (the official SDK client): the box's answers (background, box), the
 * order of list_commands (running, then finished with processes left, then the rest), and
 * the policy's sandbox view (a private /tmp path is not outside the workspace).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { startServer, type TestServer } from "./helpers.js";
import { call, connect, okBody } from "./mcp-helpers.js";
import { BWRAP, requires } from "./preconditions.js";
import { noneRunning, uniqueSleep } from "./sandbox/harness.js";

describe("the workspace box over MCP", requires(BWRAP), () => {
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startServer();
    client = await connect(server);
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  test("list_commands: running first, then finished ones that left processes running, then the rest (most recent first)", async () => {
    const s = uniqueSleep();
    const done1 = okBody(await call(client, "exec_command", { command: "echo one" }));
    const lingering = okBody(await call(client, "exec_command", { command: `sleep ${s} & echo two` }));
    assert.equal(lingering.background?.length, 1);
    assert.ok(lingering.box?.id);
    const done2 = okBody(await call(client, "exec_command", { command: "echo three" }));
    const running = okBody(await call(client, "exec_command", { command: `sleep ${s}`, wait_seconds: 0 }));
    assert.equal(running.status, "running");
    const listed = okBody(await call(client, "list_commands", {})).commands as { job_id: string; background?: unknown[] }[];
    const order = listed.map((row) => row.job_id).filter((id) => [done1.job_id, lingering.job_id, done2.job_id, running.job_id].includes(id));
    assert.deepEqual(order, [running.job_id, lingering.job_id, done2.job_id, done1.job_id]);
    assert.equal(listed.find((row) => row.job_id === lingering.job_id)?.background?.length, 1);
    okBody(await call(client, "kill_command", { job_id: running.job_id }));
    const killed = okBody(await call(client, "kill_command", { job_id: lingering.job_id }));
    assert.equal(killed.background, undefined);
    assert.ok(await noneRunning(["sleep", s]));
  });

  test("the policy lets a command clear a folder of the box's private /tmp; the host's /tmp is untouched", async () => {
    const name = `cgc-mcp-tmp-${randomBytes(4).toString("hex")}`;
    mkdirSync(`/tmp/${name}`);
    try {
      const answer = okBody(await call(client, "exec_command", { command: `mkdir -p /tmp/${name}/x && rm -rf /tmp/${name} && echo cleared` }));
      assert.equal(answer.exit_code, 0, JSON.stringify(answer));
      assert.equal(answer.stdout, "cleared\n");
      assert.ok(existsSync(`/tmp/${name}`), "the host's folder of the same name is still there");
    } finally {
      rmSync(`/tmp/${name}`, { recursive: true, force: true });
    }
  });
});
