import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of this tool's own checkout (where package.json lives). */
export const TOOL_ROOT = findToolRoot();

function findToolRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string };
      if (pkg.name === "chatgpt-codex") return dir;
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  throw new Error("cannot find the chatgpt-codex package root");
}

export const VERSION: string = (
  JSON.parse(readFileSync(join(TOOL_ROOT, "package.json"), "utf8")) as { version: string }
).version;

export const NAME = "chatgpt-codex";
