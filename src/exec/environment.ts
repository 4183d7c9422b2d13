/**
 * The environment a command runs with: the user's own, minus every variable
 * of this tool (CHATGPT_CODEX_*) and any variable whose value holds one of the
 * secrets given (the access token must never be readable by a command).
 */

const OWN_VARIABLE = /^CHATGPT_CODEX/i;

/** Settings so a command never waits for a person: there is no terminal and stdin is closed. */
const NON_INTERACTIVE: Record<string, string> = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_PAGER: "cat",
  PAGER: "cat",
};

export function commandEnvironment(secrets: readonly string[], base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || OWN_VARIABLE.test(key)) continue;
    if (secrets.some((secret) => secret.length > 0 && (value.includes(secret) || key.includes(secret)))) continue;
    env[key] = value;
  }
  return { ...env, ...NON_INTERACTIVE };
}
