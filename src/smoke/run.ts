import type { AnyAction } from "../actions/define.js";
import { ACTIONS } from "../actions/registry.js";
import { listen } from "../server/listen.js";
import { fail, type CheckRow } from "../verify/report.js";
import { BUILT_INPUTS } from "./built-inputs.js";
import { okRow, post, type SmokeContext } from "./context.js";
import { NEGATIVE_CASES } from "./negative.js";
import { publicGetRows } from "./public-gets.js";
import { Sandbox } from "./sandbox.js";

export interface SmokeOptions {
  /** The actions to serve and walk; the registry by default. Tests inject their own. */
  actions?: readonly AnyAction[];
  /** Progress lines (the server's address); never given the token. */
  onStart?(info: { baseUrl: string; sandbox: string }): void;
}

/**
 * One call per action, each in a fresh empty workspace: its `example` when it
 * has one, else an input built for it here. An action with neither is a FAIL,
 * so a new action cannot slip through without a smoke check.
 */
async function walkAction(ctx: SmokeContext, action: AnyAction): Promise<CheckRow> {
  const workspace = ctx.sandbox.freshWorkspace(action.name);
  try {
    if (action.example !== undefined) {
      return okRow(action, await post(ctx, action.name, action.example), "its example");
    }
    const build = BUILT_INPUTS[action.name];
    if (build) return await build(ctx, action, workspace.path);
    return fail(
      `POST /${action.name}`,
      "no example: add an `example` input that succeeds in a fresh empty workspace (or a builder in src/smoke/built-inputs.ts)",
    );
  } catch (error) {
    return fail(`POST /${action.name}`, `the call failed: ${(error as Error).message}`);
  }
}

/**
 * Start a temporary server on 127.0.0.1:0 over a temporary config and
 * workspaces, walk every action, then check the refusals that protect the
 * user. Everything temporary is removed afterwards.
 */
export async function runSmoke(options: SmokeOptions = {}): Promise<CheckRow[]> {
  const actions = options.actions ?? ACTIONS;
  const sandbox = Sandbox.create();
  const server = await listen({ home: sandbox.home, host: "127.0.0.1", port: 0, requestLog: null, actions }).catch((error: unknown) => {
    sandbox.remove();
    throw error;
  });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    options.onStart?.({ baseUrl: base, sandbox: sandbox.root });
    const ctx: SmokeContext = { base, token: sandbox.token, sandbox, actions };
    const rows = await publicGetRows(base, actions);
    for (const action of actions) rows.push(await walkAction(ctx, action));
    for (const check of NEGATIVE_CASES) {
      try {
        rows.push(await check.run(ctx, check.name));
      } catch (error) {
        rows.push(fail(check.name, `the check itself failed: ${(error as Error).message}`));
      }
    }
    return rows;
  } finally {
    await server.close();
    sandbox.remove();
  }
}
