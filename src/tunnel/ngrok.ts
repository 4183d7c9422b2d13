import { TunnelError, type TunnelHandle, type TunnelLog } from "./types.js";

export interface NgrokOptions {
  /** host:port of the local server. */
  address: string;
  domain?: string;
  log: TunnelLog;
}

type NgrokModule = typeof import("@ngrok/ngrok");

/** The SDK is an optional dependency with a native part: load it only when ngrok is chosen. */
async function loadNgrok(): Promise<NgrokModule> {
  try {
    return await import("@ngrok/ngrok");
  } catch (error) {
    throw new TunnelError(
      `the ngrok route needs the optional package @ngrok/ngrok, which could not be loaded (${(error as Error).message.split("\n")[0]}). Install it in this folder: npm install @ngrok/ngrok — or use cloudflared.`,
    );
  }
}

/** Fail early, before anything is started, when ngrok cannot log in. */
export function checkNgrokAuthtoken(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.NGROK_AUTHTOKEN?.trim()) {
    throw new TunnelError(
      "ngrok needs your authtoken in NGROK_AUTHTOKEN. Copy it from https://dashboard.ngrok.com/get-started/your-authtoken and run: NGROK_AUTHTOKEN=… chatgpt-codex up --tunnel ngrok",
    );
  }
}

/**
 * ngrok runs inside this process (no child): the SDK keeps its own session and
 * reconnects by itself, keeping the same URL for the life of the process.
 */
export async function startNgrok(options: NgrokOptions): Promise<TunnelHandle> {
  checkNgrokAuthtoken();
  const ngrok = await loadNgrok();
  let listener: Awaited<ReturnType<NgrokModule["forward"]>>;
  try {
    listener = await ngrok.forward({
      addr: options.address,
      authtoken_from_env: true,
      ...(options.domain ? { domain: options.domain } : {}),
      onStatusChange: (status: string) =>
        status === "closed" ? options.log.warn("ngrok lost its connection; it reconnects by itself") : options.log.info(`ngrok ${status}`),
    });
  } catch (error) {
    throw new TunnelError(
      `ngrok refused to start: ${(error as Error).message}. Check NGROK_AUTHTOKEN${options.domain ? ` and that ${options.domain} is a domain of your ngrok account` : ""}.`,
    );
  }
  const url = listener.url();
  if (!url) {
    await listener.close().catch(() => undefined);
    throw new TunnelError("ngrok started but reported no URL; try again, or use cloudflared");
  }
  return {
    kind: options.domain ? "ngrok (reserved domain)" : "ngrok",
    url: url.replace(/\/+$/, ""),
    stable: options.domain !== undefined,
    pid: () => undefined,
    stop: async () => {
      await listener.close().catch(() => undefined);
    },
  };
}
