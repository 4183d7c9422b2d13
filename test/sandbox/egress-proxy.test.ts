/**
 * The egress proxy against real loopback servers (a TCP echo and an HTTP origin started
 * here), reached through the proxy's Unix socket as a sandboxed command would: HTTP
 * CONNECT, plain http:// requests and SOCKS5. Names resolve through an injected resolver;
 * nothing leaves 127.0.0.1.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { statSync } from "node:fs";
import { request, createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from "node:http";
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { DENIED_HEADER, startEgressProxy, type EgressEvent, type EgressOptions, type EgressProxy, type Target } from "../../src/sandbox/egress/proxy.js";
import { comesTrue, tempDir } from "../helpers.js";

const USER = "job-1";
const PASS = "s3cret";
const BASIC = `Basic ${Buffer.from(`${USER}:${PASS}`).toString("base64")}`;

let echo: Server;
let echoPort = 0;
let echoConnections = 0;
let origin: HttpServer;
let originPort = 0;
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const seenByOrigin: Seen[] = [];

before(async () => {
  echo = createServer((socket) => {
    echoConnections++;
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  echo.listen(0, "127.0.0.1");
  await once(echo, "listening");
  echoPort = (echo.address() as AddressInfo).port;

  origin = createHttpServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      seenByOrigin.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      // The origin checks: no proxy credentials may ever reach it.
      const leaked = Object.keys(req.headers).filter((name) => name.startsWith("proxy-"));
      res.writeHead(leaked.length > 0 ? 500 : 200, { "Content-Type": "text/plain", "X-Origin": "yes", "Keep-Alive": "timeout=5" });
      res.end(leaked.length > 0 ? `leaked ${leaked.join(",")}` : `origin saw ${req.method} ${req.url} ${body.length}`);
    });
  });
  origin.listen(0, "127.0.0.1");
  await once(origin, "listening");
  originPort = (origin.address() as AddressInfo).port;
});

after(() => {
  echo.close();
  origin.close();
});

interface Harness {
  proxy: EgressProxy;
  socketPath: string;
  events: EgressEvent[];
  decided: Target[];
  resolved: string[];
  /** The first event that matches (waits for it). */
  event(match?: (event: EgressEvent) => boolean): Promise<EgressEvent>;
}

const NAMES: Record<string, string[]> = {
  "echo.test": ["127.0.0.1"],
  "origin.test": ["127.0.0.1"],
  "loop.test": ["127.0.0.1"],
  "ten.test": ["10.0.0.1"],
  "mapped.test": ["::ffff:127.0.0.1"],
  "metadata.test": ["169.254.169.254"],
  "unspecified.test": ["0.0.0.0"],
};

/** A proxy on a fresh socket: the key job-1/s3cret is allowed, names resolve from NAMES, echo and origin ports are listed. */
async function harness(t: TestContext, overrides: Partial<EgressOptions> = {}): Promise<Harness> {
  const socketPath = join(tempDir("cgc-egress-"), "egress.sock");
  const events: EgressEvent[] = [];
  const decided: Target[] = [];
  const resolved: string[] = [];
  const waiting: { match: (event: EgressEvent) => boolean; found: (event: EgressEvent) => void }[] = [];
  const proxy = await startEgressProxy({
    socketPath,
    decide: (target) => {
      decided.push(target);
      return target.credentials?.user === USER && target.credentials.pass === PASS ? { allow: true } : { allow: false, reason: "unknown key" };
    },
    localPorts: () => [echoPort, originPort],
    onEvent: (event) => {
      events.push(event);
      for (const waiter of waiting.splice(0)) {
        if (waiter.match(event)) waiter.found(event);
        else waiting.push(waiter);
      }
    },
    resolve: async (host) => {
      resolved.push(host);
      const addresses = NAMES[host];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
      return addresses;
    },
    ...overrides,
  });
  t.after(() => proxy.close());
  const event = (match: (event: EgressEvent) => boolean = () => true) =>
    new Promise<EgressEvent>((found) => {
      const seen = events.find(match);
      if (seen) found(seen);
      else waiting.push({ match, found });
    });
  return { proxy, socketPath, events, decided, resolved, event };
}

interface Connected {
  status: number;
  headers: IncomingHttpHeaders;
  socket: Socket;
  head: Buffer;
}

