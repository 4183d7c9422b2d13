/**
 * The egress proxy's pure parts: which addresses are public, how hosts are spelled and
 * matched, and which registry hosts the package managers name (with a fake runner).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, test } from "node:test";
import { classifyAddress, isPublic, refusedAddress, type AddressClass } from "../../src/sandbox/egress/addresses.js";
import { hostMatches, normalizeHost } from "../../src/sandbox/egress/hosts.js";
import { defaultRegistryHosts, forgetRegistryHosts, type RunOptions, type ToolRunner } from "../../src/sandbox/egress/registries.js";
import { tempDir } from "../helpers.js";

describe("classifyAddress", () => {
  const table: [string, AddressClass][] = [
    ["8.8.8.8", "public"],
    ["1.1.1.1", "public"],
    ["93.184.215.14", "public"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["100.64.0.1", "private"],
    ["100.127.255.255", "private"],
    ["100.128.0.1", "public"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", "public"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "link-local"],
    ["192.0.0.8", "reserved"],
    ["192.0.2.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["198.19.255.255", "reserved"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::FFFF:10.0.0.1", "private"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:8.8.8.8", "public"],
    ["::ffff:0.0.0.0", "unspecified"],
    ["::127.0.0.1", "reserved"],
    ["64:ff9b::10.0.0.1", "private"],
    ["64:ff9b::8.8.8.8", "public"],
    ["2002:7f00:1::1", "loopback"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "reserved"],
    ["100::1", "reserved"],
    ["3fff::1", "public"],
    ["2606:4700:4700::1111", "public"],
    ["4000::1", "reserved"],
    ["not-an-ip", "reserved"],
    ["", "reserved"],
    ["127.1", "reserved"],
  ];
  for (const [ip, cls] of table) test(`${ip || "(empty)"} is ${cls}`, () => assert.equal(classifyAddress(ip), cls));

  test("isPublic is true for public addresses only", () => {
    assert.equal(isPublic("8.8.8.8"), true);
    assert.equal(isPublic("2606:4700:4700::1111"), true);
    for (const ip of ["127.0.0.1", "10.1.2.3", "::1", "::ffff:127.0.0.1", "fe80::1", "0.0.0.0"]) assert.equal(isPublic(ip), false, ip);
  });
});

describe("refusedAddress: every address of a name must pass", () => {
  test("all public passes", () => assert.equal(refusedAddress(["8.8.8.8", "2606:4700:4700::1111"], 443, []), null));
  test("one private among public addresses refuses the name", () => assert.equal(refusedAddress(["8.8.8.8", "10.0.0.1"], 443, []), "10.0.0.1"));
  test("loopback passes only on a listed port", () => {
    assert.equal(refusedAddress(["127.0.0.1", "::1"], 5432, [5432]), null);
    assert.equal(refusedAddress(["127.0.0.1"], 5433, [5432]), "127.0.0.1");
  });
  test("a listed port does not open private or link-local addresses", () => {
    assert.equal(refusedAddress(["10.0.0.1"], 5432, [5432]), "10.0.0.1");
    assert.equal(refusedAddress(["169.254.169.254"], 80, [80]), "169.254.169.254");
    assert.equal(refusedAddress(["0.0.0.0"], 80, [80]), "0.0.0.0");
  });
});

describe("normalizeHost", () => {
  const table: [string, string | null][] = [
    ["Example.ORG", "example.org"],
    ["example.org.", "example.org"],
    ["a-b_c.example.org", "a-b_c.example.org"],
    ["localhost", "localhost"],
    ["127.0.0.1", "127.0.0.1"],
    ["[::1]", "::1"],
    ["::1", "::1"],
    ["[2001:DB8:0:0::1]", "2001:db8::1"],
    ["::ffff:127.0.0.1", "::ffff:7f00:1"],
    ["", null],
    [".", null],
    ["a..b", null],
    [".example.org", null],
    ["exa mple.org", null],
    ["example.org/path", null],
    ["user@example.org", null],
    ["bücher.de", null],
    ["[not-ipv6]", null],
    ["[127.0.0.1]", null],
    ["fe80::1%eth0", null],
    ["1:2", null],
    ["127.1", null],
    ["0x7f.1", null],
    ["2130706433", null],
    [`${"a".repeat(64)}.org`, null],
    [`${"a".repeat(63)}.org`, `${"a".repeat(63)}.org`],
    [Array.from({ length: 64 }, () => "abc").join("."), null],
  ];
  for (const [input, expected] of table) test(`${JSON.stringify(input).slice(0, 40)} → ${expected}`, () => assert.equal(normalizeHost(input), expected));
});

describe("hostMatches", () => {
  const patterns = ["api.example.org", "*.pkg.example.net", "10.1.2.3", "::1"];
  const table: [string, boolean][] = [
    ["api.example.org", true],
    ["API.Example.org.", true],
    ["www.example.org", false],
    ["example.org", false],
    ["a.pkg.example.net", true],
    ["a.b.pkg.example.net", true],
    ["pkg.example.net", false],
    ["evilpkg.example.net", false],
    ["pkg.example.net.evil.com", false],
    ["10.1.2.3", true],
    ["10.1.2.4", false],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["", false],
  ];
  for (const [host, expected] of table) test(`${host || "(empty)"} ${expected ? "matches" : "does not match"}`, () => assert.equal(hostMatches(host, patterns), expected));
  test("a wildcard never matches an IP literal", () => assert.equal(hostMatches("1.2.3.4", ["*.3.4"]), false));
  test("malformed patterns match nothing", () => assert.equal(hostMatches("example.org", ["*", "*.", "", "exa mple.org"]), false));
});

describe("defaultRegistryHosts (fake tools)", () => {
  beforeEach(() => forgetRegistryHosts());

  interface Call {
    command: string;
    args: readonly string[];
    options: RunOptions;
  }
  function fakeTools(outputs: Record<string, string | null>): { run: ToolRunner; calls: Call[] } {
    const calls: Call[] = [];
    const run: ToolRunner = async (command, args, options) => {
      calls.push({ command, args, options });
      return outputs[[command, ...args].join(" ")] ?? null;
    };
    return { run, calls };
  }
  const PIP_DEFAULT = 'python3 -c from pip._internal.models.index import PyPI; print(PyPI.url, PyPI.file_storage_domain)';
  const outputs: Record<string, string | null> = {
    "npm config get registry": "https://npm.mirror.test/\n",
    "npm config list --json": JSON.stringify({ registry: "https://npm.mirror.test/", "@corp:registry": "https://NPM.Corp.test:8443/path/", "@bad:registry": "not a url", "other-registry": "https://ignored.test/" }),
    "python3 -m pip config list": "global.index-url='https://pypi.mirror.test/simple'\n:env:.extra-index-url='https://extra.test/simple file:///opt/wheels'\nglobal.cert='/etc/ssl/certs/ca.crt'\n",
    [PIP_DEFAULT]: "https://pypi.default.test/ files.default.test\n",
    "go env GOPROXY GOSUMDB": "https://goproxy.test,direct|off\nsum.go.test+abc123\n",
  };

  test("asks each tool, keeps every host once, in the order found", async () => {
    const home = tempDir("cgc-egress-home-");
    const { run } = fakeTools(outputs);
    const found = await defaultRegistryHosts({ home, run, env: {} });
    assert.deepEqual(found.hosts, ["npm.mirror.test", "npm.corp.test", "pypi.mirror.test", "extra.test", "pypi.default.test", "files.default.test", "goproxy.test", "sum.go.test"]);
    assert.deepEqual(found.sources, [
      { tool: "npm", hosts: ["npm.mirror.test", "npm.corp.test"] },
      { tool: "pip", hosts: ["pypi.mirror.test", "extra.test", "pypi.default.test", "files.default.test"] },
      { tool: "go", hosts: ["goproxy.test", "sum.go.test"] },
    ]);
  });

  test("tools run in the home folder, never in the current (workspace) folder, without this program's variables", async () => {
    const home = tempDir("cgc-egress-home-");
    const { run, calls } = fakeTools(outputs);
    await defaultRegistryHosts({ home, run, env: { PATH: "/usr/bin", CHATGPT_CODEX_TOKEN: "secret", CHATGPT_CODEX_HOME: "/x" } });
    assert.ok(calls.length >= 5);
    for (const call of calls) {
      assert.equal(call.options.cwd, home);
      assert.notEqual(call.options.cwd, process.cwd());
      assert.equal(call.options.timeoutMs, 3_000);
      assert.equal(call.options.env.PATH, "/usr/bin");
      assert.deepEqual(Object.keys(call.options.env).filter((name) => name.startsWith("CHATGPT_CODEX_")), []);
    }
  });

  test("without a home folder the tools run in a fresh folder under the temporary folder", async () => {
    const { run, calls } = fakeTools(outputs);
    await defaultRegistryHosts({ home: join(tempDir(), "missing-home"), run, env: {} });
    for (const call of calls) {
      assert.ok(call.options.cwd.startsWith(tmpdir()), call.options.cwd);
      assert.notEqual(call.options.cwd, tmpdir());
      assert.notEqual(call.options.cwd, process.cwd());
    }
  });

  test("'direct' and 'off' name no host; GOSUMDB off adds nothing; a sumdb URL gives its host", async () => {
    const { run } = fakeTools({ "go env GOPROXY GOSUMDB": "direct,off\noff\n" });
    assert.deepEqual(await defaultRegistryHosts({ home: tempDir(), run, env: {} }), { hosts: [], sources: [] });
    forgetRegistryHosts();
    const other = fakeTools({ "go env GOPROXY GOSUMDB": "off|goproxy.bare.test\nsum.test+key https://sumdb.mirror.test/x\n" });
    assert.deepEqual((await defaultRegistryHosts({ home: tempDir(), run: other.run, env: {} })).hosts, ["goproxy.bare.test", "sumdb.mirror.test"]);
  });

  test("missing tools contribute nothing", async () => {
    const { run, calls } = fakeTools({});
    assert.deepEqual(await defaultRegistryHosts({ home: tempDir(), run, env: {} }), { hosts: [], sources: [] });
    assert.ok(calls.length > 0);
  });

  test("the answer is kept for five minutes", async () => {
    const home = tempDir();
    const { run, calls } = fakeTools(outputs);
    let now = 1_000_000;
    const clock = () => now;
    const first = await defaultRegistryHosts({ home, run, env: {}, now: clock });
    const ran = calls.length;
    now += 4 * 60_000;
    assert.deepEqual(await defaultRegistryHosts({ home, run, env: {}, now: clock }), first);
    assert.equal(calls.length, ran, "no tool runs again within five minutes");
    now += 2 * 60_000;
    await defaultRegistryHosts({ home, run, env: {}, now: clock });
    assert.equal(calls.length, 2 * ran, "the tools run again after five minutes");
  });

  test("cargo: registries and source replacements from the user's config.toml, comments ignored", async () => {
    const home = tempDir();
    mkdirSync(join(home, ".cargo"));
    writeFileSync(
      join(home, ".cargo", "config.toml"),
      [
        "[registries]",
        'inline = { index = "sparse+https://inline.cargo.test/index/" }',
        "[registries.corp]",
        'index = "https://cargo.corp.test/git/index" # comment',
        "[source.crates-io]",
        'replace-with = "mirror"',
        "[source.mirror]",
        'registry = "sparse+https://cargo.mirror.test/"',
        "# registry = \"https://commented.test/\"",
        "[http]",
        'proxy = "http://not-a-registry.test:3128"',
      ].join("\n"),
    );
    const { run } = fakeTools({});
    const found = await defaultRegistryHosts({ home, run, env: {} });
    assert.deepEqual(found.sources, [{ tool: "cargo", hosts: ["inline.cargo.test", "cargo.corp.test", "cargo.mirror.test"] }]);
  });

  test("cargo: CARGO_HOME is where the config is read; nothing without a config", async () => {
    const cargoHome = tempDir();
    writeFileSync(join(cargoHome, "config.toml"), '[registries.x]\nindex = "https://x.cargo.test/"\n');
    const { run } = fakeTools({});
    assert.deepEqual((await defaultRegistryHosts({ home: tempDir(), run, env: { CARGO_HOME: cargoHome } })).hosts, ["x.cargo.test"]);
    forgetRegistryHosts();
    assert.deepEqual((await defaultRegistryHosts({ home: tempDir(), run, env: {} })).hosts, []);
  });
});
