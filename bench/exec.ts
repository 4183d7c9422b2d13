import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { benchConfig, medianTime, startServe, stopChild } from "./util.js";
import { checkCommand } from "../src/policy/checkCommand.js";
import type { BenchContext, BenchRow } from "./types.js";

const RUNS = 200;
const WARMUP = 20;


function timeRuns(runs: number, once: () => Promise<void>): Promise<number> {
  return medianTime(runs, WARMUP, once);
}

function spawnShTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", "true"], { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", reject);
    child.on("close", () => resolve());
  });
}



/**
 * exec_command for `true` through the whole path (HTTP, auth, policy check,
 * spawn in a process group, response) against spawning `sh -c true` from
 * Node directly; plus the policy check alone.
 */
export default async function execBench(ctx: BenchContext): Promise<BenchRow[]> {
  const home = join(ctx.tmp, "home");
  const ws = join(ctx.tmp, "ws");
  mkdirSync(ws, { recursive: true });
  const config = benchConfig(home, ws);

  const { child: server, port } = await startServe(home);
  try {
    const url = `http://127.0.0.1:${port}/exec_command`;
    const headers = { authorization: `Bearer ${config.token}`, "content-type": "application/json" };
    const body = JSON.stringify({ command: "true" });
    const execTrue = async () => {
      const response = await fetch(url, { method: "POST", headers, body });
      const answer = (await response.json()) as { status?: string };
      if (answer.status !== "exited") throw new Error(`exec_command answered ${JSON.stringify(answer)}`);
    };

    ctx.progress(`exec_command "true" × ${RUNS}`);
    const ours = await timeRuns(RUNS, execTrue);
    ctx.progress(`workspace_status × ${RUNS} (the HTTP floor of any action)`);
    const statusUrl = `http://127.0.0.1:${port}/workspace_status`;
    const floor = await timeRuns(RUNS, async () => void (await (await fetch(statusUrl, { method: "POST", headers, body: "{}" })).text()));
    ctx.progress(`sh -c true × ${RUNS}`);
    const bare = await timeRuns(RUNS, spawnShTrue);
    const policyOptions = { workspaceRoot: ws, home: ctx.tmp };
    const policy = await timeRuns(RUNS * 5, async () => void checkCommand("npm test && git status | grep -v foo", policyOptions));

    const ratio = ours / bare;
    return [
      {
        name: `exec_command "true" (HTTP + policy + spawn + answer), median of ${RUNS}`,
        ours: `${ours.toFixed(2)} ms`,
        baseline: `${bare.toFixed(2)} ms sh -c true from Node`,
        ratio,
        goal: "≤ 1.5×",
        met: ratio <= 1.5,
        note:
          `HTTP floor (workspace_status) ${floor.toFixed(2)} ms, policy check alone ${policy.toFixed(3)} ms for a 3-command line; ` +
          "the rest is process start: commands run under bash (the policy parses bash) and are forked from the server process, " +
          "whose larger memory makes fork slower than from the small bench process that runs the baseline",
      },
    ];
  } finally {
    await stopChild(server);
  }
}
