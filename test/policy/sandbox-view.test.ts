/**
 * The policy knows the sandbox's view (issue 21, part 8). Under bubblewrap /tmp and
 * /dev/shm are the sandbox's own tmpfs, so `rm -rf /tmp/x` deletes nothing of this
 * computer's and is not "outside the workspace". Unsandboxed, and under Seatbelt
 * (macOS: the host's /tmp is the real one), nothing changes. What the sandbox mounts
 * into its /tmp from this computer (a workspace under /tmp, git folders, the box's
 * cache) stays this computer's, and so does every folder holding it.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  BUBBLEWRAP_PRIVATE_ROOTS,
  commandPolicyOptions,
  runsWithPrivateTmp,
  sandboxViewOf,
} from "../../src/actions/policyAnswer.js";
import type { ActionContext } from "../../src/core/context.js";
import { ResourceBag } from "../../src/ground/resources.js";
import { newConfig } from "../../src/config/store.js";
import { checkCommand, type PolicyOptions, type SandboxView } from "../../src/policy/checkCommand.js";
import { ShellInput } from "../../src/policy/shellProgram.js";
import { sandboxAvailability, type Availability } from "../../src/sandbox/detect.js";
import type { SandboxMode } from "../../src/sandbox/types.js";
import { makeHome, startServer, tempDir, unsandboxedHome, type TestServer } from "../helpers.js";
import { BWRAP, requires } from "../preconditions.js";

const HOME = "/home/dev";

function options(workspaceRoot: string, sandbox?: SandboxView, cwd = workspaceRoot): PolicyOptions {
  return {
    workspaceRoot,
    cwd,
    home: HOME,
    configHome: `${HOME}/.chatgpt-codex`,
    env: { HOME, PATH: "/usr/bin:/bin", TMPDIR: "/tmp" },
    ...(sandbox ? { sandbox } : {}),
  };
}

/** Where a command runs, as the server finds out: sandbox.mode, what detection found, the platform. */
interface Place {
  name: string;
  mode: SandboxMode;
  availability: Availability | null;
  platform: NodeJS.Platform;
}

const BUBBLEWRAP: Place = { name: "bubblewrap", mode: "auto", availability: { available: true, kind: "bubblewrap", program: "/usr/bin/bwrap" }, platform: "linux" };
const UNSANDBOXED: Place = { name: "unsandboxed", mode: "off", availability: { available: true, kind: "bubblewrap", program: "/usr/bin/bwrap" }, platform: "linux" };
const SEATBELT: Place = { name: "seatbelt", mode: "auto", availability: { available: true, kind: "seatbelt", program: "/usr/bin/sandbox-exec" }, platform: "darwin" };

/** The options a command gets in a place: the private roots only where bubblewrap will run it. */
function optionsIn(place: Place, workspaceRoot: string, mounted: string[]): PolicyOptions {
  const view = runsWithPrivateTmp(place.mode, place.availability, place.platform) ? { privateRoots: BUBBLEWRAP_PRIVATE_ROOTS, mounted } : undefined;
  return options(workspaceRoot, view);
}

type Expect = "allow" | "refuse";
/** [command, under bubblewrap (private /tmp), unsandboxed, under Seatbelt] */
type Row = [string, Expect, Expect, Expect];

function checkTable(rows: Row[], workspaceRoot: string, mounted: string[]): void {
  const places = [BUBBLEWRAP, UNSANDBOXED, SEATBELT];
  for (const [command, ...expected] of rows) {
    places.forEach((place, i) => {
      const verdict = checkCommand(command, optionsIn(place, workspaceRoot, mounted));
      const got = verdict.allowed ? "allow" : "refuse";
      assert.equal(got, expected[i], `${place.name}: ${command} → ${verdict.allowed ? "allowed" : `${verdict.rule}: ${verdict.reason}`}`);
      if (!verdict.allowed) assert.ok(["recursive-delete", "recursive-permissions"].includes(verdict.rule), `${place.name}: ${command} → ${verdict.rule}`);
    });
  }
}

