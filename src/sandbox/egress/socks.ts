/**
 * The SOCKS5 side of the egress proxy (RFC 1928), as far as a sandboxed command needs it:
 * username/password authentication (RFC 1929, the credentials name the job; no-auth is
 * refused), the CONNECT command, and IPv4, domain and IPv6 addresses.
 *
 * negotiateSocks reads the greeting, the credentials and the request; it answers protocol
 * errors itself and closes the socket. What to do with the target is the proxy's business.
 */
import type { Socket } from "node:net";
import { normalizeHost } from "./hosts.js";
import type { Credentials } from "./proxy.js";

export const SOCKS_VERSION = 0x05;

/** Reply codes of RFC 1928 section 6. */
export const SocksReply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

const AUTH_VERSION = 0x01;
const METHOD_USER_PASS = 0x02;
const NO_ACCEPTABLE_METHOD = 0xff;
const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;
/** Bytes kept from a client that sends before it is answered; beyond this it is not read until the tunnel starts. */
const MAX_BUFFERED = 64 * 1024;

export interface SocksRequest {
  host: string;
  port: number;
  credentials: Credentials | null;
  /** Bytes the client sent after its request, to go through the tunnel first. */
  rest: Buffer;
}

/** A reply to a CONNECT request. The bound address is not meaningful here and is sent as 0.0.0.0:0. */
export function socksReply(code: number): Buffer {
  return Buffer.from([SOCKS_VERSION, code, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}

/**
 * Reads a SOCKS5 handshake from the socket, whose first bytes were already read (`first`).
 * The request, or null when the client broke the protocol or went away (then it has been
 * answered as far as the protocol allows, and the socket is ended). Never throws.
 */
export async function negotiateSocks(socket: Socket, first: Buffer): Promise<SocksRequest | null> {
  const reader = new Reader(socket, first);
  try {
    // Greeting: VER NMETHODS METHODS…
    const [version = 0, count = 0] = await reader.take(2);
    const methods = await reader.take(count);
    if (version !== SOCKS_VERSION || !methods.includes(METHOD_USER_PASS)) {
      endWith(socket, Buffer.from([SOCKS_VERSION, NO_ACCEPTABLE_METHOD]));
      return null;
    }
    socket.write(Buffer.from([SOCKS_VERSION, METHOD_USER_PASS]));

    // RFC 1929: VER ULEN UNAME PLEN PASSWD. The credentials are judged later, with the target.
    const [authVersion = 0, userLength = 0] = await reader.take(2);
    if (authVersion !== AUTH_VERSION) {
      endWith(socket, Buffer.from([AUTH_VERSION, 0x01]));
      return null;
    }
    const user = (await reader.take(userLength)).toString("utf8");
    const [passLength = 0] = await reader.take(1);
    const pass = (await reader.take(passLength)).toString("utf8");
    socket.write(Buffer.from([AUTH_VERSION, 0x00]));

    // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
    const [requestVersion = 0, command = 0, , addressType = 0] = await reader.take(4);
    if (requestVersion !== SOCKS_VERSION) {
      endWith(socket, socksReply(SocksReply.generalFailure));
      return null;
    }
    let host: string | null;
    if (addressType === ATYP_IPV4) host = [...(await reader.take(4))].join(".");
    else if (addressType === ATYP_IPV6) host = ipv6Text(await reader.take(16));
    else if (addressType === ATYP_DOMAIN) host = (await reader.take((await reader.take(1))[0] ?? 0)).toString("latin1");
    else {
      endWith(socket, socksReply(SocksReply.addressTypeNotSupported));
      return null;
    }
    const port = (await reader.take(2)).readUInt16BE(0);
    if (command !== CMD_CONNECT) {
      endWith(socket, socksReply(SocksReply.commandNotSupported));
      return null;
    }
    host = normalizeHost(host);
    if (host === null || port === 0) {
      endWith(socket, socksReply(SocksReply.generalFailure));
      return null;
    }
    const credentials = user === "" ? null : { user, pass };
    return { host, port, credentials, rest: reader.release() };
  } catch {
    // The client went away or stopped in the middle (the head timeout destroys it).
    socket.destroy();
    return null;
  } finally {
    reader.release();
  }
}

function endWith(socket: Socket, bytes: Buffer): void {
  if (!socket.destroyed) socket.end(bytes, () => socket.destroy());
}

function ipv6Text(bytes: Buffer): string {
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(bytes.readUInt16BE(i).toString(16));
  return words.join(":");
}

/** Exact-length reads from a socket: take(n) waits until n bytes have come. */
class Reader {
  private buffer: Buffer;
  private wake: (() => void) | null = null;
  private finished = false;
  private released = false;

  constructor(
    private readonly socket: Socket,
    first: Buffer,
  ) {
    this.buffer = first;
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onEnd);
    socket.resume();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (this.buffer.length > MAX_BUFFERED) this.socket.pause();
    this.notify();
  };

  private readonly onEnd = (): void => {
    this.finished = true;
    this.notify();
  };

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async take(length: number): Promise<Buffer> {
    while (this.buffer.length < length) {
      if (this.finished || this.released) throw new Error("socks client went away");
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    const taken = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    return taken;
  }

  /** Stops reading (the socket is left paused) and gives what was read but not taken. */
  release(): Buffer {
    if (!this.released) {
      this.released = true;
      this.socket.off("data", this.onData);
      this.socket.off("end", this.onEnd);
      this.socket.off("close", this.onEnd);
      this.socket.pause();
    }
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}
