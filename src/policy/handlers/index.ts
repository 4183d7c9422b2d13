import type { Handler } from "../analyzer.js";
import { DISK_TOOL_PREFIXES } from "../commandTables.js";
import { DELETE_HANDLERS } from "./delete.js";
import { GIT_HANDLERS } from "./git.js";
import { PERMISSION_HANDLERS } from "./permissions.js";
import { interpreterHandler, SHELL_CODE_HANDLERS } from "./shellCode.js";
import { DISK_TOOL_HANDLER, SYSTEM_HANDLERS } from "./system.js";
import { WRAPPER_HANDLERS } from "./wrappers.js";

/** Every command the policy looks at, by name. A command not listed here runs unchecked (only its substitutions are). */
const BY_NAME = new Map<string, Handler>([
  ...SYSTEM_HANDLERS,
  ...DELETE_HANDLERS,
  ...PERMISSION_HANDLERS,
  ...GIT_HANDLERS,
  ...SHELL_CODE_HANDLERS,
  ...WRAPPER_HANDLERS,
]);

export function handlerFor(name: string): Handler | undefined {
  const known = BY_NAME.get(name);
  if (known) return known;
  if (DISK_TOOL_PREFIXES.some((prefix) => name.startsWith(prefix))) return DISK_TOOL_HANDLER;
  return interpreterHandler(name);
}
