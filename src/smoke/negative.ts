import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fail, pass, skip, type CheckRow } from "../verify/report.js";
import { describeReply, errorCodeOf, type SmokeReply } from "./client.js";
import { findAction, post, type SmokeContext } from "./context.js";
import { SMOKE_BLOCKED_COMMAND } from "./sandbox.js";

function expectError(name: string, reply: SmokeReply, status: number, code: string, extra?: string): CheckRow {
  if (reply.status === status && errorCodeOf(reply) === code) return pass(name, `${status} ${code}${extra ? `; ${extra}` : ""}`);
  return fail(name, `expected ${status} ${code}, got ${describeReply(reply)}`);
}

/** Any registered action works for the gate checks: the gate runs before the handler. */
function gateAction(ctx: SmokeContext): string | undefined {
  return (findAction(ctx, "workspace_status") ?? ctx.actions[0])?.name;
}

async function withoutToken(ctx: SmokeContext, name: string): Promise<CheckRow> {
  const action = gateAction(ctx);
  if (!action) return skip(name, "no action to call");
  return expectError(name, await post(ctx, action, {}, null), 401, "UNAUTHORIZED");
}

async function afterRevoke(ctx: SmokeContext, name: string): Promise<CheckRow> {
  const action = gateAction(ctx);
  if (!action) return skip(name, "no action to call");
  ctx.sandbox.update((c) => {
    c.access.revoked_at = new Date().toISOString();
  });
  try {
    return expectError(name, await post(ctx, action, {}), 403, "ACCESS_EXPIRED", "the formerly valid token is refused");
  } finally {
    ctx.sandbox.update((c) => {
      c.access.revoked_at = null;
    });
  }
}

async function afterTtl(ctx: SmokeContext, name: string): Promise<CheckRow> {
  const action = gateAction(ctx);
  if (!action) return skip(name, "no action to call");
  ctx.sandbox.update((c) => {
    c.access.expires_at = new Date(Date.now() - 60_000).toISOString();
  });
  try {
    return expectError(name, await post(ctx, action, {}), 403, "ACCESS_EXPIRED");
  } finally {
    ctx.sandbox.update((c) => {
      c.access.expires_at = null;
    });
  }
}

async function outsideWorkspace(ctx: SmokeContext, name: string): Promise<CheckRow> {
  const secret = "chatgpt-codex-smoke-outside-secret";
  ctx.sandbox.writeOutside("outside.txt", `${secret}\n`);
  ctx.sandbox.freshWorkspace("outside-check");
  const reader = findAction(ctx, "read_file") ? "read_file" : findAction(ctx, "list_files") ? "list_files" : undefined;
  if (!reader) return skip(name, "neither read_file nor list_files is in the action list");
  const body = reader === "read_file" ? { path: "../outside.txt" } : { path: ".." };
  const reply = await post(ctx, reader, body);
  if (reply.text.includes(secret)) return fail(name, `${reader} returned a file from outside the workspace`);
  return expectError(name, reply, 403, "OUTSIDE_WORKSPACE", `${reader} ${JSON.stringify(body)}`);
}

/**
 * Two refusals: a default rule (git reset --hard — harmless here even if it
 * ran, in an empty temporary repository) and a deny rule from the config.
 */
function blockedCommand(command: string, what: string) {
  return async (ctx: SmokeContext, name: string): Promise<CheckRow> => {
    if (!findAction(ctx, "exec_command")) return skip(name, "exec_command is not in the action list");
    ctx.sandbox.freshWorkspace("policy-check");
    const reply = await post(ctx, "exec_command", { command, wait_seconds: 5 });
    return expectError(name, reply, 403, "BLOCKED_BY_POLICY", `${JSON.stringify(command)}, ${what}`);
  };
}

async function staleWrite(ctx: SmokeContext, name: string): Promise<CheckRow> {
  if (!findAction(ctx, "write_file")) return skip(name, "write_file is not in the action list");
  const workspace = ctx.sandbox.freshWorkspace("stale-write");
  const file = join(workspace.path, "stale.txt");
  writeFileSync(file, "on disk\n");
  const stale = createHash("sha256").update("what the model saw earlier\n").digest("hex");
  const reply = await post(ctx, "write_file", { path: "stale.txt", content: "overwrite\n", expected_sha256: stale });
  if (readFileSync(file, "utf8") !== "on disk\n") return fail(name, "the file was overwritten despite a stale expected_sha256");
  return expectError(name, reply, 409, "CONFLICT", "the file on disk is unchanged");
}

export interface NegativeCase {
  name: string;
  run(ctx: SmokeContext, name: string): Promise<CheckRow>;
}

/** The refusals that protect the user, each checked against the real server. */
export const NEGATIVE_CASES: readonly NegativeCase[] = [
  { name: "401 without token", run: withoutToken },
  { name: "403 after revoke", run: afterRevoke },
  { name: "403 after TTL", run: afterTtl },
  { name: "403 outside the workspace", run: outsideWorkspace },
  { name: "403 blocked command (default rule)", run: blockedCommand("git reset --hard", "a default rule") },
  { name: "403 blocked command (config rule)", run: blockedCommand(SMOKE_BLOCKED_COMMAND, "a deny rule in the smoke's own config") },
  { name: "409 stale write", run: staleWrite },
];
