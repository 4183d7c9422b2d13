/** Fixtures for the checkpoint tests: a workspace tree fingerprint and the user's .git fingerprint. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { maintenanceIdle } from "../../src/checkpoints/hook.js";
import { makeHome, startServer, type Fixture, type TestServer } from "../helpers.js";

/**
 * Every entry below `dir` except the names in `skip` (at any depth): type,
 * mode, link target, content hash. Empty folders are left out (checkpoints,
 * like git, store files, not folders).
 */
export function treeState(dir: string, skip: readonly string[] = [".git", "node_modules"]): string {
  const lines: string[] = [];
  const visit = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      if (skip.includes(name)) continue;
      const path = join(abs, name);
      const shown = rel ? `${rel}/${name}` : name;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) lines.push(`${shown} -> ${readlinkSync(path)}`);
      else if (st.isDirectory()) visit(path, shown);
      else lines.push(`${shown} ${(st.mode & 0o777).toString(8)} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
    }
  };
  visit(dir, "");
  return lines.join("\n");
}

/** Everything under a folder including mtimes: proves it was not touched at all. */
export function exactState(dir: string): string {
  if (!existsSync(dir)) return "(missing)";
  const lines: string[] = [];
  const visit = (abs: string, rel: string) => {
    const st = lstatSync(abs);
    lines.push(`${rel} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${st.ino}`);
    if (st.isDirectory()) for (const name of readdirSync(abs).sort()) visit(join(abs, name), `${rel}/${name}`);
    else if (st.isFile()) lines.push(createHash("sha256").update(readFileSync(abs)).digest("hex"));
  };
  visit(dir, "");
  return lines.join("\n");
}

/** The user's repository as git sees it: HEAD, index bytes, refs, stash list, config, hooks; plus the .git folder byte for byte. */
export function gitFingerprint(ws: string): string {
  const env = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_OPTIONAL_LOCKS: "0" };
  const run = (...args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: ws, encoding: "utf8", env });
    } catch (error) {
      return `error: ${(error as Error).message}`;
    }
  };
  const gitDir = join(ws, ".git");
  return [
    run("rev-parse", "HEAD"),
    run("symbolic-ref", "-q", "HEAD"),
    run("for-each-ref"),
    run("stash", "list"),
    readFileSync(join(gitDir, "config"), "utf8"),
    createHash("sha256").update(readFileSync(join(gitDir, "index"))).digest("hex"),
    exactState(gitDir),
  ].join("\n---\n");
}

/** POST that must succeed; returns the JSON answer. */
export async function ok(server: TestServer, action: string, body: unknown): Promise<any> {
  const reply = await server.post(action, body);
  assert.equal(reply.status, 200, `${action} ${JSON.stringify(body).slice(0, 200)} → ${reply.status} ${reply.text.slice(0, 500)}`);
  return reply.json;
}

/** Run a command through exec_command; it must exit 0. Returns the answer. */
export async function sh(server: TestServer, command: string): Promise<any> {
  const answer = await ok(server, "exec_command", { command, wait_seconds: 30 });
  assert.equal(answer.status, "exited", `${command}: ${JSON.stringify(answer)}`);
  assert.equal(answer.exit_code, 0, `${command}: ${answer.stderr}`);
  assert.match(answer.checkpoint, /^cp-\d+-[0-9a-f]{4}$/);
  return answer;
}

/** Runs `run` against a real server on a fresh fixture, then waits for its checkpoint work in the background to end and closes it. */
export async function withServer(run: (server: TestServer) => Promise<void>, fixture: Fixture = makeHome()): Promise<void> {
  const server = await startServer(fixture);
  try {
    await run(server);
  } finally {
    await maintenanceIdle();
    await server.close();
  }
}