/** An HTTP CONNECT through the proxy's socket, as http clients send it. */
function connectVia(socketPath: string, authority: string, headers: Record<string, string> = { "Proxy-Authorization": BASIC }): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method: "CONNECT", path: authority, headers, agent: false });
    req.on("connect", (res, socket: Socket, head: Buffer) => resolve({ status: res.statusCode ?? 0, headers: res.headers, socket, head }));
    req.on("error", reject);
    req.end();
  });
}

/** Everything the socket still sends until it closes. */
function readToClose(socket: Socket, head: Buffer = Buffer.alloc(0)): Promise<Buffer> {
  const chunks = [head];
  return new Promise((resolve) => {
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    socket.once("close", () => resolve(Buffer.concat(chunks)));
  });
}

/** Writes, half-closes and collects the echo. */
async function roundTrip(socket: Socket, payload: string, head: Buffer = Buffer.alloc(0)): Promise<string> {
  const all = readToClose(socket, head);
  socket.end(payload);
  return (await all).toString("utf8");
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A plain http:// request in absolute form through the proxy. */
function httpVia(socketPath: string, method: string, url: string, headers: Record<string, string> = { "Proxy-Authorization": BASIC }, body?: string | Buffer[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path: url, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    if (Array.isArray(body)) for (const part of body) req.write(part);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

/** A raw connection to the proxy's socket. */
async function raw(socketPath: string): Promise<Socket> {
  const socket = connect({ path: socketPath });
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

/** Exact reads on the client side of a SOCKS5 exchange. */
class Incoming {
  private buffer = Buffer.alloc(0);
  private closed = false;
  private wake: (() => void) | null = null;
  constructor(socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.notify();
    });
    socket.on("close", () => {
      this.closed = true;
      this.notify();
    });
  }
  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
  async take(length: number): Promise<number[]> {
    while (this.buffer.length < length) {
      if (this.closed) throw new Error(`closed with ${this.buffer.length} of ${length} bytes`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const taken = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return [...taken];
  }
  /** Waits for the close and gives what came before it. */
  async rest(): Promise<number[]> {
    while (!this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
    return [...this.buffer];
  }
}

type SocksAddress = { domain: string } | { ipv4: string } | { ipv6: number[] } | { type: number; bytes: number[] };

function addressBytes(address: SocksAddress): number[] {
  if ("domain" in address) return [0x03, address.domain.length, ...Buffer.from(address.domain, "latin1")];
  if ("ipv4" in address) return [0x01, ...address.ipv4.split(".").map(Number)];
  if ("ipv6" in address) return [0x04, ...address.ipv6];
  return [address.type, ...address.bytes];
}

/** A SOCKS5 handshake with username/password; the reply code to the request, and the socket for the tunnel. */
async function socksVia(socketPath: string, address: SocksAddress, port: number, options: { user?: string; pass?: string; command?: number } = {}): Promise<{ code: number; socket: Socket; incoming: Incoming }> {
  const socket = await raw(socketPath);
  const incoming = new Incoming(socket);
  socket.write(Buffer.from([0x05, 0x01, 0x02]));
  assert.deepEqual(await incoming.take(2), [0x05, 0x02]);
  const user = Buffer.from(options.user ?? USER);
  const pass = Buffer.from(options.pass ?? PASS);
  socket.write(Buffer.from([0x01, user.length, ...user, pass.length, ...pass]));
  assert.deepEqual(await incoming.take(2), [0x01, 0x00]);
  socket.write(Buffer.from([0x05, options.command ?? 0x01, 0x00, ...addressBytes(address), port >> 8, port & 0xff]));
  const reply = await incoming.take(10);
  assert.equal(reply[0], 0x05);
  return { code: reply[1] ?? -1, socket, incoming };
}

/** Waits until the condition holds (the proxy counts a closed connection a little after the client sees it). */
async function until(condition: () => boolean): Promise<void> {
  assert.ok(await comesTrue(condition), "condition never held");
}

describe("egress proxy: HTTP CONNECT", () => {
  test("an allowed CONNECT with credentials carries bytes both ways and reports them", async (t) => {
    const h = await harness(t);
    const tunnel = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(tunnel.status, 200);
    assert.equal(await roundTrip(tunnel.socket, "hello through the proxy", tunnel.head), "hello through the proxy");
    const event = await h.event();
    assert.deepEqual(
      { ...event, startedAt: 0, endedAt: 0 },
      { key: USER, host: "echo.test", port: echoPort, address: "127.0.0.1", protocol: "connect", allowed: true, bytesUp: 23, bytesDown: 23, startedAt: 0, endedAt: 0 },
    );
    assert.ok(event.endedAt >= event.startedAt);
    assert.deepEqual(h.decided, [{ host: "echo.test", port: echoPort, credentials: { user: USER, pass: PASS }, protocol: "connect" }]);
    assert.deepEqual(h.resolved, ["echo.test"]);
  });

  test("a large answer after the client's half-close arrives whole, and is counted", async (t) => {
    const size = 4 * 1024 * 1024;
    const big = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end(Buffer.alloc(size, 7)));
    });
    big.listen(0, "127.0.0.1");
    await once(big, "listening");
    t.after(() => big.close());
    const port = (big.address() as AddressInfo).port;
    const h = await harness(t, { localPorts: () => [port] });
    const tunnel = await connectVia(h.socketPath, `127.0.0.1:${port}`);
    assert.equal(tunnel.status, 200);
    let received = tunnel.head.length;
    tunnel.socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      tunnel.socket.pause();
      setImmediate(() => tunnel.socket.resume());
    });
    tunnel.socket.end("send it");
    await once(tunnel.socket, "close");
    assert.equal(received, size);
    const event = await h.event();
    assert.equal(event.bytesDown, size);
    assert.equal(event.bytesUp, 7);
  });

  test("decide() denies: 403, the reason in a header and the body, and an event", async (t) => {
    const h = await harness(t);
    const basic = `Basic ${Buffer.from("intruder:guess").toString("base64")}`;
    const denied = await connectVia(h.socketPath, `echo.test:${echoPort}`, { "Proxy-Authorization": basic });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers[DENIED_HEADER.toLowerCase()], "unknown key");
    assert.equal((await readToClose(denied.socket, denied.head)).toString(), "chatgpt-codex: unknown key\n");
    const event = await h.event();
    assert.equal(event.allowed, false);
    assert.equal(event.reason, "unknown key");
    assert.equal(event.key, "intruder");
    assert.deepEqual(h.resolved, [], "a denied name is not even resolved");
  });

  test("without credentials decide() still runs, with credentials null", async (t) => {
    const h = await harness(t);
    const denied = await connectVia(h.socketPath, `echo.test:${echoPort}`, {});
    assert.equal(denied.status, 403);
    denied.socket.destroy();
    assert.equal(h.decided[0]?.credentials, null);
    assert.equal((await h.event()).key, null);
  });

  test("a Proxy-Authorization that is not Basic user:pass counts as no credentials", async (t) => {
    const h = await harness(t);
    for (const header of ["Bearer abc", "Basic !!!", `Basic ${Buffer.from("no-colon").toString("base64")}`]) {
      const denied = await connectVia(h.socketPath, `echo.test:${echoPort}`, { "Proxy-Authorization": header });
      assert.equal(denied.status, 403);
      denied.socket.destroy();
    }
    assert.deepEqual(
      h.decided.map((target) => target.credentials),
      [null, null, null],
    );
  });

  for (const [name, address] of [
    ["loop.test", "127.0.0.1"],
    ["ten.test", "10.0.0.1"],
    ["mapped.test", "::ffff:127.0.0.1"],
    ["metadata.test", "169.254.169.254"],
    ["unspecified.test", "0.0.0.0"],
  ] as const) {
    test(`a name resolving to ${address} is refused though decide() allows it`, async (t) => {
      const h = await harness(t, { localPorts: () => [] });
      const before = echoConnections;
      const refused = await connectVia(h.socketPath, `${name}:${echoPort}`);
      assert.equal(refused.status, 403);
      assert.equal(refused.headers[DENIED_HEADER.toLowerCase()], `private or loopback address ${address}`);
      refused.socket.destroy();
      const event = await h.event();
      assert.equal(event.allowed, false);
      assert.equal(event.address, address);
      assert.equal(event.reason, `private or loopback address ${address}`);
      assert.equal(echoConnections, before, "nothing was connected");
    });
  }

  test("a loopback port listed in localPorts is reachable, by IP literal too", async (t) => {
    const h = await harness(t, { localPorts: () => [echoPort] });
    const tunnel = await connectVia(h.socketPath, `127.0.0.1:${echoPort}`);
    assert.equal(tunnel.status, 200);
    assert.equal(await roundTrip(tunnel.socket, "local", tunnel.head), "local");
    assert.deepEqual(h.resolved, [], "an IP literal is used as is");
  });

  test("an IP literal on loopback is refused when its port is not listed", async (t) => {
    const h = await harness(t, { localPorts: () => [echoPort + 1] });
    for (const [authority, address] of [
      [`127.0.0.1:${echoPort}`, "127.0.0.1"],
      [`[::1]:${echoPort}`, "::1"],
      [`[::ffff:127.0.0.1]:${echoPort}`, "::ffff:7f00:1"],
    ]) {
      const refused = await connectVia(h.socketPath, authority ?? "");
      assert.equal(refused.status, 403, authority);
      assert.equal(refused.headers[DENIED_HEADER.toLowerCase()], `private or loopback address ${address}`);
      refused.socket.destroy();
    }
    assert.deepEqual(h.resolved, []);
  });

  test("bad CONNECT targets get 400 before decide()", async (t) => {
    const h = await harness(t);
    for (const authority of ["echo.test:0", "echo.test:70000", "echo.test", "echo.test:", ":443", "bad!host.test:443", "user@echo.test:443", "[::1:443", "127.1:443"]) {
      const bad = await connectVia(h.socketPath, authority);
      assert.equal(bad.status, 400, authority);
      bad.socket.destroy();
    }
    assert.deepEqual(h.decided, []);
  });

  test("a port nobody listens on: 502, and the event says why", async (t) => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, "close");
    const h = await harness(t, { localPorts: () => [port] });
    const failed = await connectVia(h.socketPath, `127.0.0.1:${port}`);
    assert.equal(failed.status, 502);
    assert.match((await readToClose(failed.socket, failed.head)).toString(), /connection refused/);
    const event = await h.event();
    assert.equal(event.allowed, true);
    assert.match(event.reason ?? "", /connection refused/);
  });

  test("a name that cannot be resolved: 502; a resolver that never answers: 504", async (t) => {
    const h = await harness(t);
    const unknown = await connectVia(h.socketPath, "nowhere.test:443");
    assert.equal(unknown.status, 502);
    assert.match((await readToClose(unknown.socket, unknown.head)).toString(), /cannot resolve nowhere\.test/);

    const stuck = await harness(t, { resolve: () => new Promise<string[]>(() => {}), connectTimeoutMs: 50 });
    const late = await connectVia(stuck.socketPath, "echo.test:443");
    assert.equal(late.status, 504);
    late.socket.destroy();
    assert.match((await stuck.event()).reason ?? "", /timed out/);
  });

  test("a decide() that throws denies; an onEvent() that throws changes nothing", async (t) => {
    const h = await harness(t, {
      decide: () => {
        throw new Error("boom");
      },
      onEvent: () => {
        throw new Error("listener boom");
      },
    });
    const denied = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(denied.status, 403);
    assert.equal(denied.headers[DENIED_HEADER.toLowerCase()], "policy error");
    denied.socket.destroy();
    const again = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(again.status, 403);
    again.socket.destroy();
  });

  test("the socket is made 0600", async (t) => {
    const h = await harness(t);
    assert.equal(statSync(h.socketPath).mode & 0o777, 0o600);
  });
});

