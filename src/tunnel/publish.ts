import { updateConfig } from "../config/store.js";

export interface Published {
  url: string;
  /** The public URL stored before (null on first setup). */
  previous: string | null;
  changed: boolean;
}

/**
 * Store a new public base URL. The config is written atomically and a running
 * server re-reads it per request, so /openapi.json names the new URL at once.
 */
export function publishUrl(home: string, url: string): Published {
  let previous: string | null = null;
  updateConfig(home, (config) => {
    previous = config.public_base_url;
    config.public_base_url = url;
  });
  return { url, previous, changed: previous !== url };
}

/**
 * The loud notice for a changed URL: GPT Builder keeps the schema it imported,
 * with the old URL in `servers`, so every Action fails until it is re-imported.
 */
export function reimportNotice(published: Published, stable: boolean): string {
  const lines = [
    "THE PUBLIC URL CHANGED — re-import the GPT's schema:",
    `  new URL: ${published.url}`,
    ...(published.previous ? [`  was:     ${published.previous}`] : []),
    "GPT Builder → your GPT → Configure → Actions → Import from URL:",
    `  ${published.url}/openapi.json`,
    "Until then ChatGPT calls the old URL and every Action fails.",
  ];
  if (!stable) {
    lines.push("Quick-tunnel URLs change on every restart. For a URL that stays, use a");
    lines.push("named cloudflared tunnel, an ngrok reserved domain or your own route");
    lines.push("(see docs/tunnels.md).");
  }
  return box(lines);
}

export function box(lines: string[]): string {
  const width = Math.max(...lines.map((line) => line.length));
  const rule = `+${"-".repeat(width + 2)}+`;
  return [rule, ...lines.map((line) => `| ${line.padEnd(width)} |`), rule].join("\n");
}
