/**
 * The environment a command runs with: the user's own, minus every variable
 * of this tool (CHATGPT_CODEX_*) and any variable whose value holds one of the
 * secrets given (the access token must never be readable by a command).
 */

const OWN_VARIABLE = /^CHATGPT_CODEX/i;

/**
 * What an editor invocation runs instead: it fails at once, saying why and
 * what to do. Programs run the editor through a shell with the file name
 * appended (`sh -c '<editor> "$@"'`), so the text ends in a command that
 * takes (and ignores) arguments.
 */
export const NO_EDITOR =
  "echo 'chatgpt-codex: no editor can open here (commands run without a terminal). Give the text on the command line instead, e.g. git commit -m \"message\", git merge --no-edit, or GIT_EDITOR=true to keep the default text.' >&2; false";

/** Settings so a command never waits for a person: there is no terminal, stdin is closed unless asked for, no editor opens. */
const NON_INTERACTIVE: Record<string, string> = {
  GIT_TERMINAL_PROMPT: "0",
  GIT_PAGER: "cat",
  PAGER: "cat",
  GIT_EDITOR: NO_EDITOR,
  GIT_SEQUENCE_EDITOR: NO_EDITOR,
  EDITOR: NO_EDITOR,
  VISUAL: NO_EDITOR,
  GIT_MERGE_AUTOEDIT: "no",
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
