import type { SandboxStatus } from "../sandbox/status.js";
import { t } from "./i18n/index.js";

/** What the sandbox status means, in the user's language (the model's answers keep the English of sandbox/messages). */
export function sandboxSummary(status: SandboxStatus): string {
  const fix = status.fix ? t("sandbox.fix", { fix: status.fix }) : "";
  if (status.commands === "sandboxed") return t("sandbox.active", { kind: kindName(status), network: status.network });
  if (status.mode === "off") return t("sandbox.off");
  const reason = status.reason ?? "?";
  return status.commands === "refused" ? t("sandbox.refused", { reason, fix }) : t("sandbox.unavailable", { reason, fix });
}

function kindName(status: SandboxStatus): string {
  return status.kind === "bubblewrap" ? "bubblewrap (bwrap)" : status.kind === "seatbelt" ? "Seatbelt (sandbox-exec)" : "-";
}

/** The banner line of `serve`/`up`. */
export function sandboxBanner(status: SandboxStatus): string {
  return status.active ? t("sandbox.banner", { summary: sandboxSummary(status) }) : sandboxSummary(status);
}

/** Human lines of `chatgpt-codex sandbox status`. */
export function sandboxStatusLines(status: SandboxStatus, platform: NodeJS.Platform = process.platform): string[] {
  const lines = [
    t(status.active ? "sandbox.title.active" : "sandbox.title.inactive", { kind: kindName(status) }),
    t("sandbox.modeLine", { mode: status.mode, network: status.network }),
    status.available ? t("sandbox.availableYes", { program: status.program ?? "-" }) : t("sandbox.availableNo", { reason: status.reason ?? "?" }),
    t("sandbox.hidden", { paths: status.hidden.join(" ") }),
    "",
    sandboxSummary(status),
  ];
  if (!status.available && platform === "linux") lines.push(t("sandbox.install"));
  if (platform === "darwin") lines.push(t("sandbox.macUntested"));
  return lines;
}
