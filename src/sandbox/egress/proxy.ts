/**
 * The egress proxy: the only way out of a sandbox that has no network of its own. It
 * knows no policy. For every connection it asks decide(), then refuses any address that
 * is not public (loopback ports the user listed excepted), connects to the address it
 * checked, and reports the connection when it ends.
 *
 * One Unix socket speaks both HTTP/1.1 proxy (CONNECT tunnels and plain http:// requests
 * in absolute form) and SOCKS5 (told apart by the first byte, 0x05). The credentials of
 * the proxy URL a command was given (Proxy-Authorization, or the SOCKS5 username and
 * password) name its job.
 */
import { lookup } from "node:dns/promises";
import { chmodSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest, STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, createServer, isIP, type Socket } from "node:net";
import { refusedAddress } from "./addresses.js";
import { normalizeHost } from "./hosts.js";
import { negotiateSocks, SOCKS_VERSION, socksReply, SocksReply } from "./socks.js";

export interface Credentials {
  user: string;
  pass: string;
}

export interface Target {
  host: string;
  port: number;
  credentials: Credentials | null;
  protocol: "connect" | "http" | "socks5";
}

export interface Verdict {
  allow: boolean;
  reason?: string;
}

export interface EgressEvent {
  /** The credentials' user name: the key that names the job; null without credentials. */
  key: string | null;
  host: string;
  port: number;
  /** The address connected to, or the one that was refused. */
  address?: string;
  protocol: Target["protocol"];
  /** Whether the policy and the address check let it through (it may still have failed to connect). */
  allowed: boolean;
  /** Why it was refused, or why it failed. */
  reason?: string;
  bytesUp: number;
  bytesDown: number;
  startedAt: number;
  endedAt: number;
}

export interface EgressOptions {
  /** Listen here (a Unix socket, made 0600; the folder is the caller's). */
  socketPath: string;
  /** The whole policy: called first for every connection; a denial ends it. */
  decide(target: Target): Verdict | Promise<Verdict>;
  /** Loopback ports that may be reached (config sandbox.allow_local_ports). */
  localPorts(): readonly number[];
  /** Every connection when it ends, and every denial. */
  onEvent(event: EgressEvent): void;
  /** DNS (default dns.promises.lookup with all: true). */
  resolve?(host: string): Promise<string[]>;
  /** Time for resolving the name and connecting (default 10 s). */
  connectTimeoutMs?: number;
  /** Client connections at once (default 256); more are refused. */
  maxConnections?: number;
  /** Time for a client to send its whole request head or SOCKS5 handshake (default 10 s). */
  headTimeoutMs?: number;
}

export interface EgressProxy {
  socketPath: string;
  close(): Promise<void>;
  /** Client connections open now. */
  connections(): number;
}

/** The header that says why the proxy refused, on every 403 it sends. */
export const DENIED_HEADER = "X-Chatgpt-Codex-Denied";
const MAX_HEADER_BYTES = 32 * 1024;
/** How long one side of a tunnel may take to deliver its last bytes after the other closed. */
const DRAIN_GRACE_MS = 30_000;

/** Why a target could not be reached, and how each protocol says so. */
type Failure = "denied" | "unresolvable" | "timeout" | "refused" | "network-unreachable" | "host-unreachable" | "failed";
const HTTP_STATUS: Record<Failure, number> = {
  denied: 403,
  unresolvable: 502,
  timeout: 504,
  refused: 502,
  "network-unreachable": 502,
  "host-unreachable": 502,
  failed: 502,
};
const SOCKS_CODE: Record<Failure, number> = {
  denied: SocksReply.notAllowed,
  unresolvable: SocksReply.hostUnreachable,
  timeout: SocksReply.hostUnreachable,
  refused: SocksReply.connectionRefused,
  "network-unreachable": SocksReply.networkUnreachable,
  "host-unreachable": SocksReply.hostUnreachable,
  failed: SocksReply.generalFailure,
};

type Opened = { ok: true; upstream: Socket; address: string } | { ok: false; failure: Failure; reason: string };

/**
 * Headers never passed on: those of one hop (plus the ones Connection names, and every
 * Proxy-* header), and Host, which is set from the URL.
 */
const NOT_PASSED_ON = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "host"]);

const defaultResolve = async (host: string): Promise<string[]> => (await lookup(host, { all: true })).map((entry) => entry.address);

