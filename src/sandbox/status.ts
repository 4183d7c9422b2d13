import { sandboxAvailability } from "./detect.js";
import { INSTALL_BWRAP, messages } from "./messages.js";
import { SECRET_PATHS } from "./policy.js";
import type { NetworkMode, SandboxKind, SandboxMode, SandboxSettings } from "./types.js";

export interface SandboxStatus {
  mode: SandboxMode;
  network: NetworkMode;
  /** An OS sandbox works on this computer. */
  available: boolean;
  /** Commands run in it (available and mode is not "off"). */
  active: boolean;
  kind: SandboxKind;
  program: string | null;
  reason: string | null;
  /** The one command that fixes a missing sandbox. */
  fix: string | null;
  /** "run" (sandboxed or with a warning) or "refuse" (required but unavailable). */
  commands: "sandboxed" | "unsandboxed" | "refused";
  hidden: string[];
  summary: string;
}

export async function sandboxStatus(settings: SandboxSettings, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<SandboxStatus> {
  const found = await sandboxAvailability(env, platform);
  const active = found.available && settings.mode !== "off";
  const commands = active ? "sandboxed" : settings.mode === "required" ? "refused" : "unsandboxed";
  const reason = found.reason ?? null;
  const fix = found.fix ?? (found.available || platform !== "linux" ? null : INSTALL_BWRAP);
  const summary =
    commands === "sandboxed"
      ? messages.active(found.kind, settings.network)
      : settings.mode === "off"
        ? messages.offByConfig
        : commands === "refused"
          ? messages.requiredRefused(reason ?? "unknown", fix ?? undefined)
          : messages.unavailableAuto(reason ?? "unknown", fix ?? undefined);
  return {
    mode: settings.mode,
    network: settings.network,
    available: found.available,
    active,
    kind: active ? found.kind : "none",
    program: found.program ?? null,
    reason,
    fix,
    commands,
    hidden: [...SECRET_PATHS, "<config folder>", ...settings.hide],
    summary,
  };
}

/** The warning `up`, `serve` and `doctor` print when commands are not sandboxed; null when they are. */
export function sandboxWarning(status: SandboxStatus): string | null {
  return status.active ? null : status.summary;
}

/** Human lines for `chatgpt-codex sandbox status`. */
export function statusLines(status: SandboxStatus): string[] {
  const lines = [
    `${messages.status.title}: ${status.active ? `active (${messages.kindName(status.kind)})` : "NOT active"}`,
    `  mode: ${status.mode}   network: ${status.network}`,
    `  available here: ${status.available ? `yes${status.program ? ` (${status.program})` : ""}` : `no — ${status.reason ?? "unknown"}`}`,
    `  hidden from commands: ${status.hidden.join(" ")}`,
    "",
    status.summary,
  ];
  if (!status.available && status.fix) lines.push(`Fix: ${status.fix}`);
  if (!status.available && process.platform === "linux") lines.push(messages.status.install);
  if (process.platform === "darwin") lines.push(messages.status.macUntested);
  return lines;
}
