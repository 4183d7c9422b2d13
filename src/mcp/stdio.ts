import { Writable, type Readable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { accessRefusal } from "../access/state.js";
import { redactText } from "../ground/redact.js";
import type { AnyAction } from "../actions/define.js";
import { ACTIONS } from "../actions/registry.js";
import { refuseLocalApprovals } from "../approvals/held.js";
import { clientLabel } from "../audit/client.js";
import { AuditLog } from "../audit/log.js";
import { ConfigStore } from "../config/store.js";
import { ActionError } from "../ground/errors.js";
import { ResourceBag } from "../ground/resources.js";
import { recordLayoutsAtStart } from "../sandbox/facts/record.js";
import { mcpFace, type McpCaller } from "./face.js";
import { createMcpServer } from "./server.js";
import { realOr } from "../ground/realPath.js";

export interface StdioFaceOptions {
  home: string;
  actions?: readonly AnyAction[];
  input?: Readable;
  /** Where the protocol goes (default: the real standard output, which nothing else may then use). */
  output?: Writable;
  /** Diagnostics (never the token); default standard error. */
  log?: (line: string) => void;
}

export interface StdioFace {
  /** Resolves once the session has ended and everything is closed. */
  closed: Promise<void>;
  /**
   * End the session: wait (at most `drainMs`) for answers in flight, then kill this
   * process's jobs and flush the audit log.
   */
  close(drainMs?: number): Promise<void>;
}

/** How long an answer already being worked on may keep the session open after the client hung up. */
const DRAIN_MS = 60_000;

/**
 * The stdio face (`chatgpt-codex mcp`): the same tools and pipeline as /mcp
 * (mcpFace), carried over standard input and output. The local user who starts
 * it is the owner, so no token is asked; the access state is still checked at
 * every call, because a tunnel client may expose this process to others.
 *
 * This process keeps its own jobs and approvals: a `serve` running beside it
 * neither sees nor stops them, and they end when the session ends.
 */
export async function startStdioFace(options: StdioFaceOptions): Promise<StdioFace> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const store = new ConfigStore(options.home);
  const initial = store.current();
  const resources = new ResourceBag();
  // The git layouts commands may rely on are read now, at the owner's act, as `serve` does.
  recordLayoutsAtStart(resources, realOr(options.home), initial);
  // stdin is the protocol and there is no dashboard here: nobody could approve a held command.
  refuseLocalApprovals(resources, "local approvals are on (approvals.commands: local), and the stdio face has no dashboard or terminal where the owner could approve a command");
  const audit = new AuditLog(options.home, undefined, () => store.tokenNow());

  const face = mcpFace({
    actions: options.actions ?? ACTIONS,
    store,
    resources,
    audit,
    face: "stdio",
    admit: () => {
      try {
        return accessRefusal(store.current());
      } catch {
        // Fail closed, like the HTTP gate: an unreadable config must not leave access on.
        return new ActionError("INTERNAL", "the config file is invalid; the user must fix it on the computer");
      }
    },
  });

  const output = options.output ?? protocolStdout();
  const input = options.input ?? process.stdin;
  const transport = new StdioServerTransport(input, output);
  const caller: McpCaller = {
    allowed: () => true,
    client: () => {
      // The client names itself in the handshake; only a product word of it is kept.
      const agent = clientLabel(server.getClientVersion()?.name);
      return agent ? `stdio (${agent})` : "stdio";
    },
  };
  const server = createMcpServer(face, caller);
  transport.onerror = (error) => log(`mcp: ${redactText(String(error?.message ?? error), face.token())}`);

  let finish!: () => void;
  const closed = new Promise<void>((resolve) => (finish = resolve));
  let closing: Promise<void> | undefined;
  const close = (drainMs = DRAIN_MS): Promise<void> =>
    (closing ??= (async () => {
      await drained(drainMs);
      await server.close().catch(() => undefined);
      await resources.closeAll();
      audit.flush();
      store.close();
      finish();
    })());

  // Requests still being answered: the session waits for them before it ends.
  const open = new Set<string | number>();
  let wake: (() => void) | undefined;
  const drained = (ms: number) =>
    open.size === 0
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          timer.unref();
          wake = () => {
            if (open.size > 0) return;
            clearTimeout(timer);
            resolve();
          };
        });

  await server.connect(transport);
  const deliver = transport.onmessage;
  transport.onmessage = (message: JSONRPCMessage) => {
    if ("method" in message && "id" in message) open.add(message.id);
    deliver?.(message);
  };
  const send = transport.send.bind(transport);
  transport.send = async (message: JSONRPCMessage) => {
    try {
      await send(message);
    } finally {
      if (!("method" in message) && "id" in message && message.id !== undefined) {
        open.delete(message.id);
        wake?.();
      }
    }
  };

  // The client hung up (or the tunnel client stopped): end the session.
  input.once("end", () => void close());
  input.once("close", () => void close());
  output.on("error", () => void close());
  return { closed, close };
}

/**
 * The real standard output, for the protocol alone. Anything else in this
 * process that would print there (a stray log line, a library) is sent to
 * standard error instead, so it can never corrupt the JSON-RPC stream.
 */
function protocolStdout(): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout) as (chunk: Uint8Array | string, callback: (error?: Error | null) => void) => boolean;
  const protocol = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk, (error) => callback(error ?? null));
    },
  });
  const stderrWrite = process.stderr.write.bind(process.stderr) as (...args: unknown[]) => boolean;
  stdout.write = ((...args: unknown[]) => stderrWrite(...args)) as typeof stdout.write;
  // A client that went away: the write fails with EPIPE; the session ends through the protocol stream.
  stdout.on("error", (error) => protocol.destroy(error));
  return protocol;
}