export async function startEgressProxy(options: EgressOptions): Promise<EgressProxy> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const maxConnections = options.maxConnections ?? 256;
  const headTimeoutMs = options.headTimeoutMs ?? 10_000;
  const resolve = options.resolve ?? defaultResolve;

  const clients = new Set<Socket>(); // accepted and counted
  const turnedAway = new Set<Socket>(); // beyond maxConnections, being told so
  const upstreams = new Set<Socket>();
  const headTimers = new Map<Socket, NodeJS.Timeout>();
  const speaksHttp = new WeakSet<Socket>();
  const expired = new WeakSet<Socket>(); // told 408: a head that completes now is ignored
  let closing = false;

  const report = (event: EgressEvent): void => {
    try {
      options.onEvent(event);
    } catch {
      // The listener's problem; the proxy carries on.
    }
  };

  // The HTTP side is Node's own parser (strict, bounded headers); it never listens itself:
  // connections are handed to it once their first byte says they are not SOCKS5.
  const web = createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 0 });
  web.on("connect", (req: IncomingMessage, socket: Socket, head: Buffer) => guard(socket, handleConnect(req, socket, head)));
  web.on("request", (req: IncomingMessage, res: ServerResponse) => guard(req.socket, handleForward(req, res)));
  web.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    headDone(socket);
    // An answer only when nothing was written yet (not in the middle of a forwarded response).
    if (!socket.writable || socket.bytesWritten > 0 || error.code === "ECONNRESET") return void socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    endWith(socket, httpAnswer(status, status === 431 ? "request head too large" : "malformed request"));
  });

  const listener = createServer({ allowHalfOpen: true }, accept);

  function accept(socket: Socket): void {
    socket.on("error", () => {}); // every failure ends in 'close', which is handled
    if (closing) return void socket.destroy();
    if (clients.size >= maxConnections) return turnAway(socket);
    clients.add(socket);
    headTimers.set(
      socket,
      setTimeout(() => headTimedOut(socket), headTimeoutMs),
    );
    socket.once("close", () => {
      clients.delete(socket);
      headDone(socket);
    });
    socket.once("data", (first: Buffer) => {
      socket.pause();
      if (first[0] === SOCKS_VERSION) return guard(socket, handleSocks(socket, first));
      socket.unshift(first);
      speaksHttp.add(socket);
      web.emit("connection", socket);
      socket.resume();
    });
  }

  /** Too many connections: say so in the client's protocol, then close. */
  function turnAway(socket: Socket): void {
    if (turnedAway.size >= maxConnections) return void socket.destroy();
    turnedAway.add(socket);
    const timer = setTimeout(() => socket.destroy(), headTimeoutMs);
    socket.once("close", () => {
      turnedAway.delete(socket);
      clearTimeout(timer);
    });
    socket.once("data", (first: Buffer) => {
      socket.pause();
      if (first[0] === SOCKS_VERSION) endWith(socket, Buffer.from([SOCKS_VERSION, 0xff]));
      else endWith(socket, httpAnswer(503, "too many connections through the proxy"));
    });
  }

  function headTimedOut(socket: Socket): void {
    headTimers.delete(socket);
    expired.add(socket);
    // An HTTP client is told (408); SOCKS5 has no code for it, and silence has no protocol.
    if (speaksHttp.has(socket) && socket.bytesWritten === 0) endWith(socket, httpAnswer(408, "request head not received in time"));
    else socket.destroy();
  }

  function headDone(socket: Socket): void {
    clearTimeout(headTimers.get(socket));
    headTimers.delete(socket);
  }

  /** Runs a connection's handler; whatever it throws closes that connection only. */
  function guard(socket: Socket, work: Promise<void>): void {
    work.catch(() => socket.destroy());
  }

  async function handleConnect(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    if (expired.has(socket)) return void socket.destroy();
    headDone(socket);
    const startedAt = Date.now();
    const authority = parseAuthority(req.url ?? "");
    if (!authority) return endWith(socket, httpAnswer(400, "CONNECT needs host:port with a port from 1 to 65535"));
    const target: Target = { ...authority, credentials: basicCredentials(req.headers["proxy-authorization"]), protocol: "connect" };
    const opened = await open(target, startedAt, socket);
    if (!opened.ok) return endWith(socket, httpAnswer(HTTP_STATUS[opened.failure], opened.reason, opened.failure === "denied"));
    socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    tunnel(target, opened, socket, head, startedAt);
  }

  async function handleSocks(socket: Socket, first: Buffer): Promise<void> {
    const request = await negotiateSocks(socket, first);
    headDone(socket);
    if (!request) return;
    const startedAt = Date.now();
    const target: Target = { host: request.host, port: request.port, credentials: request.credentials, protocol: "socks5" };
    const opened = await open(target, startedAt, socket);
    if (!opened.ok) return endWith(socket, socksReply(SOCKS_CODE[opened.failure]));
    socket.write(socksReply(SocksReply.succeeded));
    tunnel(target, opened, socket, request.rest, startedAt);
  }

  /** A plain http:// request in absolute form, passed on to its origin; one per connection. */
  async function handleForward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = req.socket;
    if (expired.has(client)) return void client.destroy();
    headDone(client);
    req.on("error", () => {});
    res.shouldKeepAlive = false;
    const startedAt = Date.now();
    const url = parseHttpUrl(req.url ?? "");
    if (!url) return answer(res, 400, "only absolute http:// URLs are forwarded (use CONNECT for https)");
    const target: Target = { host: url.host, port: url.port, credentials: basicCredentials(req.headers["proxy-authorization"]), protocol: "http" };
    const opened = await open(target, startedAt, client);
    if (!opened.ok) return answer(res, HTTP_STATUS[opened.failure], opened.reason, opened.failure === "denied");

    const upstream = opened.upstream;
    let reported = false;
    let failed: string | undefined;
    const finish = (): void => {
      if (reported) return;
      reported = true;
      upstream.destroy();
      report(eventOf(target, startedAt, { allowed: true, reason: failed, address: opened.address, bytesUp: upstream.bytesWritten, bytesDown: upstream.bytesRead }));
    };
    res.once("close", finish);

    const headers = passedOn(req.rawHeaders);
    headers.push("Host", url.authority, "Connection", "close");
    if (req.headers["transfer-encoding"] !== undefined) headers.push("Transfer-Encoding", "chunked"); // the body is re-framed
    /** 502 while nothing was answered; a cut connection once the answer has started. */
    const originFailed = (reason: string): void => {
      failed ??= reason;
      if (!res.headersSent) answer(res, 502, failed);
      else if (!res.writableEnded) res.destroy();
    };
    const outgoing = httpRequest({ method: req.method, path: url.path, headers, setHost: false, createConnection: () => upstream });
    outgoing.on("response", (incoming) => {
      incoming.on("error", () => originFailed("the origin's answer was cut short"));
      try {
        res.writeHead(incoming.statusCode ?? 502, incoming.statusMessage, passedOn(incoming.rawHeaders));
      } catch {
        // A status or header Node will not send on (a status below 100): the origin's fault.
        incoming.destroy();
        return originFailed("the origin's answer cannot be passed on");
      }
      incoming.pipe(res);
    });
    outgoing.on("upgrade", (_incoming: IncomingMessage, socket: Socket) => {
      socket.destroy();
      originFailed("the origin switched protocols, which is not passed on");
    });
    outgoing.on("error", (error: NodeJS.ErrnoException) => originFailed(`origin failed: ${error.code ?? error.message}`));
    req.pipe(outgoing);
    if (res.destroyed) finish();
  }

  /**
   * decide → resolve → check every address → connect to a checked address. Failures are
   * reported here; the caller answers the client.
   */
  async function open(target: Target, startedAt: number, client: Socket): Promise<Opened> {
    const fail = (failure: Failure, reason: string, address?: string): Opened => {
      report(eventOf(target, startedAt, { allowed: failure !== "denied", reason, address, bytesUp: 0, bytesDown: 0 }));
      return { ok: false, failure, reason };
    };
    let verdict: Verdict;
    try {
      verdict = await options.decide(target);
    } catch {
      verdict = { allow: false, reason: "policy error" };
    }
    if (!verdict.allow) return fail("denied", verdict.reason || "not allowed");

    const deadline = Date.now() + connectTimeoutMs;
    let addresses: string[];
    if (isIP(target.host)) addresses = [target.host];
    else {
      const lookedUp = Promise.resolve()
        .then(() => resolve(target.host))
        .catch((): string[] => []);
      const found = await withTimeout(lookedUp, connectTimeoutMs);
      if (found === TIMED_OUT) return fail("timeout", `resolving ${target.host} timed out`);
      addresses = (Array.isArray(found) ? found : []).filter((address) => typeof address === "string" && isIP(address) !== 0);
      if (addresses.length === 0) return fail("unresolvable", `cannot resolve ${target.host}`);
    }
    // Every address, not only the one used: which one a client would get is not ours to pick.
    let localPorts: readonly number[] = [];
    try {
      localPorts = options.localPorts();
    } catch {
      // None then: the safe answer.
    }
    const refused = refusedAddress(addresses, target.port, localPorts);
    if (refused !== null) return fail("denied", `private or loopback address ${refused}`, refused);

    let last: { failure: Failure; reason: string; address: string } | null = null;
    for (const address of addresses) {
      if (closing || client.destroyed) return fail("failed", "the client went away", address);
      const remaining = deadline - Date.now();
      if (remaining <= 0) return fail("timeout", `connecting to ${target.host} port ${target.port} timed out`, address);
      const attempt = await connectTo(address, target.port, remaining);
      if ("socket" in attempt) {
        if (closing || client.destroyed) {
          attempt.socket.destroy();
          return fail("failed", "the client went away", address);
        }
        return { ok: true, upstream: attempt.socket, address };
      }
      last = { ...attempt, address };
    }
    return fail(last?.failure ?? "failed", last?.reason ?? "no address to connect to", last?.address);
  }

  /** A TCP connection to exactly this address (no second name lookup). */
  function connectTo(address: string, port: number, timeoutMs: number): Promise<{ socket: Socket } | { failure: Failure; reason: string }> {
    return new Promise((settle) => {
      const socket = connect({ host: address, port, allowHalfOpen: true });
      upstreams.add(socket);
      socket.on("error", () => {});
      const timer = setTimeout(() => {
        settle({ failure: "timeout", reason: `connecting to ${address} port ${port} timed out` });
        socket.destroy();
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        settle({ socket });
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        settle(connectFailure(error, address, port));
      });
      socket.once("close", () => {
        clearTimeout(timer);
        upstreams.delete(socket);
        settle({ failure: "failed", reason: `connection to ${address} port ${port} closed` });
      });
    });
  }

  /**
   * Bytes both ways until both sides are closed, then one event. A half-close is passed on
   * (a client may end its side and still wait for the answer). When one side has closed
   * cleanly, the other still gets what was sent to it before it is closed too; when one
   * side was cut (an error, a reset), so is the other.
   */
  function tunnel(target: Target, opened: { upstream: Socket; address: string }, client: Socket, head: Buffer, startedAt: number): void {
    const upstream = opened.upstream;
    let bytesUp = head.length;
    let bytesDown = 0;
    let open = 2;
    const closed = (side: Socket, other: Socket): void => {
      if (!side.readableEnded || other.writableFinished || other.destroyed) other.destroy();
      else {
        // The pipe has ended the other side; let it deliver what it holds.
        other.once("finish", () => other.destroy());
        setTimeout(() => other.destroy(), DRAIN_GRACE_MS).unref();
      }
      if (--open === 0) report(eventOf(target, startedAt, { allowed: true, address: opened.address, bytesUp, bytesDown }));
    };
    for (const [side, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      if (side.destroyed) closed(side, other);
      else side.once("close", () => closed(side, other));
    }
    client.on("data", (chunk: Buffer) => (bytesUp += chunk.length));
    upstream.on("data", (chunk: Buffer) => (bytesDown += chunk.length));
    if (head.length > 0) upstream.write(head);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  await new Promise<void>((done, failed) => {
    listener.once("error", failed);
    listener.listen(options.socketPath, () => {
      listener.off("error", failed);
      done();
    });
  });
  listener.on("error", () => {}); // accept() errors (EMFILE) must not end the process
  try {
    // Connecting needs write permission; with the usual umask the socket is not writable
    // by others even before this, and the folder is the caller's.
    chmodSync(options.socketPath, 0o600);
  } catch (error) {
    listener.close();
    throw error;
  }

  let closed: Promise<void> | null = null;
  return {
    socketPath: options.socketPath,
    connections: () => clients.size,
    close(): Promise<void> {
      closed ??= new Promise<void>((done) => {
        closing = true;
        listener.close(() => done());
        for (const timer of headTimers.values()) clearTimeout(timer);
        headTimers.clear();
        for (const socket of [...clients, ...turnedAway, ...upstreams]) socket.destroy();
      });
      return closed;
    },
  };
}

/** The event of a connection to this target that ends now (fields left undefined are left out). */
function eventOf(target: Target, startedAt: number, outcome: { allowed: boolean; reason?: string | undefined; address?: string | undefined; bytesUp: number; bytesDown: number }): EgressEvent {
  const event: EgressEvent = { key: target.credentials?.user ?? null, host: target.host, port: target.port, protocol: target.protocol, allowed: outcome.allowed, bytesUp: outcome.bytesUp, bytesDown: outcome.bytesDown, startedAt, endedAt: Date.now() };
  if (outcome.address !== undefined) event.address = outcome.address;
  if (outcome.reason !== undefined) event.reason = outcome.reason;
  return event;
}

/** host:port of a CONNECT request ("[v6]:port" for IPv6); null when either is not valid. */
function parseAuthority(authority: string): { host: string; port: number } | null {
  const match = /^(\[[^\]]*\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!match) return null;
  const host = normalizeHost(match[1] ?? "");
  const port = Number(match[2]);
  return host !== null && port >= 1 && port <= 65535 ? { host, port } : null;
}

/**
 * An absolute http:// request target: the host and port to check, the authority for the
 * Host header and the path as the client wrote it (not re-encoded or resolved).
 */
function parseHttpUrl(target: string): { host: string; port: number; authority: string; path: string } | null {
  const match = /^http:\/\/([^/?#]+)([^#]*)/i.exec(target);
  if (!match) return null;
  let url: URL;
  try {
    url = new URL(`http://${match[1]}/`);
  } catch {
    return null;
  }
  const host = normalizeHost(url.hostname);
  const port = url.port === "" ? 80 : Number(url.port);
  if (host === null || port < 1 || port > 65535) return null;
  const rest = match[2] ?? "";
  const path = rest === "" ? "/" : rest.startsWith("/") ? rest : `/${rest}`;
  return { host, port, authority: url.host, path };
}

/** Proxy-Authorization: Basic base64(user:pass). null when missing or not of that form. */
function basicCredentials(header: string | undefined): Credentials | null {
  const match = /^basic\s+([A-Za-z0-9+/]+=*)\s*$/i.exec(header ?? "");
  if (!match) return null;
  const decoded = Buffer.from(match[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/** Raw headers (name, value, name, value…) without hop-by-hop and Proxy-* ones. */
function passedOn(raw: readonly string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === "connection") for (const token of (raw[i + 1] ?? "").split(",")) named.add(token.trim().toLowerCase());
  }
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? "";
    const lower = name.toLowerCase();
    if (NOT_PASSED_ON.has(lower) || named.has(lower) || lower.startsWith("proxy-")) continue;
    kept.push(name, raw[i + 1] ?? "");
  }
  return kept;
}

/** A reason as a header value: printable ASCII only, not too long. */
function headerSafe(reason: string): string {
  return reason.replace(/[^\x20-\x7e]/g, "?").slice(0, 200);
}

/** A complete HTTP answer on a raw socket (CONNECT failures, malformed requests). */
function httpAnswer(status: number, reason: string, denied = false): string {
  const body = `chatgpt-codex: ${reason}\n`;
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}`];
  if (denied) lines.push(`${DENIED_HEADER}: ${headerSafe(reason)}`);
  lines.push("Content-Type: text/plain; charset=utf-8", `Content-Length: ${Buffer.byteLength(body)}`, "Connection: close", "", body);
  return lines.join("\r\n");
}

/** The same answer through a ServerResponse (plain http:// requests). */
function answer(res: ServerResponse, status: number, reason: string, denied = false): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  const body = `chatgpt-codex: ${reason}\n`;
  const headers: Record<string, string | number> = { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), Connection: "close" };
  if (denied) headers[DENIED_HEADER] = headerSafe(reason);
  res.writeHead(status, headers).end(body);
}

/** Writes the last bytes and closes (also when the client does not close its side). */
function endWith(socket: Socket, bytes: string | Buffer): void {
  if (socket.destroyed) return;
  socket.end(bytes, () => socket.destroy());
}

function connectFailure(error: NodeJS.ErrnoException, address: string, port: number): { failure: Failure; reason: string } {
  const where = `${address} port ${port}`;
  switch (error.code) {
    case "ECONNREFUSED":
      return { failure: "refused", reason: `connection refused by ${where}` };
    case "ENETUNREACH":
      return { failure: "network-unreachable", reason: `network unreachable for ${where}` };
    case "EHOSTUNREACH":
      return { failure: "host-unreachable", reason: `host unreachable: ${where}` };
    case "ETIMEDOUT":
      return { failure: "timeout", reason: `connecting to ${where} timed out` };
    default:
      return { failure: "failed", reason: `connecting to ${where} failed: ${error.code ?? error.message}` };
  }
}

const TIMED_OUT = Symbol("timed out");

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((settle) => (timer = setTimeout(() => settle(TIMED_OUT), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
