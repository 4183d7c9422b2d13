/**
 * Real npm in the box against a local registry this test serves on the host's loopback:
 * installed through the egress proxy when the call has network (and the registry's port is
 * in sandbox.allow_local_ports), refused without it — with the proxy's reason in the answer —
 * and npm's cache lands in the box's own home, never in the user's.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { updateConfig } from "../../src/config/store.js";
import { HOST_LOOPBACK_NAME } from "../../src/sandbox/box/boxes.js";
import { auditRecord, makeHome, startServer, tempDir, type TestServer } from "../helpers.js";
import { BWRAP, need, onPath, requires } from "../preconditions.js";

const NPM = need("needs npm on PATH (it comes with Node)", () => onPath("npm") !== null);
const NAME = `cgc-tiny-${randomBytes(3).toString("hex")}`;

/** A one-package registry: the packument and its tarball, made with the real `npm pack`. */
async function localRegistry(): Promise<{ server: Server; port: number; requests: string[] }> {
  const source = tempDir("cgc-pkg-");
  writeFileSync(join(source, "package.json"), JSON.stringify({ name: NAME, version: "1.0.0", main: "index.js" }));
  writeFileSync(join(source, "index.js"), "module.exports = 'tiny works';\n");
  const out = tempDir("cgc-pack-");
  const file = execFileSync("npm", ["pack", "--pack-destination", out, "--loglevel=silent"], { cwd: source, encoding: "utf8" }).trim().split("\n").pop()!;
  const tarball = readFileSync(join(out, file));
  const requests: string[] = [];
  let port = 0;
  const server = createServer((request, response) => {
    requests.push(request.url ?? "");
    if (request.url === `/${NAME}`) {
      const base = `http://${HOST_LOOPBACK_NAME}:${port}`;
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          name: NAME,
          "dist-tags": { latest: "1.0.0" },
          versions: {
            "1.0.0": {
              name: NAME,
              version: "1.0.0",
              main: "index.js",
              dist: {
                tarball: `${base}/${NAME}/-/${file}`,
                shasum: createHash("sha1").update(tarball).digest("hex"),
                integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
              },
            },
          },
        }),
      );
    } else if (request.url === `/${NAME}/-/${file}`) {
      response.setHeader("content-type", "application/octet-stream");
      response.end(tarball);
    } else {
      response.statusCode = 404;
      response.end("{}");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
  return { server, port, requests };
}

/** Whether any file under `dir` (bounded walk) contains `text`. */
function mentions(dir: string, text: string, budget = { files: 5_000 }): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const entry of entries) {
    if (budget.files-- <= 0) return false;
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? mentions(path, text, budget) : readFileSync(path, "latin1").includes(text)) return true;
  }
  return false;
}

describe("npm install in the box, through the proxy, from a local registry", requires(BWRAP, NPM), () => {
  let server: TestServer;
  let registry: Awaited<ReturnType<typeof localRegistry>>;
  let install: string;

  before(async () => {
    registry = await localRegistry();
    server = await startServer(makeHome({ change: (config) => void (config.sandbox.allow_local_ports = [registry.port]) }));
    mkdirSync(server.workspace, { recursive: true });
    writeFileSync(join(server.workspace, "package.json"), JSON.stringify({ name: "app", version: "0.0.0", private: true }));
    install = `npm install --registry http://${HOST_LOOPBACK_NAME}:${registry.port}/ --no-audit --no-fund --loglevel=http ${NAME}`;
  });

  after(async () => {
    await server.close();
    registry.server.close();
  });

  test("without network: refused by the proxy, and the answer says why and how to retry", async () => {
    const reply = await server.post("exec_command", { command: install, wait_seconds: 40 });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.status, "exited", reply.text);
    assert.notEqual(reply.json.exit_code, 0);
    assert.equal(registry.requests.length, 0, "nothing reached the registry");
    assert.equal(reply.json.network_denied?.[0]?.host, HOST_LOOPBACK_NAME, reply.text);
    assert.match(reply.json.network_denied[0].reason, /network: true/);
    assert.match(reply.json.hint ?? "", /proxy refused/);
    assert.equal(existsSync(join(server.workspace, "node_modules", NAME)), false);
  });

  test("with network: installed through the proxy; npm's cache is the box's own", async () => {
    const reply = await server.post("exec_command", { command: `${install} && node -e 'console.log(require("${NAME}"))'`, network: true, wait_seconds: 40 });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.exit_code, 0, reply.text);
    assert.match(reply.json.stdout, /tiny works/);
    assert.ok(registry.requests.includes(`/${NAME}`), `the registry was asked: ${registry.requests.join(", ")}`);
    assert.ok(existsSync(join(server.workspace, "node_modules", NAME, "index.js")));
    assert.equal(reply.json.network_denied, undefined);
    const boxes = join(process.env.XDG_CACHE_HOME!, "chatgpt-codex", "boxes");
    const cached = readdirSync(boxes).some((box) => mentions(join(boxes, box, "npm", "_cacache", "index-v5"), NAME));
    assert.ok(cached, "npm's cache entry for the package is in the box's home");
    assert.equal(mentions(join(homedir(), ".npm", "_cacache", "index-v5"), NAME), false, "the user's own npm cache never saw it");
    // The owner sees where data went: the audit line names the host, the connections and the bytes.
    const audited = await auditRecord(server.home, (line) => line.detail?.job_id === reply.json.job_id);
    assert.match(String(audited?.detail?.egress_hosts), new RegExp(`${HOST_LOOPBACK_NAME}:${registry.port}`));
    assert.ok(Number(audited?.detail?.egress_bytes_down) > 0);
  });

  test("a registry port that is not listed stays unreachable even with network", async () => {
    updateConfig(server.home, (config) => void (config.sandbox.allow_local_ports = []));
    const before = registry.requests.length;
    const reply = await server.post("exec_command", { command: `${install} --prefer-online`, network: true, wait_seconds: 40 });
    assert.notEqual(reply.json.exit_code, 0, reply.text);
    assert.equal(registry.requests.length, before);
    assert.match(reply.json.network_denied?.[0]?.reason ?? "", /loopback/, reply.text);
  });
});
