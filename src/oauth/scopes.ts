import type { AnyAction } from "../actions/define.js";

/** The connector's scopes (API-CONTRACT §11); an OAuth grant holds a subset. */
export const SCOPES = ["workspace.read", "workspace.write", "commands"] as const;
export type Scope = (typeof SCOPES)[number];

/** Actions that start, read, steer or stop commands need `commands`, whatever their read-only flag says. */
const COMMAND_ACTIONS = new Set(["exec_command", "command_output", "kill_command", "list_commands", "write_stdin"]);

/** The scope an action needs: commands, else read-only → workspace.read, else workspace.write. */
export function scopeOf(action: Pick<AnyAction, "name" | "readOnly">): Scope {
  if (COMMAND_ACTIONS.has(action.name)) return "commands";
  return action.readOnly ? "workspace.read" : "workspace.write";
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** A space-separated scope parameter → known scopes in canonical order, plus the unknown ones. */
export function parseScopes(text: string | undefined): { scopes: Scope[]; unknown: string[] } {
  const words = (text ?? "").split(" ").filter((w) => w !== "");
  const unknown = words.filter((w) => !isScope(w));
  return { scopes: SCOPES.filter((s) => words.includes(s)), unknown };
}

export function scopeText(scopes: readonly Scope[]): string {
  return SCOPES.filter((s) => scopes.includes(s)).join(" ");
}
