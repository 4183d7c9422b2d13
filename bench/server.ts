import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import autocannon from "autocannon";
import { benchConfig, median, startServe, stopChild, waitForPort } from "./util.js";
import type { BenchContext, BenchRow } from "./types.js";

const DURATION_S = 5;
const WARMUP_S = 2;
const ROUNDS = 3;
const CONNECTIONS = 50;
const IDLE_MS = 2_000;
/** The goals: throughput against the same framework with nothing of ours, memory against bare Node. */
const THROUGHPUT_GOAL = 0.8;
const RSS_GOAL = 1.5;

/** The same JSON, served by Fastify with no hooks: shows how much of the gap is the framework itself. */
const BARE_FASTIFY = `
const fastify = require(process.argv[2])();
const body = process.argv[1];
fastify.post("/", async (req, reply) => reply.type("application/json").send(body));
fastify.listen({ port: 0, host: "127.0.0.1" }).then(() => console.log("Port: " + fastify.server.address().port));
`;

/** The same JSON our workspace_status answers, served by a bare node:http server in its own process. */
const BARE_SERVER = `
const http = require("node:http");
const body = process.argv[1];
http.createServer((req, res) => {
  let size = 0;
  req.on("data", (c) => (size += c.length));
  req.on("end", () => { res.writeHead(200, { "content-type": "application/json" }); res.end(body); });
}).listen(0, "127.0.0.1", function () { console.log("Port: " + this.address().port); });
`;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

interface Target {
  url: string;
  headers: Record<string, string>;
  runs: autocannon.Result[];
}

function load(target: Target, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: target.url,
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: "{}",
    connections: CONNECTIONS,
    duration: seconds,
  });
}

const reqs = (result: autocannon.Result) => result.requests.average;
const perSecond = (n: number) => `${Math.round(n).toLocaleString("en-US")} req/s`;

/**
 * Authenticated workspace_status through our whole request path, against bare Fastify and
 * bare node:http answering the same JSON; and the idle server's memory. Each server is warmed
 * up first (the JIT), then the three take turns for ROUNDS rounds: the medians are reported,
 * and the ratios are the medians of each round's ratio, so a burst of load from elsewhere on
 * the machine hits all three alike.
 */
export default async function serverBench(ctx: BenchContext): Promise<BenchRow[]> {
  const home = join(ctx.tmp, "home");
  const ws = join(ctx.tmp, "ws");
  mkdirSync(ws, { recursive: true });
  // A workspace is usually a git repository; status answers then carry branch and dirty count.
  execFileSync("git", ["init", "-q", "-b", "main", ws]);
  writeFileSync(join(ws, "README.md"), "bench\n");
  const config = benchConfig(home, ws);

  const { child: ours, port } = await startServe(home);
  const children: ChildProcess[] = [];
  try {
    const url = `http://127.0.0.1:${port}/workspace_status`;
    // Idle: started, nothing served yet (the sample below is our first request).
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleOurs = rssMb(ours.pid!);
    const sample = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${config.token}`, "content-type": "application/json" }, body: "{}" });
    const body = await sample.text();
    const bare = spawn(process.execPath, ["-e", BARE_SERVER, body], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(bare);
    const barePort = await waitForPort(bare);
    const fastifyPath = createRequire(import.meta.url).resolve("fastify");
    const framework = spawn(process.execPath, ["-e", BARE_FASTIFY, body, fastifyPath], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(framework);
    const frameworkPort = await waitForPort(framework);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleBare = rssMb(bare.pid!);

    const targets = {
      ours: { url, headers: { authorization: `Bearer ${config.token}` }, runs: [] as autocannon.Result[] },
      fastify: { url: `http://127.0.0.1:${frameworkPort}/`, headers: {}, runs: [] as autocannon.Result[] },
      http: { url: `http://127.0.0.1:${barePort}/`, headers: {}, runs: [] as autocannon.Result[] },
    } satisfies Record<string, Target>;
    ctx.progress(`warm-up: ${WARMUP_S}s each`);
    for (const target of Object.values(targets)) await load(target, WARMUP_S);
    for (let round = 1; round <= ROUNDS; round++) {
      ctx.progress(`round ${round}/${ROUNDS}: ours, bare Fastify, bare node:http, ${CONNECTIONS} connections for ${DURATION_S}s each`);
      for (const target of Object.values(targets)) target.runs.push(await load(target, DURATION_S));
    }
    const rssAfter = rssMb(ours.pid!);

    const a = targets.ours.runs;
    const errors = a.reduce((sum, run) => sum + run.errors + run.timeouts + run.non2xx, 0);
    const vsFastify = median(a.map((run, i) => reqs(run) / reqs(targets.fastify.runs[i]!)));
    const vsHttp = median(a.map((run, i) => reqs(run) / reqs(targets.http.runs[i]!)));
    const fastifyVsHttp = median(targets.fastify.runs.map((run, i) => reqs(run) / reqs(targets.http.runs[i]!)));
    const oursMedian = median(a.map(reqs));
    const rounds = (runs: autocannon.Result[]) => runs.map((run) => Math.round(reqs(run)).toLocaleString("en-US")).join(" / ");
    const latency = a[a.length - 1]!;
    const bareLatency = targets.http.runs[targets.http.runs.length - 1]!;
    const idleRatio = idleOurs / idleBare;
    return [
      {
        name: `workspace_status req/s, ${CONNECTIONS} conns, vs bare Fastify (same JSON)`,
        ours: perSecond(oursMedian),
        baseline: `${perSecond(median(targets.fastify.runs.map(reqs)))} bare Fastify`,
        ratio: vsFastify,
        goal: `≥ ${THROUGHPUT_GOAL}× throughput, 0 errors`,
        met: vsFastify >= THROUGHPUT_GOAL && errors === 0,
        note: `auth + access + validation + audit + request log; errors ${errors}; medians of ${ROUNDS} rounds of ${DURATION_S}s after a ${WARMUP_S}s warm-up, rounds ours ${rounds(a)}, Fastify ${rounds(targets.fastify.runs)}; the load client shares the machine's cores`,
      },
      {
        name: `workspace_status req/s, ${CONNECTIONS} conns, vs bare node:http (same JSON)`,
        ours: perSecond(oursMedian),
        baseline: `${perSecond(median(targets.http.runs.map(reqs)))} bare node:http`,
        ratio: vsHttp,
        goal: "-",
        met: null,
        note: `bare Fastify itself does ${fastifyVsHttp.toFixed(2)}× bare node:http; rounds node:http ${rounds(targets.http.runs)}`,
      },
      {
        name: "workspace_status latency p50 / p99 (last round)",
        ours: `${latency.latency.p50} / ${latency.latency.p99} ms`,
        baseline: `${bareLatency.latency.p50} / ${bareLatency.latency.p99} ms`,
        ratio: bareLatency.latency.p99 > 0 ? latency.latency.p99 / bareLatency.latency.p99 : null,
        goal: "-",
        met: null,
      },
      {
        name: "idle serve RSS vs bare node:http",
        ours: `${idleOurs.toFixed(1)} MB`,
        baseline: `${idleBare.toFixed(1)} MB`,
        ratio: idleRatio,
        goal: `≤ ${RSS_GOAL}×`,
        met: idleRatio <= RSS_GOAL,
        note: `after ${IDLE_MS / 1000} s idle, no request served; ${rssAfter.toFixed(0)} MB after the load`,
      },
    ];
  } finally {
    await stopChild(ours);
    for (const child of children) await stopChild(child);
  }
}
