import type { Command } from "commander";
import { loadConfig } from "../../config/store.js";
// Not route.js: the CLI must not load the MCP SDK just to print settings.
import { MCP_PATH, mcpClientSnippets } from "../../mcp/clientConfig.js";
import { home, print, printJson, UsageError } from "../io.js";

function section(title: string, body: string): void {
  print(title);
  for (const line of body.split("\n")) print(`    ${line}`);
  print();
}

export function register(program: Command): void {
  program
    .command("mcp-config")
    .description("Print settings for MCP clients (Codex CLI, Claude Code, Cursor, others) to use /mcp; never prints the token")
    .option("--local", "use the loopback URL (clients on this computer; no tunnel needed)")
    .option("--name <name>", "the server's name in the client's settings", "chatgpt-codex")
    .option("--json", "print one JSON document")
    .action((opts: { local?: boolean; name: string; json?: boolean }) => {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(opts.name)) throw new UsageError(`--name uses letters, digits, . _ - (1-64 chars), got "${opts.name}"`);
      const config = loadConfig(home());
      const localBase = `http://127.0.0.1:${config.server.port}`;
      const usesLocal = opts.local === true || config.public_base_url === null;
      const base = usesLocal ? localBase : config.public_base_url!.replace(/\/+$/, "");
      const snippets = mcpClientSnippets(`${base}${MCP_PATH}`, opts.name);

      if (opts.json) return printJson({ ...snippets, local: usesLocal });

      print(`MCP endpoint: ${snippets.url}  (Streamable HTTP; same token, policy and audit log as the GPT)`);
      if (usesLocal && !opts.local) print("No public URL is set, so this is the local URL: it works for clients on this computer while `chatgpt-codex serve` runs.");
      if (!usesLocal) print("Clients on this computer can skip the tunnel: run `chatgpt-codex mcp-config --local`.");
      print();
      section("Token — put it in the environment of the shell that starts the client (it is never written here):", snippets.token_export);
      section("Codex CLI — add to ~/.codex/config.toml:", snippets.clients.codex);
      section("Claude Code — run once (Claude Code keeps the token value it sees now):", snippets.clients.claude_code);
      section("Cursor — ~/.cursor/mcp.json (or .cursor/mcp.json in a project):", snippets.clients.cursor);
      section("Any other MCP client:", snippets.clients.generic);
      print("When the token changes (rotate-token, channel revoke), export it again and restart the client; re-run the Claude Code command.");
    });
}
