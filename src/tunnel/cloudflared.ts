import { readFileSync } from "node:fs";
import { freeLoopbackPort, quickTunnelUrlFromMetrics, tunnelReady } from "./metrics.js";
import { extractQuickTunnelUrl } from "./quick-url.js";
import { TunnelSupervisor, type AttemptPlan } from "./supervisor.js";
import { TunnelError, type TunnelHandle, type TunnelLog } from "./types.js";

export interface CloudflaredOptions {
  binary: string;
  /** The local server, e.g. http://127.0.0.1:8766. */
  target: string;
  urlTimeoutMs: number;
  log: TunnelLog;
  onUrl(url: string): void | Promise<void>;
  /** Set for a named tunnel: its token (file) and the hostname routed to it. */
  named?: { hostname: string; tokenFile?: string };
}

const QUICK_HINT =
  "What to do: check that this computer reaches the internet (a quick tunnel needs https://api.trycloudflare.com), then run this again. A proxy or firewall may block it; a named tunnel, ngrok or your own route are the alternatives (docs/tunnels.md).";

/** The environment for cloudflared: a stray TUNNEL_TOKEN would turn a quick tunnel into someone's named one. */
function quickEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TUNNEL_TOKEN;
  return env;
}

function quickPlan(options: CloudflaredOptions): () => Promise<AttemptPlan> {
  return async () => {
    const metrics = `127.0.0.1:${await freeLoopbackPort()}`;
    return {
      spec: {
        command: options.binary,
        args: ["tunnel", "--url", options.target, "--no-autoupdate", "--metrics", metrics],
        env: quickEnv(),
      },
      urlFromLine: extractQuickTunnelUrl,
      urlFromPoll: () => quickTunnelUrlFromMetrics(metrics),
      readyPoll: () => tunnelReady(metrics),
    };
  };
}

/** The token of a named tunnel: from its file, else cloudflared's own TUNNEL_TOKEN variable. */
function namedToken(tokenFile: string | undefined): string {
  if (tokenFile !== undefined) {
    let token: string;
    try {
      token = readFileSync(tokenFile, "utf8").trim();
    } catch (error) {
      throw new TunnelError(`cannot read the tunnel token file ${tokenFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (token === "") throw new TunnelError(`the tunnel token file ${tokenFile} is empty`);
    return token;
  }
  const fromEnv = process.env.TUNNEL_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  throw new TunnelError(
    "a named cloudflared tunnel needs its token: save it in a private file (chmod 600) and pass --cloudflared-token-file FILE (or set tunnel.cloudflared_token_file in the config).",
  );
}

function namedPlan(options: CloudflaredOptions, named: { hostname: string; tokenFile?: string }): () => Promise<AttemptPlan> {
  const url = `https://${named.hostname}`;
  const token = namedToken(named.tokenFile);
  return async () => {
    const metrics = `127.0.0.1:${await freeLoopbackPort()}`;
    return {
      // The token goes in the environment, never on the command line where `ps` shows it.
      spec: {
        command: options.binary,
        args: ["tunnel", "--no-autoupdate", "--metrics", metrics, "run"],
        env: { ...process.env, TUNNEL_TOKEN: token },
      },
      // A named tunnel's URL is known up front; it is live once a connection registers.
      urlFromLine: (line) => (/Registered tunnel connection/i.test(line) ? url : undefined),
      urlFromPoll: async () => ((await tunnelReady(metrics)) ? url : undefined),
    };
  };
}

/** Start cloudflared under supervision; resolves once the first URL is stored. */
export async function startCloudflared(options: CloudflaredOptions): Promise<TunnelHandle> {
  const named = options.named;
  const supervisor = new TunnelSupervisor({
    name: "cloudflared",
    plan: named ? namedPlan(options, named) : quickPlan(options),
    urlTimeoutMs: options.urlTimeoutMs,
    hint: named
      ? `What to do: check the token (Cloudflare dashboard → Zero Trust → Networks → Tunnels) and that ${named.hostname} is a public hostname of that tunnel pointing to ${options.target}.`
      : QUICK_HINT,
    onUrl: options.onUrl,
    log: options.log,
  });
  const url = await supervisor.start();
  return {
    kind: named ? "cloudflared named tunnel" : "cloudflared quick tunnel",
    url,
    stable: named !== undefined,
    pid: () => supervisor.pid(),
    stop: () => supervisor.stop(),
  };
}