describe("egress proxy: SOCKS5", () => {
  test("a domain name CONNECT with username/password tunnels and reports", async (t) => {
    const h = await harness(t);
    const { code, socket } = await socksVia(h.socketPath, { domain: "echo.test" }, echoPort);
    assert.equal(code, 0x00);
    assert.equal(await roundTrip(socket, "socks bytes"), "socks bytes");
    const event = await h.event();
    assert.deepEqual(
      { ...event, startedAt: 0, endedAt: 0 },
      { key: USER, host: "echo.test", port: echoPort, address: "127.0.0.1", protocol: "socks5", allowed: true, bytesUp: 11, bytesDown: 11, startedAt: 0, endedAt: 0 },
    );
    assert.deepEqual(h.decided[0]?.credentials, { user: USER, pass: PASS });
  });

  test("an IPv4 CONNECT to a listed loopback port tunnels", async (t) => {
    const h = await harness(t);
    const { code, socket } = await socksVia(h.socketPath, { ipv4: "127.0.0.1" }, echoPort);
    assert.equal(code, 0x00);
    assert.equal(await roundTrip(socket, "v4"), "v4");
    assert.equal((await h.event()).host, "127.0.0.1");
  });

  test("bytes sent right after the request go through the tunnel first", async (t) => {
    const h = await harness(t);
    const socket = await raw(h.socketPath);
    const incoming = new Incoming(socket);
    const user = Buffer.from(USER);
    const pass = Buffer.from(PASS);
    // Everything in one write: greeting, credentials, request, and the first data.
    socket.write(Buffer.concat([Buffer.from([5, 1, 2, 1, user.length, ...user, pass.length, ...pass, 5, 1, 0, 1, 127, 0, 0, 1, echoPort >> 8, echoPort & 0xff]), Buffer.from("early")]));
    assert.deepEqual(await incoming.take(4), [5, 2, 1, 0]);
    assert.equal((await incoming.take(10))[1], 0x00);
    assert.equal(Buffer.from(await incoming.take(5)).toString(), "early");
    socket.end();
    assert.equal((await h.event()).bytesUp, 5);
  });

  test("no-auth is refused: every connection needs a key", async (t) => {
    const h = await harness(t);
    const socket = await raw(h.socketPath);
    const incoming = new Incoming(socket);
    socket.write(Buffer.from([0x05, 0x01, 0x00]));
    assert.deepEqual(await incoming.rest(), [0x05, 0xff]);
    assert.deepEqual(h.decided, []);
  });

  test("a denial answers 0x02 (not allowed by ruleset) and is reported", async (t) => {
    const h = await harness(t);
    const { code, incoming } = await socksVia(h.socketPath, { domain: "echo.test" }, echoPort, { user: "intruder" });
    assert.equal(code, 0x02);
    assert.deepEqual(await incoming.rest(), []);
    const event = await h.event();
    assert.equal(event.allowed, false);
    assert.equal(event.key, "intruder");
    assert.equal(event.reason, "unknown key");
  });

  test("private addresses answer 0x02, by name, IPv4 and IPv6", async (t) => {
    const h = await harness(t, { localPorts: () => [] });
    const loopback6 = [...new Array<number>(15).fill(0), 1];
    for (const address of [{ domain: "ten.test" }, { ipv4: "127.0.0.1" }, { ipv6: loopback6 }] satisfies SocksAddress[]) {
      const { code, socket } = await socksVia(h.socketPath, address, echoPort);
      assert.equal(code, 0x02, JSON.stringify(address));
      socket.destroy();
    }
    await until(() => h.events.length === 3);
    assert.deepEqual(
      h.events.map((event) => [event.host, event.reason]),
      [
        ["ten.test", "private or loopback address 10.0.0.1"],
        ["127.0.0.1", "private or loopback address 127.0.0.1"],
        ["::1", "private or loopback address ::1"],
      ],
    );
  });

  test("unresolvable answers 0x04, refused 0x05, other commands 0x07, other address types 0x08", async (t) => {
    const h = await harness(t, { localPorts: () => [1] });
    assert.equal((await socksVia(h.socketPath, { domain: "nowhere.test" }, 443)).code, 0x04);
    assert.equal((await socksVia(h.socketPath, { ipv4: "127.0.0.1" }, 1)).code, 0x05);
    assert.equal((await socksVia(h.socketPath, { domain: "echo.test" }, echoPort, { command: 0x02 })).code, 0x07);
    assert.equal((await socksVia(h.socketPath, { domain: "echo.test" }, echoPort, { command: 0x03 })).code, 0x07);
    assert.equal((await socksVia(h.socketPath, { type: 0x09, bytes: [1, 2, 3, 4] }, echoPort)).code, 0x08);
    assert.equal((await socksVia(h.socketPath, { domain: "bad name" }, echoPort)).code, 0x01);
    assert.equal((await socksVia(h.socketPath, { domain: "echo.test" }, 0)).code, 0x01);
  });

  test("an empty username counts as no credentials", async (t) => {
    const h = await harness(t);
    assert.equal((await socksVia(h.socketPath, { domain: "echo.test" }, echoPort, { user: "" })).code, 0x02);
    assert.equal(h.decided[0]?.credentials, null);
  });
});

