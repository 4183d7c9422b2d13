/**
 * The broad-folder check (API contract §14): `/`, the home folder, and any folder that
 * holds the home folder, the config folder or a secret folder cannot be a workspace.
 * Real folders, symlinks and a config folder that does not exist yet.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SECRET_PATHS } from "../../src/sandbox/policy.js";
import { broadFacts, realPathOf, whyTooBroad } from "../../src/workspace/broadFolder.js";
import { tempDir } from "../helpers.js";

/** A fake user: home with every secret of SECRET_PATHS, a config folder under ~/.config, projects beside. */
function world() {
  const root = tempDir("cgc-broad-");
  const home = join(root, "home", "me");
  for (const secret of SECRET_PATHS) {
    const path = join(home, secret.slice(2));
    if (/\.(json)$|credentials$|rc$/.test(path)) {
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, "secret\n");
    } else mkdirSync(path, { recursive: true });
  }
  const configHome = join(home, ".config", "chatgpt-codex");
  mkdirSync(configHome, { recursive: true });
  const project = join(home, "code", "app");
  mkdirSync(project, { recursive: true });
  return { root, home, configHome, project, facts: broadFacts(configHome, home) };
}

describe("whyTooBroad", () => {
  it("accepts an ordinary project folder, also one with a project .npmrc and .netrc file", () => {
    const w = world();
    assert.equal(whyTooBroad(w.project, w.facts), null);
    writeFileSync(join(w.project, ".npmrc"), "registry=https://registry.npmjs.org/\n");
    writeFileSync(join(w.project, ".netrc"), "\n");
    assert.equal(whyTooBroad(w.project, w.facts), null, "secret *files* in a project are its own");
    // And a folder beside the home folder.
    const beside = join(w.root, "srv");
    mkdirSync(beside);
    assert.equal(whyTooBroad(beside, w.facts), null);
  });

  it("refuses / and the home folder", () => {
    const w = world();
    assert.deepEqual(whyTooBroad("/", w.facts), { kind: "root" });
    assert.deepEqual(whyTooBroad(w.home, w.facts), { kind: "home" });
  });

  it("refuses every ancestor of the home folder", () => {
    const w = world();
    assert.deepEqual(whyTooBroad(join(w.root, "home"), w.facts), { kind: "containsHome", path: w.home });
    assert.deepEqual(whyTooBroad(w.root, w.facts), { kind: "containsHome", path: w.home });
  });

  it("refuses ~/.config (holds the config folder and ~/.config/gh) and the config folder itself", () => {
    const w = world();
    assert.ok(existsSync(join(w.home, ".config", "gh")), "precondition: ~/.config holds a secret folder");
    assert.deepEqual(whyTooBroad(join(w.home, ".config"), w.facts), { kind: "containsConfig", path: w.configHome });
    assert.deepEqual(whyTooBroad(w.configHome, w.facts), { kind: "containsConfig", path: w.configHome });
  });

  it("refuses a folder holding a config folder outside the home (CHATGPT_CODEX_HOME), even one not created yet", () => {
    const w = world();
    const outside = join(w.root, "work");
    const config = join(outside, "state", "chatgpt-codex");
    assert.equal(existsSync(join(outside, "state")), false, "precondition: the config folder does not exist yet");
    mkdirSync(outside);
    const facts = broadFacts(config, w.home);
    assert.deepEqual(whyTooBroad(outside, facts), { kind: "containsConfig", path: config });
    assert.equal(whyTooBroad(join(w.root, "elsewhere"), facts), null);
  });

  it("refuses a secret folder, a folder inside one, and a folder that holds one (~/.docker for config.json)", () => {
    const w = world();
    assert.deepEqual(whyTooBroad(join(w.home, ".ssh"), w.facts), { kind: "insideSecret", path: join(w.home, ".ssh") });
    const inside = join(w.home, ".aws", "sub");
    mkdirSync(inside);
    assert.deepEqual(whyTooBroad(inside, w.facts), { kind: "insideSecret", path: join(w.home, ".aws") });
    assert.deepEqual(whyTooBroad(join(w.home, ".docker"), w.facts), { kind: "containsSecret", path: join(w.home, ".docker", "config.json") });
  });

  it("refuses another user's home: a folder that directly holds a secret folder such as .ssh or .config/gh", () => {
    const w = world();
    const other = join(w.root, "home", "bob");
    mkdirSync(other);
    assert.equal(whyTooBroad(other, w.facts), null, "precondition: an empty folder is fine");
    mkdirSync(join(other, ".ssh"));
    assert.deepEqual(whyTooBroad(other, w.facts), { kind: "containsSecret", path: join(other, ".ssh") });
    const carol = join(w.root, "home", "carol");
    mkdirSync(join(carol, ".config", "gh"), { recursive: true });
    assert.deepEqual(whyTooBroad(carol, w.facts), { kind: "containsSecret", path: join(carol, ".config", "gh") });
    // A symlink named .ssh that points at a folder counts too (stat follows it).
    const dave = join(w.root, "home", "dave");
    mkdirSync(dave);
    symlinkSync(join(w.home, ".ssh"), join(dave, ".ssh"));
    assert.ok(statSync(join(dave, ".ssh")).isDirectory());
    assert.deepEqual(whyTooBroad(dave, w.facts), { kind: "containsSecret", path: join(dave, ".ssh") });
  });

  it("compares real paths: a symlink to the home folder, and a home reached through a symlink", () => {
    const w = world();
    const link = join(w.root, "looks-like-a-project");
    symlinkSync(w.home, link);
    assert.notEqual(link, w.home, "precondition: by its text the link is not the home folder");
    assert.deepEqual(whyTooBroad(realPathOf(link), w.facts), { kind: "home" });
    // HOME set through a symlink: the facts are resolved, so the real folder is still refused.
    const facts = broadFacts(w.configHome, link);
    assert.equal(facts.home, w.home);
    assert.deepEqual(whyTooBroad(w.home, facts), { kind: "home" });
  });

  it("a missing home folder still has its ancestors refused", () => {
    const root = tempDir("cgc-broad-");
    const facts = broadFacts(join(root, "cfg"), join(root, "nobody", "home"));
    assert.deepEqual(whyTooBroad(root, facts), { kind: "containsHome", path: join(root, "nobody", "home") });
  });
});
