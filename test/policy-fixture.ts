import type { PolicyOptions } from "../src/policy/checkCommand.js";

/** The made-up machine every policy corpus is judged on: a home, a workspace in it, the tool's config folder. */
export const HOME = "/home/dev";
export const WORKSPACE = "/home/dev/projects/app";
export const OPTIONS: PolicyOptions = {
  workspaceRoot: WORKSPACE,
  home: HOME,
  configHome: "/home/dev/tools/chatgpt-codex/.chatgpt-codex",
  env: { HOME, PATH: "/usr/local/bin:/usr/bin:/bin", TMPDIR: "/tmp", USER: "dev" },
};
