import assert from "node:assert/strict";
import { request } from "node:http";
import { it } from "node:test";
import { isMcpRequest } from "../../src/mcp/host.js";
import { startServer } from "../helpers.js";

/** A raw HTTP request: the path goes on the wire exactly as given (no URL normalisation). */
function raw(port: number, path: string, host: string, token: string): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "t", version: "1" } },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path,
        headers: {
          host,
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "content-length": Buffer.byteLength(body),
        },
        timeout: 20_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const SPELLINGS = [
  "/mcp",
  "/%6dcp",
  "/%6Dcp",
  "/%6D%63%70",
  "/%256dcp",
  "/mcp/",
  "//mcp",
  "///mcp//",
  "/MCP",
  "/Mcp",
  "/mcp?x=1",
  "/mcp?",
  "/mcp;x=1",
  "/mcp#frag",
  "/./mcp",
  "/a/../mcp",
  "/%2e/mcp",
  "/mcp/.",
  "/%2Fmcp",
  "/mcp%2F",
  "/mcp%3Fx",
  "/%6dcp?x=%2F",
];

it("/mcp's Host check is on the route: every spelling of /mcp with a foreign Host is refused before the MCP handler", async () => {
  const s = await startServer();
  try {
    let reachedWithGoodHost = 0;
    for (const path of SPELLINGS) {
      const good = await raw(s.server.port, path, `127.0.0.1:${s.server.port}`, s.token);
      if (good.status === 200 && good.body.includes('"jsonrpc"')) reachedWithGoodHost++;
      for (const host of ["evil.example", "evil.example:443", "127.0.0.1.evil.example", "localhost.evil.example"]) {
        const bad = await raw(s.server.port, path, host, s.token);
        assert.doesNotMatch(bad.body, /jsonrpc|serverInfo/, `${path} with Host ${host} reached the MCP handler (${bad.status})`);
        assert.ok(bad.status === 403 || bad.status === 404, `${path} Host ${host}: ${bad.status}`);
        if (good.status === 200) assert.equal(bad.status, 403, `${path}: a path that reaches MCP must get 403 with a foreign Host`);
      }
    }
    assert.ok(reachedWithGoodHost >= 3, `sanity: several spellings really reach the MCP handler (${reachedWithGoodHost})`);
  } finally {
    await s.close();
  }
});

it("isMcpRequest: the matched route, and a decoded, normalised path as a second net", () => {
  for (const url of SPELLINGS) assert.equal(isMcpRequest({ url }), true, url);
  for (const url of ["/read_file", "/mcpx", "/mc", "/x/mcp", "/%6dcpx", "/health"]) assert.equal(isMcpRequest({ url }), false, url);
  assert.equal(isMcpRequest({ url: "/anything", routeOptions: { url: "/mcp" } }), true);
  assert.equal(isMcpRequest({ url: "/read_file", routeOptions: { url: "/read_file" } }), false);
});
