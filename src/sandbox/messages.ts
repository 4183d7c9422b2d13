/**
 * Every English sentence the sandbox shows a person or the model, in one
 * place (a message catalogue can translate them later).
 */
import type { SandboxKind } from "./types.js";

export const INSTALL_BWRAP = "sudo apt-get install bubblewrap";

export const messages = {
  kindName: (kind: SandboxKind) => (kind === "bubblewrap" ? "bubblewrap (bwrap)" : kind === "seatbelt" ? "Seatbelt (sandbox-exec)" : "none"),
  active: (kind: SandboxKind, network: string) =>
    `Commands run in an OS sandbox: ${messages.kindName(kind)}. The workspace is writable, the rest of the disk read-only, secrets hidden; network: ${network}.`,
  offByConfig:
    "WARNING: the command sandbox is switched off in the config (sandbox.mode = \"off\"): commands run with your full user rights, guarded only by the command policy.",
  unavailableAuto: (reason: string, fix: string | undefined) =>
    `WARNING: no command sandbox on this computer (${reason}). Commands run with your full user rights, guarded only by the command policy.${fix ? ` Fix: ${fix}` : ""}`,
  requiredRefused: (reason: string, fix: string | undefined) =>
    `sandbox.mode is "required" but no command sandbox is available (${reason}), so no command is run.${fix ? ` Fix: ${fix}` : ""}`,
  requiredHint: (fix: string | undefined) =>
    fix
      ? `Tell the user: run \`${fix}\` on the computer running chatgpt-codex (or set sandbox.mode to "auto" to allow commands without a sandbox).`
      : 'Tell the user: commands need a sandbox here; they can set sandbox.mode to "auto" to allow commands without one.',
  answerNoSandbox: "No sandbox: this command ran with the user's full rights (the command policy was the only guard).",
  untrustedGitPointer: (dirs: readonly string[]) =>
    `A git pointer in the workspace (.git file or commondir) now names ${dirs.join(", ")}, not the git folder recorded when the server started, so nothing outside the workspace was writable for this command (git commit may fail). If the user changed the repository layout themselves, they restart the server to record it.`,
  networkOffRefused: 'network: true is not allowed: the user set sandbox.network to "off", so commands never get network access.',
  networkOffHint: 'Do the work without network, or ask the user to run the command themselves (or to set sandbox.network to "ask" or "on").',
  reasons: {
    windows: "Windows has no supported command sandbox",
    noBwrap: "bubblewrap (bwrap) is not installed",
    bwrapFailed: (detail: string) => `bubblewrap is installed but cannot create a sandbox here (${detail}); user namespaces may be disabled`,
    noSandboxExec: "sandbox-exec was not found",
    sandboxExecFailed: (detail: string) => `sandbox-exec failed: ${detail}`,
    platform: (platform: string) => `no supported command sandbox on ${platform}`,
  },
  fixes: {
    userns: "sudo sysctl -w kernel.unprivileged_userns_clone=1 (or on Ubuntu 24.04+: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)",
  },
  hints: {
    readOnly: (hasWorkspace: boolean) =>
      `This failed because of the command sandbox: only the workspace${hasWorkspace ? "" : ""} and /tmp are writable; the rest of the disk (and .git/hooks, .git/config) is read-only. Write inside the workspace instead. If the user really wants this, they run it themselves in their own terminal (or set sandbox.mode to "off").`,
    hidden: (path: string) =>
      `This failed because of the command sandbox: ${path} is hidden from commands (secrets and the tool's own config are replaced by empty folders/files). Do not try to read it; if it is really needed, ask the user to run the command themselves or to adjust sandbox.hide.`,
    network: (mode: string) =>
      mode === "ask"
        ? "This looks like a network failure because the command ran without network (the sandbox's default). If it needs the network, run it again with exec_command {…, \"network\": true}; the user approves that call in ChatGPT."
        : 'This looks like a network failure because the user set sandbox.network to "off": commands never get network. Ask the user to run it themselves or to change sandbox.network.',
  },
  status: {
    title: "Command sandbox",
    install: `Install bubblewrap: ${INSTALL_BWRAP} (Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap)`,
    macUntested: "The macOS Seatbelt profile is generated and unit-tested but has not been tried on a real Mac yet.",
  },
} as const;
