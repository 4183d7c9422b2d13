import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { redactText } from "../ground/redact.js";
import { ActionError, type ErrorCode } from "../ground/errors.js";
import { MCP_PATH } from "./clientConfig.js";
import { principalLabel } from "../oauth/authServer.js";
import { scopeOf } from "../oauth/scopes.js";
import { mcpFace, type McpCaller } from "./face.js";

/**
 * The MCP SDK is loaded on the first /mcp request, not with the server: a
 * server that only answers the GPT's Actions never pays its memory.
 */
let sdk: Promise<{ Transport: typeof import("@modelcontextprotocol/sdk/server/streamableHttp.js").StreamableHTTPServerTransport; createMcpServer: typeof import("./server.js").createMcpServer }> | undefined;
function loadSdk() {
  sdk ??= Promise.all([import("@modelcontextprotocol/sdk/server/streamableHttp.js"), import("./server.js")]).then(([transport, server]) => ({
    Transport: transport.StreamableHTTPServerTransport,
    createMcpServer: server.createMcpServer,
  }));
  return sdk;
}

function refuse(reply: FastifyReply, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
  const error = new ActionError(code, message);
  for (const [key, value] of Object.entries(headers)) reply.header(key, value);
  return reply.code(error.status).type("application/json").send(error.toBody());
}

/**
 * The MCP face: Streamable HTTP at /mcp, stateless (a fresh protocol server and
 * transport per request, so clients may reconnect at will and nothing is kept
 * between requests), over the same store, jobs and audit log as the Actions.
 *
 * Checks, in order: Origin, Host, and (for POST) token + access run in the app's
 * global hook; this route adds token + access for the other methods.
 */
export function registerMcpRoute(app: FastifyInstance): void {
  const { store, resources, audit, actions, gate } = app.codex;
  // The HTTP gate (token, access) stands in front of every request, so no admit check here.
  const face = mcpFace({ actions, store, resources, audit, face: "mcp" });

  const scopeByTool = new Map(actions.map((action) => [action.name, scopeOf(action)]));
  /** The static bearer may use every tool; an OAuth grant only the tools of its scopes. */
  function callerOf(request: FastifyRequest): McpCaller {
    const principal = gate.principal(request);
    const client = principalLabel(principal);
    if (principal?.kind !== "oauth") return { allowed: () => true, client: () => client };
    const granted = new Set<string>(principal.scopes);
    return { allowed: (name) => granted.has(scopeByTool.get(name) ?? ""), client: () => client };
  }

  async function guard(request: FastifyRequest, reply: FastifyReply) {
    // The global hook checks Origin and Host on every method, the token only on POST;
    // the other methods must not reveal more without the token.
    if (request.method !== "POST" && !gate.check(request, reply)) return reply;
  }

  app.route({
    method: "POST",
    url: MCP_PATH,
    onRequest: guard,
    handler: async (request, reply) => {
      const { Transport, createMcpServer } = await loadSdk();
      // From here the SDK writes the response itself.
      reply.hijack();
      const server = createMcpServer(face, callerOf(request));
      const transport = new Transport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      reply.raw.on("close", () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        // The app's body parser already read the JSON; hand it over instead of the drained stream.
        await transport.handleRequest(request.raw, reply.raw, request.body);
      } catch (error) {
        process.stderr.write(`mcp: request failed: ${redactText(String((error as Error)?.stack ?? error), face.token())}\n`);
        if (!reply.raw.headersSent) {
          reply.raw.writeHead(500, { "content-type": "application/json" });
          reply.raw.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "internal error; see the server's terminal" }, id: null }));
        } else {
          reply.raw.end();
        }
      }
    },
  });

  // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
  // The transport spec allows 405 for both; clients then just use POST.
  app.route({
    method: ["GET", "DELETE", "PUT", "PATCH"],
    url: MCP_PATH,
    onRequest: guard,
    handler: async (request, reply) =>
      refuse(reply, "METHOD_NOT_ALLOWED", `${request.method} is not used on ${MCP_PATH}: this MCP server is stateless; send JSON-RPC with POST`, {
        allow: "POST",
      }),
  });
}
