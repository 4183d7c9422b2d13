import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHECK_STATES } from "../../src/cli/checkState.js";
import { makeHome, runCli } from "../helpers.js";

// One local-only setup (a workspace, no public URL: what MCP clients on this computer use) put
// through all five checking commands: the same state words, and the same verdict on the missing URL.
const STATES = new Set<string>(CHECK_STATES);
const OLD_WORDS = /\b(?:PASS|READY|NEEDS)\b/;

describe("one vocabulary for check states", () => {
  const { home } = makeHome({ change: (c) => (c.public_base_url = null) });

  it("--json: every state is ok/warn/fail/skip, and a missing public URL is warn everywhere", () => {
    const doctor = runCli(["doctor", "--json"], home);
    const d = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; level: string }[] };
    for (const c of d.checks) assert.ok(STATES.has(c.level), `doctor: ${c.level}`);
    assert.equal(d.checks.find((c) => c.name === "public URL")?.level, "warn", doctor.stdout);
    // The exit code follows fails only; the missing URL is not one of them.
    assert.equal(doctor.code, d.checks.some((c) => c.level === "fail") ? 1 : 0);
    assert.equal(d.ok, doctor.code === 0);

    const routes = JSON.parse(runCli(["route-options", "--json"], home).stdout) as { routes: { route: string; ready: boolean; state: string }[] };
    for (const r of routes.routes) assert.equal(r.state, r.ready ? "ok" : "warn", r.route);
    assert.equal(routes.routes.find((r) => r.route === "local")?.state, "ok");
    assert.equal(routes.routes.find((r) => r.route === "custom")?.state, "warn");

    const pre = runCli(["chatgpt-preflight", "--json"], home);
    const p = JSON.parse(pre.stdout) as { ok: boolean; states: Record<string, string> };
    for (const s of Object.values(p.states)) assert.ok(STATES.has(s), `preflight: ${s}`);
    assert.equal(p.states.public_https_url, "warn");
    assert.equal(p.ok, true, pre.stdout);
    assert.equal(pre.code, 0);

    const verify = runCli(["verify", "--json"], home);
    const v = JSON.parse(verify.stdout) as { ok: boolean; checks: { name: string; result: string }[] };
    assert.deepEqual(v.checks.map((c) => [c.name, c.result]), [["base URL", "warn"]]);
    assert.equal(verify.code, 0);
    assert.equal(v.ok, true);

    const smoke = runCli(["api-smoke", "--json"], home);
    const s = JSON.parse(smoke.stdout) as { ok: boolean; checks: { name: string; result: string }[] };
    assert.ok(s.checks.length > 10);
    for (const c of s.checks) assert.ok(STATES.has(c.result), `api-smoke ${c.name}: ${c.result}`);
    assert.equal(smoke.code, s.checks.some((c) => c.result === "fail") ? 1 : 0);
  });

  it("human output: the same words in English and in Chinese, none of the old ones", () => {
    const commands = [["doctor"], ["route-options"], ["chatgpt-preflight"], ["verify"], ["api-smoke"]];
    for (const [lang, words] of [["en", ["OK", "WARN", "FAIL", "SKIP"]], ["zh", ["正常", "警告", "失败", "跳过"]]] as const) {
      for (const args of commands) {
        const out = runCli(["--lang", lang, ...args], home).stdout;
        const states = out.split("\n").map((line) => line.trim().split(/\s+/)[0]!).filter((word) => (words as readonly string[]).includes(word));
        assert.ok(states.length > 0, `${lang} ${args[0]}: no state word\n${out}`);
        assert.doesNotMatch(out, OLD_WORDS, `${lang} ${args[0]}`);
        // The missing public URL reads as a warning in every command that speaks of it.
        if (args[0] !== "api-smoke" && args[0] !== "route-options") assert.ok(states.includes(words[1]), `${lang} ${args[0]}\n${out}`);
      }
    }
  });
});
