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
/** V8 returns the start's garbage to the system on its own once a process idles (its memory reducer, ~10–20 s). */
const SETTLED_MS = 25_000;
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

/**
 * Bare Fastify plus only what no server of ours may drop: a constant-time bearer check, one
 * request-log line and one audit line per call (written once per turn, as ours are), the
 * body parsed and the answer serialized. The floor for any server that keeps those: the
 * distance from it to ours is what our own code costs.
 */
const FASTIFY_ESSENTIALS = `
const fastify = require(process.argv[2])();
const body = process.argv[1];
const auditFile = process.argv[3];
const { hash, timingSafeEqual } = require("node:crypto");
const fs = require("node:fs");
const expected = hash("sha256", "Bearer " + process.argv[4], "buffer");
let log = [], audit = [], queued = false;
const flush = () => {
  queued = false;
  if (log.length) { process.stderr.write(log.join("")); log = []; }
  if (audit.length) { fs.appendFileSync(auditFile, audit.join(""), { mode: 0o600 }); audit = []; }
};
const later = () => { if (!queued) { queued = true; setImmediate(flush); } };
fastify.addHook("onRequest", (req, reply, done) => {
  if (!timingSafeEqual(hash("sha256", req.headers.authorization || "", "buffer"), expected)) return void reply.code(401).send({ error: "unauthorized" });
  done();
});
fastify.addHook("onResponse", (req, reply, done) => {
  log.push(new Date().toISOString() + " " + req.method + " " + req.url + " " + reply.statusCode + " " + reply.elapsedTime.toFixed(0) + "ms\\n");
  later();
  done();
});
fastify.post("/", async (req, reply) => {
  const text = JSON.stringify(JSON.parse(body));
  audit.push(JSON.stringify({ time: new Date().toISOString(), action: "workspace_status", workspace: "ws", outcome: "ok", status: 200, duration_ms: 0, face: "http", client: "bearer" }) + "\\n");
  later();
  return reply.type("application/json").send(text);
});
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

/**
 * The least any server of ours can be: the framework and the validation library, imported from
 * an ES module as our CLI imports them, one route validating its body, and nothing else of ours.
 * Its memory is the floor under the RSS goal.
 */
const FASTIFY_ZOD_ESM = `
const { default: Fastify } = await import(process.argv[1]);
const { z } = await import(process.argv[2]);
const input = z.object({}).strict();
const app = Fastify();
app.post("/", async (request) => input.parse(request.body ?? {}));
await app.listen({ port: 0, host: "127.0.0.1" });
console.log("Port: " + app.server.address().port);
`;

/** A bare node:http server written as an ES module, as our CLI is: Node's module loader is part of any ESM program's memory. */
const BARE_SERVER_ESM = `
import { createServer } from "node:http";
createServer((req, res) => { res.end("{}"); }).listen(0, "127.0.0.1", function () { console.log("Port: " + this.address().port); });
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
 * Authenticated workspace_status through our whole request path, against bare Fastify,
 * Fastify with only the essentials, and bare node:http answering the same JSON; and the idle
 * server's memory, 2 s after start and once V8 has settled. Each server is warmed up first
 * (the JIT), then they take turns for ROUNDS rounds: the medians are reported, and the ratios
 * are the medians of each round's ratio, so a burst of load from elsewhere on the machine
 * hits all of them alike.
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
  const started = Date.now();
  const children: ChildProcess[] = [];
  try {
    const url = `http://127.0.0.1:${port}/workspace_status`;
    // The baselines serve workspace_status's own JSON: ours is asked for it once, after its idle samples.
    const fastifyPath = createRequire(import.meta.url).resolve("fastify");
    const bareEsm = spawn(process.execPath, ["--input-type=module", "-e", BARE_SERVER_ESM], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(bareEsm);
    await waitForPort(bareEsm);
    const stackFloor = spawn(process.execPath, ["--input-type=module", "-e", FASTIFY_ZOD_ESM, import.meta.resolve("fastify"), import.meta.resolve("zod")], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(stackFloor);
    await waitForPort(stackFloor);
    // Idle: started, nothing served yet.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, IDLE_MS - (Date.now() - started))));
    const idleOurs = rssMb(ours.pid!);
    ctx.progress(`idle memory: waiting ${SETTLED_MS / 1000} s for V8 to settle`);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, SETTLED_MS - (Date.now() - started))));
    const settledOurs = rssMb(ours.pid!);
    const settledEsm = rssMb(bareEsm.pid!);
    const settledFloor = rssMb(stackFloor.pid!);
    const sample = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${config.token}`, "content-type": "application/json" }, body: "{}" });
    const body = await sample.text();
    const bare = spawn(process.execPath, ["-e", BARE_SERVER, body], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(bare);
    const barePort = await waitForPort(bare);
    const framework = spawn(process.execPath, ["-e", BARE_FASTIFY, body, fastifyPath], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(framework);
    const frameworkPort = await waitForPort(framework);
    const essentials = spawn(process.execPath, ["-e", FASTIFY_ESSENTIALS, body, fastifyPath, join(ctx.tmp, "essentials-audit.jsonl"), config.token], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(essentials);
    const essentialsPort = await waitForPort(essentials);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleBare = rssMb(bare.pid!);
    const idleFastify = rssMb(framework.pid!);

    const targets = {
      ours: { url, headers: { authorization: `Bearer ${config.token}` }, runs: [] as autocannon.Result[] },
      fastify: { url: `http://127.0.0.1:${frameworkPort}/`, headers: {}, runs: [] as autocannon.Result[] },
      essentials: { url: `http://127.0.0.1:${essentialsPort}/`, headers: { authorization: `Bearer ${config.token}` }, runs: [] as autocannon.Result[] },
      http: { url: `http://127.0.0.1:${barePort}/`, headers: {}, runs: [] as autocannon.Result[] },
    } satisfies Record<string, Target>;
    ctx.progress(`warm-up: ${WARMUP_S}s each`);
    for (const target of Object.values(targets)) await load(target, WARMUP_S);
    for (let round = 1; round <= ROUNDS; round++) {
      ctx.progress(`round ${round}/${ROUNDS}: ours, bare Fastify, Fastify with the essentials, bare node:http, ${CONNECTIONS} connections for ${DURATION_S}s each`);
      for (const target of Object.values(targets)) target.runs.push(await load(target, DURATION_S));
    }
    const rssAfter = rssMb(ours.pid!);

    const a = targets.ours.runs;
    const errors = a.reduce((sum, run) => sum + run.errors + run.timeouts + run.non2xx, 0);
    const essentialsErrors = targets.essentials.runs.reduce((sum, run) => sum + run.errors + run.timeouts + run.non2xx, 0);
    const vsEssentials = median(a.map((run, i) => reqs(run) / reqs(targets.essentials.runs[i]!)));
    const essentialsVsFastify = median(targets.essentials.runs.map((run, i) => reqs(run) / reqs(targets.fastify.runs[i]!)));
    const vsFastify = median(a.map((run, i) => reqs(run) / reqs(targets.fastify.runs[i]!)));
    const vsHttp = median(a.map((run, i) => reqs(run) / reqs(targets.http.runs[i]!)));
    const fastifyVsHttp = median(targets.fastify.runs.map((run, i) => reqs(run) / reqs(targets.http.runs[i]!)));
    const oursMedian = median(a.map(reqs));
    const rounds = (runs: autocannon.Result[]) => runs.map((run) => Math.round(reqs(run)).toLocaleString("en-US")).join(" / ");
    const latency = a[a.length - 1]!;
    const bareLatency = targets.http.runs[targets.http.runs.length - 1]!;
    const idleRatio = idleOurs / idleBare;
    const settledRatio = settledOurs / idleBare;
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
        name: `workspace_status req/s, ${CONNECTIONS} conns, vs Fastify with the essentials`,
        ours: perSecond(oursMedian),
        baseline: `${perSecond(median(targets.essentials.runs.map(reqs)))} Fastify + essentials`,
        ratio: vsEssentials,
        goal: "-",
        met: null,
        note: `the essentials: bearer check, a request-log line and an audit line per call, JSON in and out (errors ${essentialsErrors}); that floor itself does ${essentialsVsFastify.toFixed(2)}× bare Fastify; rounds ${rounds(targets.essentials.runs)}`,
      },
      {
        name: "idle serve RSS vs bare node:http",
        ours: `${idleOurs.toFixed(1)} MB`,
        baseline: `${idleBare.toFixed(1)} MB`,
        ratio: idleRatio,
        goal: `≤ ${RSS_GOAL}×`,
        met: idleRatio <= RSS_GOAL,
        note: `after ${IDLE_MS / 1000} s idle, no request served; bare Fastify ${idleFastify.toFixed(1)} MB (${(idleFastify / idleBare).toFixed(2)}×); ${rssAfter.toFixed(0)} MB after the load`,
      },
      {
        name: `idle serve RSS after ${SETTLED_MS / 1000} s vs bare node:http`,
        ours: `${settledOurs.toFixed(1)} MB`,
        baseline: `${idleBare.toFixed(1)} MB`,
        ratio: settledRatio,
        goal: `≤ ${RSS_GOAL}×`,
        met: settledRatio <= RSS_GOAL,
        note: `V8 has returned the start's garbage by then; a bare node:http server written as an ES module (as our CLI is) takes ${settledEsm.toFixed(1)} MB (${(settledEsm / idleBare).toFixed(2)}×)`,
      },
      {
        name: `idle serve RSS after ${SETTLED_MS / 1000} s vs Fastify + zod alone (imported from an ES module)`,
        ours: `${settledOurs.toFixed(1)} MB`,
        baseline: `${settledFloor.toFixed(1)} MB Fastify + zod`,
        ratio: settledOurs / settledFloor,
        goal: "-",
        met: null,
        note: `the floor under the RSS goal: the framework and the validation library, loaded as our CLI loads them, one validating route, no code of ours; that floor itself is ${(settledFloor / idleBare).toFixed(2)}× bare node:http`,
      },
    ];
  } finally {
    await stopChild(ours);
    for (const child of children) await stopChild(child);
  }
}
