import { t } from "../cli/i18n/index.js";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { TunnelSettings } from "./settings.js";
import { TunnelError } from "./types.js";

const EXE = process.platform === "win32" ? "cloudflared.exe" : "cloudflared";

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (process.platform !== "win32") accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cloudflared on PATH, or undefined. */
export function cloudflaredOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, EXE);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Whether `up` can use cloudflared without being told where it is. */
export function cloudflaredAvailable(settings: TunnelSettings, env: NodeJS.ProcessEnv = process.env): boolean {
  return settings.cloudflaredPath !== undefined ? isExecutableFile(settings.cloudflaredPath) : cloudflaredOnPath(env) !== undefined;
}

/** The binary to run; throws a TunnelError that says how to install it. */
export function findCloudflared(settings: TunnelSettings, env: NodeJS.ProcessEnv = process.env): string {
  if (settings.cloudflaredPath !== undefined) {
    if (isExecutableFile(settings.cloudflaredPath)) return settings.cloudflaredPath;
    throw new TunnelError(
      `${settings.cloudflaredPathSource ?? "the configured path"} points to ${settings.cloudflaredPath}, which is not an executable file. Fix the path, or remove it to use cloudflared from PATH.`,
    );
  }
  const found = cloudflaredOnPath(env);
  if (found) return found;
  throw new TunnelError(`cloudflared was not found on PATH.\n${cloudflaredInstallHint()}`);
}

/**
 * How to get cloudflared on this computer. It is a single Go binary from
 * Cloudflare; the npm and distribution packages named after it are not a
 * working install, so point at Cloudflare's own releases.
 */
export function cloudflaredInstallHint(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const releases = "https://github.com/cloudflare/cloudflared/releases/latest/download";
  const lines = [t("cf.install")];
  if (platform === "darwin") {
    lines.push("  brew install cloudflared");
  } else if (platform === "win32") {
    lines.push("  winget install --id Cloudflare.cloudflared");
  } else {
    const asset = arch === "arm64" ? "cloudflared-linux-arm64" : arch === "arm" ? "cloudflared-linux-arm" : arch === "ia32" ? "cloudflared-linux-386" : "cloudflared-linux-amd64";
    lines.push(`  curl -fL -o cloudflared ${releases}/${asset}`);
    lines.push("  chmod +x cloudflared && sudo mv cloudflared /usr/local/bin/");
    if (arch === "x64" || arch === "arm64") lines.push(t("cf.deb", { url: `${releases}/${asset}.deb`, file: `${asset}.deb` }));
  }
  lines.push(t("cf.ownBinary"));
  lines.push(t("cf.otherRoute"));
  return lines.join("\n");
}