describe("where a command runs decides whether /tmp is its own", () => {
  it("only bubblewrap gives a private /tmp; before detection answers, only sandbox.mode required on Linux is certain", () => {
    const bwrap: Availability = { available: true, kind: "bubblewrap" };
    const none: Availability = { available: false, kind: "none", reason: "no bwrap" };
    const seatbelt: Availability = { available: true, kind: "seatbelt" };
    const cases: Array<[SandboxMode, Availability | null, NodeJS.Platform, boolean]> = [
      ["auto", bwrap, "linux", true],
      ["required", bwrap, "linux", true],
      ["off", bwrap, "linux", false],
      ["auto", none, "linux", false],
      ["required", none, "linux", false], // planCommand refuses it anyway; nothing to relax
      ["auto", null, "linux", false],
      ["required", null, "linux", true], // bubblewrap, or refused before it runs
      ["off", null, "linux", false],
      ["auto", seatbelt, "darwin", false],
      ["required", seatbelt, "darwin", false],
      ["required", null, "darwin", false],
    ];
    for (const [mode, availability, platform, expected] of cases) {
      assert.equal(runsWithPrivateTmp(mode, availability, platform), expected, `${mode} ${availability?.kind ?? "unknown"} ${platform}`);
    }
  });
});

describe("destructive paths in /tmp and /dev/shm: sandboxed with a private /tmp | unsandboxed | Seatbelt", () => {
  it("a workspace outside /tmp: the private folders are the sandbox's; their roots, `..` out of them and look-alikes are not", () => {
    const WS = "/home/dev/projects/app";
    checkTable(
      [
        ["rm -rf /tmp/x", "allow", "refuse", "refuse"],
        ["mkdir -p /tmp/x && rm -rf /tmp/x", "allow", "refuse", "refuse"],
        ["rm -rf /tmp/build-cache /tmp/x/y", "allow", "refuse", "refuse"],
        ["rm -r -f -- /tmp/x", "allow", "refuse", "refuse"],
        ["rm --recur /dev/shm/x", "allow", "refuse", "refuse"],
        ["rm -rf //tmp//x/", "allow", "refuse", "refuse"],
        ["rm -rf /tmp/x/../y", "allow", "refuse", "refuse"],
        ['rm -rf "$TMPDIR/x"', "allow", "refuse", "refuse"],
        ["rm -rf ~/../../tmp/x", "allow", "refuse", "refuse"],
        ["rm -rf ../../../../tmp/x", "allow", "refuse", "refuse"],
        ["cd /tmp && rm -rf build", "allow", "refuse", "refuse"],
        ["cd /tmp/work && rm -rf .", "allow", "refuse", "refuse"],
        ["rm -rf /tmp/build/$NAME", "allow", "refuse", "refuse"],
        ["rm -rf /tmp/*", "allow", "refuse", "refuse"], // empties the sandbox's own tmpfs: nothing of this computer's is in it
        ["rm -rf /tmp/a/b/.*", "allow", "refuse", "refuse"],
        ["find /tmp/x -delete", "allow", "refuse", "refuse"],
        ["find /tmp -name '*.log' -delete", "allow", "refuse", "refuse"],
        ["find /tmp/x -type f -exec rm -f {} +", "allow", "refuse", "refuse"],
        ["echo /tmp/x | xargs rm -rf", "allow", "refuse", "refuse"],
        ["chmod -R 777 /tmp/x", "allow", "refuse", "refuse"],
        ["chown -R dev /dev/shm/x", "allow", "refuse", "refuse"],
        // Symlinks are not followed (the policy reads the command line, not the disk): a link in /tmp is judged as /tmp.
        ["ln -s /home/dev/projects/app /tmp/w && rm -rf /tmp/w/", "allow", "refuse", "refuse"],
        // Careful cases: refused everywhere.
        ["rm -rf /tmp/../etc", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/x/../../etc", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/..", "refuse", "refuse", "refuse"],
        ["rm -rf /tmpfoo", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp.old/x", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp", "refuse", "refuse", "refuse"], // the mount point itself: empty it with /tmp/* instead
        ["rm -rf /tmp/", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/.", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/x/..", "refuse", "refuse", "refuse"],
        ["rm -rf /dev/shm", "refuse", "refuse", "refuse"],
        ["rm -rf /dev/shm/../sda", "refuse", "refuse", "refuse"],
        ["rm -rf /dev", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/.*", "refuse", "refuse", "refuse"], // may match /tmp/.. = /
        ["rm -rf /tmp/$NAME", "refuse", "refuse", "refuse"], // empty $NAME: /tmp itself
        ["find /tmp -delete", "refuse", "refuse", "refuse"],
        ["rm -rf /var/tmp/x", "refuse", "refuse", "refuse"],
        ["rm -rf /", "refuse", "refuse", "refuse"],
        ["rm -rf ~", "refuse", "refuse", "refuse"],
        ["rm -rf /etc", "refuse", "refuse", "refuse"],
        ["rm -rf .", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/x /etc", "refuse", "refuse", "refuse"],
        ["cd /tmp && rm -rf ../etc", "refuse", "refuse", "refuse"],
        // Inside the workspace nothing changes.
        ["rm -rf dist", "allow", "allow", "allow"],
      ],
      WS,
      [WS],
    );
  });

  it("a workspace under /tmp: its ancestors, and those of every mounted folder, stay refused; the rest of /tmp is the sandbox's", () => {
    const WS = "/tmp/cgc-x/ws";
    const GIT_COMMON = "/tmp/main/.git"; // a linked worktree's common git folder, mounted writable
    const CACHE = "/tmp/cache/chatgpt-codex/boxes/0123456789abcdef"; // the box's tool caches
    checkTable(
      [
        ["rm -rf /tmp/other", "allow", "refuse", "refuse"],
        ["rm -rf /tmp/cgc-x/other", "allow", "refuse", "refuse"],
        ["rm -rf ../other", "allow", "refuse", "refuse"],
        ["rm -rf /tmp/main/src", "allow", "refuse", "refuse"], // not mounted: in the sandbox only the .git under it is this computer's
        ["rm -rf /tmp/cgc-x", "refuse", "refuse", "refuse"], // holds the workspace: the delete would go through the bind mount
        ["rm -rf ..", "refuse", "refuse", "refuse"],
        ["cd .. && rm -rf ws", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/cgc-x/*", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/cgc-*", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/*", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp", "refuse", "refuse", "refuse"],
        ["find /tmp -name '*.log' -delete", "refuse", "refuse", "refuse"],
        ["chmod -R 700 /tmp/cgc-x", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/main", "refuse", "refuse", "refuse"], // holds the git folder
        ["rm -rf /tmp/main/.git/objects", "refuse", "refuse", "refuse"], // inside it: this computer's repository
        ["rm -rf /tmp/cache", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/cache/chatgpt-codex/boxes/0123456789abcdef/npm", "refuse", "refuse", "refuse"],
        ["rm -rf /tmp/cgc-x/ws", "refuse", "refuse", "refuse"], // the workspace root itself
        ["rm -rf /tmp/cgc-x/ws/dist", "allow", "allow", "allow"],
        ["rm -rf dist", "allow", "allow", "allow"],
      ],
      WS,
      [WS, GIT_COMMON, CACHE],
    );
  });

  it("a refusal says why: the private root itself, a folder holding a mount", () => {
    const OUT = "/home/dev/projects/app";
    const root = checkCommand("rm -rf /tmp", options(OUT, { privateRoots: BUBBLEWRAP_PRIVATE_ROOTS, mounted: [OUT] }));
    assert.equal(root.allowed, false);
    assert.match(root.allowed ? "" : root.reason, /the sandbox's private \/tmp itself/);
    const WS = "/tmp/cgc-x/ws";
    const sandboxed = options(WS, { privateRoots: BUBBLEWRAP_PRIVATE_ROOTS, mounted: [WS] });
    const holds = checkCommand("rm -rf /tmp/cgc-x", sandboxed);
    assert.match(holds.allowed ? "" : holds.reason, /holds the workspace, which the sandbox mounts from this computer/);
    const glob = checkCommand("rm -rf /tmp/*", sandboxed);
    assert.match(glob.allowed ? "" : glob.reason, /searches `\/tmp`, which holds the workspace/);
    const host = checkCommand("rm -rf /tmp/x", options(WS));
    assert.match(host.allowed ? "" : host.reason, /outside the workspace/);
  });

  it("input written to a shell in the sandbox is judged with the same view", () => {
    const WS = "/home/dev/projects/app";
    const sandboxed = ShellInput.forCommand("bash", options(WS, { privateRoots: BUBBLEWRAP_PRIVATE_ROOTS, mounted: [WS] }));
    const host = ShellInput.forCommand("bash", options(WS));
    assert.ok(sandboxed && host);
    assert.equal(sandboxed.check("rm -rf /tmp/x\n").verdict.allowed, true);
    assert.equal(sandboxed.check("rm -rf /tmp/../etc\n").verdict.allowed, false);
    assert.equal(host.check("rm -rf /tmp/x\n").verdict.allowed, false);
  });
});

/** A minimal request context: what policyAnswer reads (config, config folder, resources). */
function contextFor(configHome: string, workspace: string, mode: SandboxMode): ActionContext {
  const config = newConfig();
  config.workspaces.push({ name: "ws", path: workspace });
  config.sandbox.mode = mode;
  return { config, store: { home: configHome }, resources: new ResourceBag() } as unknown as ActionContext;
}

const GIT = ["-c", "user.name=Dev", "-c", "user.email=dev@example.com", "-c", "commit.gpgsign=false"];

describe("the view policyAnswer builds from the config, the detection and the git layout", () => {
  it("a linked worktree under /tmp: its common git folder and the box's cache are mounted, their ancestors refused", () => {
    const root = tempDir("cgc-view-");
    const main = join(root, "main");
    mkdirSync(main);
    execFileSync("git", ["init", "-q", main]);
    writeFileSync(join(main, "a.txt"), "a\n");
    execFileSync("git", [...GIT, "-C", main, "add", "a.txt"]);
    execFileSync("git", [...GIT, "-C", main, "commit", "-q", "-m", "first"]);
    const worktree = join(root, "wt");
    execFileSync("git", ["-C", main, "worktree", "add", "-q", worktree]);
    const configHome = join(root, "config");
    mkdirSync(configHome);

    const ctx = contextFor(configHome, worktree, "auto");
    const view = sandboxViewOf(ctx, worktree, { available: true, kind: "bubblewrap" });
    assert.ok(view, "bubblewrap: a view");
    assert.deepEqual(view.privateRoots, ["/tmp", "/dev/shm"]);
    assert.ok(view.mounted.includes(worktree), "the workspace");
    assert.ok(view.mounted.includes(join(main, ".git")), `the common git folder: ${view.mounted.join(" ")}`);
    assert.ok(view.mounted.some((path) => path.includes(join("chatgpt-codex", "boxes"))), "the box's cache folder");

    const policy = commandPolicyOptions(ctx, worktree, worktree, { PATH: "/usr/bin:/bin" }, view);
    if (root.startsWith("/tmp/")) {
      assert.equal(checkCommand(`rm -rf ${join(root, "elsewhere")}`, policy).allowed, true, "beside the worktree, in the private /tmp");
    }
    for (const command of [`rm -rf ${main}`, `rm -rf ${join(main, ".git", "objects")}`, `rm -rf ${root}`, "rm -rf ../main/.git"]) {
      assert.equal(checkCommand(command, policy).allowed, false, command);
    }

    assert.equal(sandboxViewOf(contextFor(configHome, worktree, "off"), worktree, { available: true, kind: "bubblewrap" }), null, "sandbox.mode off");
    assert.equal(sandboxViewOf(ctx, worktree, { available: false, kind: "none" }), null, "no sandbox here");
    assert.equal(sandboxViewOf(ctx, worktree, null), null, "auto, detection not answered yet");
    const noBox = contextFor(configHome, worktree, "required");
    noBox.config.sandbox.box = false;
    assert.deepEqual(sandboxViewOf(noBox, worktree, null)?.mounted.filter((p) => p.includes(join("chatgpt-codex", "boxes"))), [], "no box, no cache mount");
    assert.equal(commandPolicyOptions(contextFor(configHome, worktree, "off"), worktree, worktree, {}).sandbox, undefined, "the default with sandbox.mode off: no view");
  });
});

const NEEDS = requires(BWRAP);
const RUN = randomBytes(4).toString("hex");

describe("through the real server: rm -rf of the sandbox's own /tmp runs and leaves this computer's /tmp alone", NEEDS, () => {
  let server: TestServer;
  let unsandboxed: TestServer;
  const name = `/tmp/cgc-policy-private-${RUN}`;
  const marker = join(name, "host-marker");

  before(async () => {
    // This computer's folder of the same name, with a marker: what a delete on the host would take.
    mkdirSync(name);
    writeFileSync(marker, "host\n");
    // The workspace's parent holds nothing else of the test's (the config folder sits elsewhere).
    server = await startServer(makeHome({ workspace: join(tempDir("cgc-policy-ws-"), "proj", "ws") }));
    unsandboxed = await startServer(unsandboxedHome());
    // `serve` and `mcp` find out about the sandbox when they start; this in-process server does with its
    // first command, whose policy options do not wait for the answer (unless exec_command passes policySandboxView).
    const first = await server.post("exec_command", { command: "true" });
    assert.equal(first.status, 200, first.text);
    assert.equal(runsWithPrivateTmp("auto", await sandboxAvailability()), true, "precondition: bubblewrap runs the commands");
  });

  after(async () => {
    await server.close();
    await unsandboxed.close();
    rmSync(name, { recursive: true, force: true });
  });

  it("`mkdir -p /tmp/x && rm -rf /tmp/x` is allowed, exits 0, and the host's /tmp/x survives", async () => {
    const reply = await server.post("exec_command", { command: `mkdir -p ${name} && touch ${name}/inside && rm -rf ${name} && test ! -e ${name} && echo removed` });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.sandbox?.kind, "bubblewrap", reply.text);
    assert.equal(reply.json.exit_code, 0, reply.text);
    assert.match(reply.json.stdout, /removed/);
    assert.equal(readFileSync(marker, "utf8"), "host\n", "the host's folder of the same name is untouched");
    assert.equal(existsSync(join(name, "inside")), false, "the sandbox's file never reached the host");
  });

  it("the folder holding the workspace (bind-mounted into the sandbox's /tmp) stays refused", async () => {
    const parent = dirname(server.workspace);
    const reply = await server.post("exec_command", { command: `rm -rf ${parent}` });
    assert.equal(reply.status, 403, reply.text);
    assert.equal(reply.json.error.code, "BLOCKED_BY_POLICY");
    assert.equal(reply.json.error.details.rule, "recursive-delete");
    if (parent.startsWith("/tmp/")) assert.match(reply.json.error.message, /holds the workspace/);
    assert.ok(existsSync(server.workspace));
  });

  it("with sandbox.mode off the same command is refused as outside the workspace", async () => {
    const first = await unsandboxed.post("exec_command", { command: "true" });
    assert.equal(first.status, 200, first.text);
    const reply = await unsandboxed.post("exec_command", { command: `mkdir -p ${name} && rm -rf ${name}` });
    assert.equal(reply.status, 403, reply.text);
    assert.equal(reply.json.error.details.rule, "recursive-delete");
    assert.match(reply.json.error.message, /outside the workspace/);
    assert.equal(readFileSync(marker, "utf8"), "host\n");
  });
});