describe("egress proxy: plain http:// requests", () => {
  test("a GET is forwarded without hop-by-hop and Proxy-* headers; Host is the URL's", async (t) => {
    const h = await harness(t);
    seenByOrigin.length = 0;
    const reply = await httpVia(h.socketPath, "GET", `http://origin.test:${originPort}/path/../x?q=1%2F`, {
      "Proxy-Authorization": BASIC,
      "Proxy-Connection": "keep-alive",
      Connection: "keep-alive, X-Drop-Me",
      "Keep-Alive": "timeout=5",
      "X-Drop-Me": "1",
      "X-Keep": "kept",
      Host: "somewhere-else.test",
    });
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.body, "origin saw GET /path/../x?q=1%2F 0");
    assert.equal(reply.headers["x-origin"], "yes");
    assert.equal(reply.headers["keep-alive"], undefined, "hop-by-hop headers of the answer are not passed back either");
    const seen = seenByOrigin[0];
    assert.ok(seen);
    assert.equal(seen.url, "/path/../x?q=1%2F", "the path is passed as written");
    assert.equal(seen.headers.host, `origin.test:${originPort}`);
    assert.equal(seen.headers["x-keep"], "kept");
    for (const name of ["proxy-authorization", "proxy-connection", "keep-alive", "x-drop-me"]) assert.equal(seen.headers[name], undefined, name);
    assert.equal(seen.headers.connection, "close");
    const event = await h.event();
    assert.equal(event.protocol, "http");
    assert.equal(event.allowed, true);
    assert.equal(event.host, "origin.test");
    assert.equal(event.address, "127.0.0.1");
    assert.ok(event.bytesUp > 0 && event.bytesDown > 0);
  });

  test("a POST body arrives whole, sized or chunked", async (t) => {
    const h = await harness(t);
    seenByOrigin.length = 0;
    const sized = await httpVia(h.socketPath, "POST", `http://origin.test:${originPort}/upload`, { "Proxy-Authorization": BASIC, "Content-Length": "11" }, "hello world");
    assert.equal(sized.body, "origin saw POST /upload 11");
    const chunked = await httpVia(h.socketPath, "POST", `http://origin.test:${originPort}/chunks`, { "Proxy-Authorization": BASIC }, [Buffer.from("abc"), Buffer.from("defg")]);
    assert.equal(chunked.body, "origin saw POST /chunks 7");
    assert.deepEqual(
      seenByOrigin.map((seen) => seen.body),
      ["hello world", "abcdefg"],
    );
  });

  test("a denied request gets 403 with the reason and never reaches the origin", async (t) => {
    const h = await harness(t);
    seenByOrigin.length = 0;
    const reply = await httpVia(h.socketPath, "GET", `http://origin.test:${originPort}/`, {});
    assert.equal(reply.status, 403);
    assert.equal(reply.headers[DENIED_HEADER.toLowerCase()], "unknown key");
    assert.equal(reply.body, "chatgpt-codex: unknown key\n");
    assert.deepEqual(seenByOrigin, []);
    const refused = await httpVia(h.socketPath, "GET", `http://metadata.test/latest/meta-data/`);
    assert.equal(refused.status, 403);
    assert.equal(refused.headers[DENIED_HEADER.toLowerCase()], "private or loopback address 169.254.169.254");
  });

  test("requests that are not absolute http:// URLs get 400", async (t) => {
    const h = await harness(t);
    for (const url of ["/relative", "https://origin.test/", "http://origin.test:0/", "http://:80/", "http://exa%20mple.test/"]) {
      assert.equal((await httpVia(h.socketPath, "GET", url)).status, 400, url);
    }
    assert.deepEqual(h.decided, []);
  });
});

