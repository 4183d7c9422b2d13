import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { saveConfig } from "../src/config/store.js";
import { isolationArgs } from "../src/sandbox/bwrap.js";
import { sandboxAvailability } from "../src/sandbox/detect.js";
import type { BenchContext, BenchRow } from "./types.js";
import { benchConfig, medianTime, startServe, stopChild } from "./util.js";

const RUNS = 100;
const WARMUP = 10;

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited ${code}`))));
  });
}

/**
 * What the sandbox costs per command: exec_command "true" through the whole
 * path in the workspace's box (the default), in a fresh bubblewrap per command
 * (sandbox.box false) and with sandbox.mode "off", and bare `bwrap … true`
 * against `sh -c true`. Goals: ≤ 10 ms added per command; a command in the box
 * not slower than a fresh sandbox per command.
 */
export default async function sandboxBench(ctx: BenchContext): Promise<BenchRow[]> {
  const available = await sandboxAvailability();
  if (!available.available || available.kind !== "bubblewrap") {
    return [{ name: "exec_command true, sandboxed vs unsandboxed", ours: "-", baseline: "-", ratio: null, goal: "≤ +10 ms", met: null, note: `no bubblewrap here: ${available.reason ?? available.kind}` }];
  }
  const time = async (label: string, once: () => Promise<void>) => {
    ctx.progress(`${label} × ${RUNS}`);
    return medianTime(RUNS, WARMUP, once);
  };
  const ws = join(ctx.tmp, "ws");
  mkdirSync(ws, { recursive: true });
  const measure = async (mode: "auto" | "off", box = true) => {
    const home = join(ctx.tmp, `home-${mode}-${box ? "box" : "fresh"}`);
    const config = benchConfig(home, ws);
    config.sandbox.mode = mode;
    config.sandbox.box = box;
    saveConfig(home, config);
    const { child, port } = await startServe(home);
    try {
      const headers = { authorization: `Bearer ${config.token}`, "content-type": "application/json" };
      return await time(`exec_command true (sandbox ${mode}${mode === "auto" ? (box ? ", in the box" : ", fresh per command") : ""})`, async () => {
        const answer = (await (await fetch(`http://127.0.0.1:${port}/exec_command`, { method: "POST", headers, body: '{"command":"true"}' })).json()) as { status?: string; sandbox?: { active: boolean } };
        if (answer.status !== "exited" || answer.sandbox?.active !== (mode === "auto")) throw new Error(`unexpected answer ${JSON.stringify(answer)}`);
      });
    } finally {
      await stopChild(child);
    }
  };
  const sandboxed = await measure("auto");
  const fresh = await measure("auto", false);
  const unsandboxed = await measure("off");
  const bwrapTrue = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--", "true"];
  const bare = await time("bwrap … true", () => run(available.program!, [...isolationArgs(available.features!, false), ...bwrapTrue]));
  const shTrue = await time("sh -c true", () => run("sh", ["-c", "true"]));
  const added = sandboxed - unsandboxed;
  return [
    {
      name: `exec_command "true" sandboxed vs unsandboxed, median of ${RUNS}`,
      ours: `${sandboxed.toFixed(2)} ms`,
      baseline: `${unsandboxed.toFixed(2)} ms (sandbox.mode off)`,
      ratio: sandboxed / unsandboxed,
      goal: "≤ +10 ms",
      met: added <= 10,
      note: `the box adds ${added.toFixed(2)} ms per command; bare \`bwrap … true\` ${bare.toFixed(2)} ms vs \`sh -c true\` ${shTrue.toFixed(2)} ms (+${(bare - shTrue).toFixed(2)} ms: namespaces, mounts)`,
    },
    {
      name: `exec_command "true" in the workspace box vs a fresh sandbox per command, median of ${RUNS}`,
      ours: `${sandboxed.toFixed(2)} ms`,
      baseline: `${fresh.toFixed(2)} ms (sandbox.box false)`,
      ratio: sandboxed / fresh,
      goal: "≤ 1.0× (not slower)",
      met: sandboxed <= fresh,
      note: `a fresh sandbox per command adds ${(fresh - unsandboxed).toFixed(2)} ms over sandbox.mode off`,
    },
  ];
}
