import { realpathSync } from "node:fs";
import { homedir } from "node:os";
import type { Config } from "../../config/schema.js";
import type { ResourceBag } from "../../ground/resources.js";
import { guardedPaths } from "../policy.js";
import { captureGitLayout, GIT_LAYOUTS, GitLayouts, saveLayout, type GitLayout } from "./gitLayout.js";

function layouts(resources: ResourceBag, configHome: string): GitLayouts {
  return resources.get(GIT_LAYOUTS, () => new GitLayouts(configHome));
}

function guarded(workspace: string, configHome: string, config: Config, env: NodeJS.ProcessEnv) {
  return guardedPaths({ workspace, home: homedir(), configHome, hide: config.sandbox.hide, env });
}

/** Server start (the owner's act): record the git layout of every registered workspace. */
export function recordLayoutsAtStart(resources: ResourceBag, configHome: string, config: Config, env: NodeJS.ProcessEnv = process.env): GitLayout[] {
  const recorded: GitLayout[] = [];
  for (const entry of config.workspaces) {
    let root: string;
    try {
      root = realpathSync(entry.path);
    } catch {
      continue; // a folder that is gone is refused when used
    }
    recorded.push(layouts(resources, configHome).capture(root, guarded(root, configHome, config, env)));
  }
  return recorded;
}

/** The recorded layout for a command in `workspace` (real path). */
export function layoutForCommand(resources: ResourceBag, configHome: string, workspace: string, config: Config, env: NodeJS.ProcessEnv): GitLayout {
  return layouts(resources, configHome).get(workspace, guarded(workspace, configHome, config, env));
}

/** Registration (`init`, `workspace add`): the owner's act records the layout a server will find. */
export function recordLayoutAtRegistration(configHome: string, path: string, config: Config, env: NodeJS.ProcessEnv = process.env): GitLayout | null {
  let root: string;
  try {
    root = realpathSync(path);
  } catch {
    return null;
  }
  let home = configHome;
  try {
    home = realpathSync(configHome);
  } catch {
    // the config folder is created with this registration
  }
  const layout = captureGitLayout(root, guarded(root, home, config, env));
  saveLayout(home, layout);
  return layout;
}
