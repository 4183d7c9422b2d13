/**
 * Ready-to-paste MCP client settings. The token itself never appears: only
 * `channel register`, `channel renew`, `token` and `rotate-token` print it, so
 * every snippet reads it from an environment variable the user fills in.
 */
/** Where the MCP face listens, next to the Actions. */
export const MCP_PATH = "/mcp";

export const TOKEN_ENV = "CHATGPT_CODEX_TOKEN";
export const TOKEN_EXPORT = `export ${TOKEN_ENV}="$(chatgpt-codex token)"`;

export interface ClientSnippets {
  url: string;
  name: string;
  token_env: string;
  token_export: string;
  header: { name: "Authorization"; value: string };
  clients: { codex: string; claude_code: string; cursor: string; generic: string };
}

export function mcpClientSnippets(url: string, name = "chatgpt-codex"): ClientSnippets {
  const codex = [`[mcp_servers.${tomlKey(name)}]`, `url = ${JSON.stringify(url)}`, `bearer_token_env_var = ${JSON.stringify(TOKEN_ENV)}`].join("\n");
  // The shell expands the variable when the command runs, so Claude Code stores the value it had then.
  const claudeCode = `claude mcp add --transport http ${shellWord(name)} ${shellWord(url)} --header "Authorization: Bearer $${TOKEN_ENV}"`;
  const cursor = JSON.stringify({ mcpServers: { [name]: { url, headers: { Authorization: `Bearer \${env:${TOKEN_ENV}}` } } } }, null, 2);
  const generic = [
    "Transport: Streamable HTTP",
    `URL:       ${url}`,
    "Header:    Authorization: Bearer <the output of `chatgpt-codex token`>",
  ].join("\n");
  return {
    url,
    name,
    token_env: TOKEN_ENV,
    token_export: TOKEN_EXPORT,
    header: { name: "Authorization", value: `Bearer $${TOKEN_ENV}` },
    clients: { codex, claude_code: claudeCode, cursor, generic },
  };
}

/** A TOML bare key when possible, quoted otherwise. */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** A word safe to paste into a POSIX shell. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
