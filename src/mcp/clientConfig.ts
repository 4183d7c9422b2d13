/**
 * Ready-to-paste MCP client settings. The token itself never appears: only
 * `channel register`, `channel renew`, `token` and `rotate-token` print it, so
 * every HTTP snippet reads it from an environment variable the user fills in,
 * and the stdio snippets need none.
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

export interface StdioLaunch {
  command: string;
  args: string[];
  /** Only non-secret settings (the config folder); never the token. */
  env: Record<string, string>;
}

export interface StdioSnippets extends StdioLaunch {
  name: string;
  clients: { claude_desktop: string; cursor: string; codex: string; claude_code: string; generic: string };
}

/**
 * Settings for clients that launch `chatgpt-codex mcp` themselves (stdio): a
 * command and its arguments, no URL and no token — the user who launches it is
 * the owner. `launch` is absolute (see stdioLaunch), so it runs as printed.
 */
export function stdioClientSnippets(launch: StdioLaunch, name = "chatgpt-codex"): StdioSnippets {
  const { command, args, env } = launch;
  const hasEnv = Object.keys(env).length > 0;
  const entry = { command, args, ...(hasEnv ? { env } : {}) };
  const json = JSON.stringify({ mcpServers: { [name]: entry } }, null, 2);
  const codex = [
    `[mcp_servers.${tomlKey(name)}]`,
    `command = ${JSON.stringify(command)}`,
    `args = [${args.map((a) => JSON.stringify(a)).join(", ")}]`,
    ...(hasEnv ? [`env = { ${Object.entries(env).map(([k, v]) => `${tomlKey(k)} = ${JSON.stringify(v)}`).join(", ")} }`] : []),
  ].join("\n");
  const envFlags = Object.entries(env).map(([k, v]) => `--env ${shellWord(`${k}=${v}`)} `).join("");
  const claudeCode = `claude mcp add ${envFlags}${shellWord(name)} -- ${[command, ...args].map(shellWord).join(" ")}`;
  const generic = [
    "Transport: stdio",
    `Command:   ${command}`,
    `Arguments: ${JSON.stringify(args)}`,
    ...(hasEnv ? [`Env:       ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}`] : []),
    `Shell:     ${Object.entries(env).map(([k, v]) => `${k}=${shellWord(v)} `).join("")}${[command, ...args].map(shellWord).join(" ")}`,
  ].join("\n");
  return { name, command, args, env, clients: { claude_desktop: json, cursor: json, codex, claude_code: claudeCode, generic } };
}

/** A TOML bare key when possible, quoted otherwise. */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** A word safe to paste into a POSIX shell. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