describe("egress proxy: hostile origins", () => {
  /** An origin that answers any request with these bytes. */
  async function rawOrigin(t: TestContext, answer: string): Promise<number> {
    const server = createServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => socket.end(answer));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    t.after(() => server.close());
    return (server.address() as AddressInfo).port;
  }

  for (const [what, bytes, reason] of [
    ["a status below 100", "HTTP/1.1 050 Odd\r\nContent-Length: 2\r\n\r\nok", /cannot be passed on/],
    ["a switch of protocols", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\nraw", /switched protocols/],
    ["no HTTP at all", "SSH-2.0-OpenSSH\r\n", /origin failed/],
    ["nothing", "", /origin failed/],
  ] as const) {
    test(`an origin that answers ${what} gets the client a 502`, async (t) => {
      const port = await rawOrigin(t, bytes);
      const h = await harness(t, { localPorts: () => [port] });
      const reply = await httpVia(h.socketPath, "GET", `http://origin.test:${port}/`);
      assert.equal(reply.status, 502);
      assert.match(reply.body, reason);
      assert.match((await h.event()).reason ?? "", reason);
    });
  }
});

describe("egress proxy: hostile clients", () => {
  test("garbage is answered 400 or closed, and the proxy keeps serving", async (t) => {
    const h = await harness(t, { headTimeoutMs: 300 });
    const first = await raw(h.socketPath);
    const answered = readToClose(first);
    first.write("\x16\x03\x01\x02\x00garbage\r\n\r\n");
    assert.match((await answered).toString("latin1"), /^HTTP\/1\.1 400 /);

    const samples = [Buffer.from([0x05]), Buffer.from([0x05, 0x00]), Buffer.from([0x05, 0x01, 0x02, 0x09, 0x09]), Buffer.from("GET http://x/ HTTP/9.9\r\n\r\n"), Buffer.from("CONNECT\r\n\r\n")];
    for (let i = 0; i < 40; i++) samples.push(randomBytes(1 + (i % 7) * 37));
    await Promise.all(
      samples.map(async (bytes) => {
        const socket = await raw(h.socketPath);
        const closed = readToClose(socket);
        socket.write(bytes);
        await closed;
      }),
    );
    const tunnel = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(tunnel.status, 200);
    assert.equal(await roundTrip(tunnel.socket, "still here", tunnel.head), "still here");
    await until(() => h.proxy.connections() === 0);
  });

  test("a request head over 32 KB gets 431", async (t) => {
    const h = await harness(t);
    const socket = await raw(h.socketPath);
    const answered = readToClose(socket);
    socket.write(`CONNECT echo.test:${echoPort} HTTP/1.1\r\nX-Big: ${"a".repeat(40_000)}\r\n\r\n`);
    assert.match((await answered).toString("latin1"), /^HTTP\/1\.1 431 /);
    assert.deepEqual(h.decided, []);
  });

  test("a client that never finishes its head is closed (HTTP gets 408), silent ones too", async (t) => {
    const h = await harness(t, { headTimeoutMs: 100 });
    const slowHttp = await raw(h.socketPath);
    const httpAnswer = readToClose(slowHttp);
    slowHttp.write(`CONNECT echo.test:${echoPort} HTTP/1.1\r\nX-Slow: a`);
    const slowSocks = await raw(h.socketPath);
    const socksAnswer = readToClose(slowSocks);
    slowSocks.write(Buffer.from([0x05, 0x01]));
    const silent = await raw(h.socketPath);
    const silentAnswer = readToClose(silent);
    assert.match((await httpAnswer).toString("latin1"), /^HTTP\/1\.1 408 /);
    assert.deepEqual([...(await socksAnswer)], []);
    assert.deepEqual([...(await silentAnswer)], []);
    assert.deepEqual(h.decided, []);
  });

  test("beyond maxConnections a client is refused in its own protocol", async (t) => {
    const h = await harness(t, { maxConnections: 2 });
    const one = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    const two = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(one.status, 200);
    assert.equal(two.status, 200);
    assert.equal(h.proxy.connections(), 2);

    const third = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(third.status, 503);
    third.socket.destroy();
    const socks = await raw(h.socketPath);
    const incoming = new Incoming(socks);
    socks.write(Buffer.from([0x05, 0x01, 0x02]));
    assert.deepEqual(await incoming.rest(), [0x05, 0xff]);

    one.socket.destroy();
    await until(() => h.proxy.connections() === 1);
    const again = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(again.status, 200);
    again.socket.destroy();
    two.socket.destroy();
  });

  test("close() tears down open tunnels and reports them", async (t) => {
    const h = await harness(t);
    const tunnel = await connectVia(h.socketPath, `echo.test:${echoPort}`);
    assert.equal(tunnel.status, 200);
    const { code, socket } = await socksVia(h.socketPath, { domain: "echo.test" }, echoPort);
    assert.equal(code, 0x00);
    const ended = [readToClose(tunnel.socket, tunnel.head), readToClose(socket)];
    assert.equal(h.proxy.connections(), 2);
    await h.proxy.close();
    await Promise.all(ended);
    await until(() => h.events.length === 2);
    assert.deepEqual(h.events.map((event) => event.protocol).sort(), ["connect", "socks5"]);
    assert.equal(h.proxy.connections(), 0);
    await h.proxy.close(); // twice is fine
  });
});
