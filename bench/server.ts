import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import autocannon from "autocannon";
import { benchConfig, startServe, stopChild, waitForPort } from "./util.js";
import type { BenchContext, BenchRow } from "./types.js";

const DURATION_S = 8;
const CONNECTIONS = 50;

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

async function load(url: string, headers: Record<string, string>): Promise<autocannon.Result> {
  return autocannon({ url, method: "POST", headers: { "content-type": "application/json", ...headers }, body: "{}", connections: CONNECTIONS, duration: DURATION_S });
}


/** Authenticated workspace_status through our whole request path vs a bare node:http server. */
export default async function serverBench(ctx: BenchContext): Promise<BenchRow[]> {
  const home = join(ctx.tmp, "home");
  const ws = join(ctx.tmp, "ws");
  mkdirSync(ws, { recursive: true });
  // A workspace is usually a git repository; status answers then carry branch and dirty count.
  execFileSync("git", ["init", "-q", "-b", "main", ws]);
  writeFileSync(join(ws, "README.md"), "bench\n");
  const config = benchConfig(home, ws);

  const { child: ours, port } = await startServe(home);
  let bare: ChildProcess | undefined;
  let framework: ChildProcess | undefined;
  try {
    const url = `http://127.0.0.1:${port}/workspace_status`;
    const sample = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${config.token}`, "content-type": "application/json" }, body: "{}" });
    const body = await sample.text();
    bare = spawn(process.execPath, ["-e", BARE_SERVER, body], { stdio: ["ignore", "pipe", "ignore"] });
    const barePort = await waitForPort(bare);

    const rssBefore = rssMb(ours.pid!);
    ctx.progress(`ours: ${CONNECTIONS} connections for ${DURATION_S}s`);
    const a = await load(url, { authorization: `Bearer ${config.token}` });
    const rssAfter = rssMb(ours.pid!);
    ctx.progress(`bare node:http: ${CONNECTIONS} connections for ${DURATION_S}s`);
    const b = await load(`http://127.0.0.1:${barePort}/`, {});
    await stopChild(bare);
    const fastifyPath = createRequire(import.meta.url).resolve("fastify");
    framework = spawn(process.execPath, ["-e", BARE_FASTIFY, body, fastifyPath], { stdio: ["ignore", "pipe", "ignore"] });
    const frameworkPort = await waitForPort(framework);
    ctx.progress(`bare fastify: ${CONNECTIONS} connections for ${DURATION_S}s`);
    const c = await load(`http://127.0.0.1:${frameworkPort}/`, {});
    const errorsA = a.errors + a.timeouts + a.non2xx;
    const ratio = a.requests.average / b.requests.average;
    return [
      {
        name: `workspace_status req/s, ${CONNECTIONS} conns (auth + access + validate + audit)`,
        ours: `${Math.round(a.requests.average).toLocaleString("en-US")} req/s`,
        baseline: `${Math.round(b.requests.average).toLocaleString("en-US")} req/s bare node:http`,
        ratio,
        goal: "≥ 0.6× throughput, 0 errors",
        met: ratio >= 0.6 && errorsA === 0,
        note: `errors ${errorsA}; RSS ${rssBefore.toFixed(0)} → ${rssAfter.toFixed(0)} MB; bare Fastify (no hooks, same JSON) does ${Math.round(c.requests.average).toLocaleString("en-US")} req/s = ${(c.requests.average / b.requests.average).toFixed(2)}× bare node:http; the load client shares the machine's 2 cores`,
      },
      {
        name: "workspace_status latency p50 / p99",
        ours: `${a.latency.p50} / ${a.latency.p99} ms`,
        baseline: `${b.latency.p50} / ${b.latency.p99} ms`,
        ratio: b.latency.p99 > 0 ? a.latency.p99 / b.latency.p99 : null,
        goal: "-",
        met: null,
      },
    ];
  } finally {
    await stopChild(ours);
    if (bare) await stopChild(bare);
    if (framework) await stopChild(framework);
  }
}
