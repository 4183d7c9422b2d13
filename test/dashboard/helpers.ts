/** Dashboard fixtures: a real Actions server, its real dashboard on 127.0.0.1:0, raw HTTP with any Host. */
import assert from "node:assert/strict";
import { request } from "node:http";
import type { Browser, Page } from "playwright-core";
import type { Config } from "../../src/config/schema.js";
import { startOwnerDashboard, type OwnerDashboard } from "../../src/dashboard/start.js";
import { createTicket } from "../../src/dashboard/tickets.js";
import { makeHome, startServer, type TestServer } from "../helpers.js";

export interface DashFixture {
  api: TestServer;
  dash: OwnerDashboard;
  /** http://127.0.0.1:PORT */
  base: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export async function startWithDashboard(change?: (config: Config) => void): Promise<DashFixture> {
  const api = await startServer(makeHome({ change }));
  const dash = await startOwnerDashboard(api.home, api.server, 0);
  const port = dash.server.port;
  return {
    api,
    dash,
    base: dash.url,
    port,
    host: `127.0.0.1:${port}`,
    close: async () => {
      await dash.close();
      await api.close();
    },
  };
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** One HTTP request with exactly the headers given (Host included), bounded in time. */
export function raw(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    // host: "" sends no Host header at all.
    const all: Record<string, string> = { host: `127.0.0.1:${port}`, ...headers };
    const noHost = all.host === "";
    if (noHost) delete all.host;
    const req = request({ host: "127.0.0.1", port, method, path, headers: all, setHost: !noHost, timeout: 10_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        // The event stream never ends by itself: the first event is enough.
        if (String(res.headers["content-type"]).startsWith("text/event-stream") && text.includes("\n\n")) res.destroy();
      });
      const done = () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      };
      res.on("end", done);
      res.on("close", done);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface Login {
  cookie: string;
  csrf: string;
}

/** Log in through a fresh one-time ticket, as the browser would. */
export async function login(fx: DashFixture, ticket = createTicket(fx.api.home)): Promise<Login> {
  const reply = await raw(fx.port, "GET", `/login?ticket=${ticket}`);
  if (reply.status !== 303) throw new Error(`login failed: ${reply.status} ${reply.text}`);
  const setCookie = String((reply.headers["set-cookie"] as string[])[0]);
  const cookie = setCookie.split(";")[0]!;
  const page = await raw(fx.port, "GET", "/", { cookie });
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
  if (!csrf) throw new Error("no CSRF token in the page");
  return { cookie, csrf };
}

/** A state-changing call the way the page makes it: cookie, own Origin, CSRF token, JSON. */
export function post(fx: DashFixture, session: Login, path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<RawReply> {
  return raw(
    fx.port,
    "POST",
    path,
    { cookie: session.cookie, origin: `http://${fx.host}`, "x-csrf-token": session.csrf, "content-type": "application/json", ...headers },
    JSON.stringify(body),
  );
}

export function get(fx: DashFixture, session: Login, path: string, headers: Record<string, string> = {}): Promise<RawReply> {
  return raw(fx.port, "GET", path, { cookie: session.cookie, ...headers });
}

/** A client that asks the box's proxy (HTTP_PROXY, with the job's Basic credentials) to CONNECT to a host. */
export const CONNECT_PROBE = `
const u = new URL(process.env.HTTP_PROXY || "http://none:1");
const auth = Buffer.from(decodeURIComponent(u.username) + ":" + decodeURIComponent(u.password)).toString("base64");
const target = process.argv[2];
const s = require("net").connect(Number(u.port), u.hostname, () => s.write("CONNECT " + target + " HTTP/1.1\\r\\nHost: " + target + "\\r\\nProxy-Authorization: Basic " + auth + "\\r\\n\\r\\n"));
let b = "";
s.on("data", (d) => { b += d; if (b.includes("\\r\\n\\r\\n")) { console.log("PROXY:" + b.split("\\r\\n")[0]); s.destroy(); } });
s.on("end", () => console.log("END:" + b.split("\\r\\n")[0]));
s.on("error", (e) => console.log("ERR:" + e.code));
`;

/**
 * A fresh browser context logged in through a one-time link; the body runs on its page, no
 * script error may occur, and a screenshot goes to `shot` when the body fails.
 */
export async function withLoggedInPage(
  browser: Browser,
  fx: DashFixture,
  shot: string,
  body: (page: Page) => Promise<void>,
  options: { lang?: "en" | "zh"; width?: number; height?: number } = {},
): Promise<void> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 }, locale: "en-US" });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  try {
    await page.goto(fx.dash.loginUrl(options.lang));
    await page.locator("#conn.on").waitFor();
    await body(page);
    assert.deepEqual(errors, [], "no script errors on the page");
  } catch (error) {
    await page.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
    process.stderr.write(`dashboard test failed; screenshot: ${shot}\n`);
    throw error;
  } finally {
    await context.close();
  }
}
