/** The dashboard's pure parts: Host/Origin/cookie/CSRF checks, sessions, tickets, the terminal approval prompt. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { ApprovalQueue } from "../../src/approvals/queue.js";
import { csrfMatches, hostAllowed, originAllowed, pickLang, Sessions } from "../../src/dashboard/guard.js";
import { promptApprovalsInTerminal } from "../../src/dashboard/terminalPrompt.js";
import { consumeTicket, createTicket } from "../../src/dashboard/tickets.js";
import { comesTrue, tempDir, waitFor } from "../helpers.js";

/**
 * `count` processes (the server and `dashboard` runs are separate processes) each load the
 * ticket module, wait at a common start line, then try the same ticket at once.
 * Returns their answers, sorted (false first).
 */
async function raceForTicket(home: string, ticket: string, count: number): Promise<boolean[]> {
  const module = pathToFileURL(join(import.meta.dirname, "..", "..", "src", "dashboard", "tickets.js")).href;
  const script = `const { consumeTicket } = await import(${JSON.stringify(module)});
process.stdout.write("ready\\n");
process.stdin.once("data", () => { process.stdout.write(String(consumeTicket(process.argv[1], process.argv[2])) + "\\n"); process.exit(0); });`;
  const children = Array.from({ length: count }, () => spawn(process.execPath, ["--input-type=module", "-e", script, home, ticket], { stdio: ["pipe", "pipe", "inherit"] }));
  const outputs = children.map((child) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    return { ready: () => out.startsWith("ready\n"), answer: () => out.slice("ready\n".length).trim() };
  });
  const ended = children.map((child) => new Promise((resolve) => child.on("exit", resolve)));
  try {
    await comesTrue(() => outputs.every((o) => o.ready()));
    assert.ok(outputs.every((o) => o.ready()), "every racer loaded the module");
    for (const child of children) child.stdin.write("go\n");
    await Promise.race([Promise.all(ended), new Promise((resolve) => setTimeout(resolve, 20_000))]);
    return outputs.map((o) => o.answer()).map((answer) => (assert.match(answer, /^(true|false)$/), answer === "true")).sort();
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  }
}

describe("dashboard guard", () => {
  it("hostAllowed: loopback names on exactly our port, nothing else", () => {
    for (const ok of ["127.0.0.1:8767", "localhost:8767", "LocalHost:8767", "[::1]:8767"]) assert.equal(hostAllowed(ok, 8767), true, ok);
    const bad = [undefined, "", "127.0.0.1", "127.0.0.1:8766", "127.0.0.1:08767x", "evil.com:8767", "127.0.0.1.nip.io:8767", "localhost.:8767", "[::1]", "[::2]:8767",
      "0x7f000001:8767", "2130706433:8767", "127.1:8767", "a@127.0.0.1:8767", "127.0.0.1:8767@evil", "127.0.0.1:8767/", " 127.0.0.1:8767", "x".repeat(100)];
    for (const host of bad) assert.equal(hostAllowed(host, 8767), false, String(host));
  });

  it("originAllowed: exactly the page's own origin; absent only on reads", () => {
    const host = "127.0.0.1:8767";
    assert.equal(originAllowed("http://127.0.0.1:8767", host, true), true);
    assert.equal(originAllowed(undefined, host, false), true);
    assert.equal(originAllowed(undefined, host, true), false);
    for (const origin of ["null", "http://localhost:8767", "https://127.0.0.1:8767", "http://127.0.0.1:8766", "http://127.0.0.1:8767.evil.com", "http://127.0.0.1", ""]) {
      assert.equal(originAllowed(origin, host, false), false, origin);
      assert.equal(originAllowed(origin, host, true), false, origin);
    }
  });

  it("csrfMatches is exact", () => {
    assert.equal(csrfMatches("abc", "abc"), true);
    for (const sent of [undefined, "", "abd", "abcd", ["abc"]] as const) assert.equal(csrfMatches(sent as never, "abc"), false, String(sent));
  });

  it("sessions: unknown, malformed and expired ids are refused; ids are not stored in clear", () => {
    const sessions = new Sessions();
    const { id, session } = sessions.create("zh", 1_000);
    assert.equal(sessions.get(id, 2_000), session);
    assert.equal(sessions.get(`${id}x`, 2_000), undefined);
    assert.equal(sessions.get("a".repeat(43), 2_000), undefined);
    assert.equal(JSON.stringify([...(sessions as unknown as { byHash: Map<string, unknown> }).byHash.keys()]).includes(id), false);
    assert.equal(sessions.get(id, 1_000 + 13 * 60 * 60 * 1000), undefined, "expires after 12 h");
  });

  it("pickLang: the link's choice, else the browser's first language", () => {
    assert.equal(pickLang("en", "zh-CN"), "en");
    assert.equal(pickLang(null, "zh-CN,zh;q=0.9,en;q=0.8"), "zh");
    assert.equal(pickLang(null, "en-US,zh;q=0.5"), "en");
    assert.equal(pickLang(null, undefined), "en");
  });

  it("a ticket is consumed once: by one of several processes racing for it, and never again", async () => {
    const home = tempDir();
    const ticket = createTicket(home);
    assert.deepEqual(await raceForTicket(home, ticket, 6), [false, false, false, false, false, true]);
    assert.equal(consumeTicket(home, ticket), false, "a later caller fails too");
    const next = createTicket(home);
    const results = [consumeTicket(home, next), consumeTicket(home, next), consumeTicket(home, next)];
    assert.deepEqual(results, [true, false, false]);
    assert.equal(consumeTicket(home, createTicket(home, Date.now() - 6 * 60 * 1000)), false, "expired");
    for (const bad of [undefined, 5, ["x"], "../../x", "a".repeat(43)]) assert.equal(consumeTicket(home, bad), false, String(bad));
  });
});

describe("approvals in the up terminal", () => {
  it("asks for the oldest held command; y approves, anything else denies; a dashboard decision moves on", async () => {
    const queue = new ApprovalQueue();
    const input = new PassThrough();
    let output = "";
    const started: string[] = [];
    const stop = promptApprovalsInTerminal(queue, input, (text) => (output += text));
    try {
      const request = (command: string) => ({ command, audited: command, cwd: ".", workspace: "ws", expiresInMs: 60_000, start: (id: string) => void started.push(id) });
      const a = queue.hold(request("echo first"));
      const b = queue.hold(request("echo second"));
      assert.match(output, /echo first/);
      input.write("y\n");
      await waitFor(() => queue.get(a.id)?.status === "started", "approval by terminal");
      assert.deepEqual(started, [a.id]);
      await waitFor(() => output.includes("echo second"), "the next question");
      input.write("no thanks\n");
      await waitFor(() => queue.get(b.id)?.status === "denied", "denial by terminal");
      assert.equal(queue.get(b.id)?.decided_by, "terminal");

      const c = queue.hold(request("echo third"));
      await waitFor(() => output.includes("echo third"), "third question");
      queue.deny(c.id, "dashboard");
      await waitFor(() => output.includes("(denied: dashboard)"), "note of the dashboard's decision");
      assert.deepEqual(started, [a.id]);
    } finally {
      stop();
      queue.close();
    }
  });
});
