import type { AnyAction } from "./define.js";
import workspaceStatus from "./workspace_status.js";
import listWorkspaces from "./list_workspaces.js";
import switchWorkspace from "./switch_workspace.js";
import listFiles from "./list_files.js";
import readFile from "./read_file.js";
import searchText from "./search_text.js";
import writeFile from "./write_file.js";
import applyPatch from "./apply_patch.js";
import execCommand from "./exec_command.js";
import commandOutput from "./command_output.js";
import killCommand from "./kill_command.js";
import listCommands from "./list_commands.js";
import writeStdin from "./write_stdin.js";
import gitStatus from "./git_status.js";
import gitDiff from "./git_diff.js";
import listCheckpoints from "./list_checkpoints.js";
import checkpointDiff from "./checkpoint_diff.js";
import restoreCheckpoint from "./restore_checkpoint.js";

/**
 * Every action, in the order the OpenAPI document and MCP tool list show them.
 * A new action is one new file plus one line here.
 */
export const ACTIONS: readonly AnyAction[] = [
  workspaceStatus,
  listWorkspaces,
  switchWorkspace,
  listFiles,
  readFile,
  searchText,
  writeFile,
  applyPatch,
  execCommand,
  commandOutput,
  killCommand,
  listCommands,
  writeStdin,
  gitStatus,
  gitDiff,
  listCheckpoints,
  checkpointDiff,
  restoreCheckpoint,
] as unknown as readonly AnyAction[];

export function findAction(name: string): AnyAction | undefined {
  return ACTIONS.find((action) => action.name === name);
}
