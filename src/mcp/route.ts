import type { FastifyInstance } from "fastify";

// PLACEHOLDER: the MCP issue replaces this file with the /mcp route.
export function registerMcpRoute(_app: FastifyInstance): void {}
