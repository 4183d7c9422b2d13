/**
 * The process-substitution and computed-command shapes are real attacks, not
 * curiosities: each one, run by bash with a harmless payload (`touch` of a
 * canary file), runs that payload. The same shape carrying `git reset --hard`
 * is refused by the policy. A shape that stopped running its payload in bash
 * would be a test that cannot fail, so the canary is checked first.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { comesTrue } from "./helpers.js";
import { test } from "node:test";
import { checkCommand } from "../src/policy/checkCommand.js";
import { OPTIONS } from "./policy-fixture.js";

const bash = spawnSync("bash", ["-c", "command -v touch"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
const touch = bash.status === 0 ? bash.stdout.trim() : "";
if (!touch && process.env.CI === "true") throw new Error("bash and touch must be installed in CI (these tests run the shapes in bash)");

/** `{}` is the payload's words joined by spaces, `{0}` `{1}` `{2}` one word each. */
const SHAPES: Array<[template: string, rule: string]> = [
  // A process substitution or descriptor carries the code.
  ["echo '{}' > >(bash)", "git-reset-hard"],
  ["echo '{}' | tee >(sh) >/dev/null", "git-reset-hard"],
  ["tee >(bash) <<< '{}' >/dev/null", "git-reset-hard"],
  ["echo '{}' | cat <(bash)", "git-reset-hard"],
  ["echo '{}' | echo $(bash)", "git-reset-hard"],
  ["echo '{}' | bash < <(cat)", "git-reset-hard"],
  ["bash <(cat <(echo '{}'))", "git-reset-hard"],
  ["bash < <(echo '{}'; echo :)", "git-reset-hard"],
  ["cat <(echo '{}') | bash", "git-reset-hard"],
  ["cat /dev/fd/3 3< <(echo '{}') | sh", "git-reset-hard"],
  ["bash -c '. \"$1\"' _ <(echo '{}')", "git-reset-hard"],
  ["f() { source \"$1\"; }; f <(echo '{}')", "git-reset-hard"],
  // (`; :` keeps bash from replacing itself with the last command, which closes the substitution before it is read.)
  ["BASH_ENV=<(echo '{}') bash -c true; :", "git-reset-hard"],
  ["env BASH_ENV=<(echo '{}') bash -c :; :", "git-reset-hard"],
  ["BASH_ENV=/dev/fd/3 bash -c : 3<<<'{}'", "git-reset-hard"],
  ["PATH=/dev/fd:$PATH bash 3 3<<<'{}'", "git-reset-hard"],
  ["PATH=/dev/fd . 3 3< <(echo '{}')", "git-reset-hard"],
  ["bash /dev/./fd/3 3<<<'{}'", "git-reset-hard"],
  ["bash /dev/stdout 1< <(echo '{}')", "git-reset-hard"],
  ["read -r f <<< /dev/stdin; bash \"$f\" < <(echo '{}')", "git-reset-hard"],
  ["mapfile -C '{} #' -c 1 a <<< x", "git-reset-hard"],
  ["exec 3> >(sh); echo '{}' >&3", "eval-dynamic"],
  ["echo '{}' > ${x:->(bash)}", "parse-error"],
  ["echo ${x:-<({})}", "parse-error"],
  // The command is computed by an expansion.
  ["a=({}); \"${a[@]:0}\"", "git-reset-hard"],
  ["a=(x {}); \"${a[@]:1}\"", "git-reset-hard"],
  ["a=({}); \"${a[@]: -3}\"", "git-reset-hard"],
  ["set -- x {}; \"${@:2}\"", "git-reset-hard"],
  ["set -- x {}; shift; \"$@\"", "git-reset-hard"],
  ["f() { \"${@:2}\"; }; f x {}", "git-reset-hard"],
  ["bash -c '\"${@:0}\"' {}", "git-reset-hard"],
  ["declare -n r=a; a=({}); \"${r[@]}\"", "git-reset-hard"],
  ["declare -n r; r=a; a=({}); \"${r[@]}\"", "git-reset-hard"],
  ["a=({}); f() { local -a a=(true); }; f; \"${a[@]}\"", "git-reset-hard"],
  ["read -ra a <<< '{}'; \"${a[@]}\"", "git-reset-hard"],
  ["mapfile -t a < <(printf '%s\\n' {}); \"${a[@]}\"", "git-reset-hard"],
  ["x=X{0}; \"${x#X}\" {1} {2}", "git-reset-hard"],
  ["x=; : ${x:={0}}; \"$x\" {1} {2}", "git-reset-hard"],
  ["y={0}; x=y; \"${!x}\" {1} {2}", "git-reset-hard"],
  ["read e <<< eval; \"$e\" '{}'", "git-reset-hard"],
  ["shopt -s lastpipe; x=true; echo {0} | read x; \"$x\" {1} {2}", "git-reset-hard"],
  ["x={0}; declare -l y; y=${x^^}; \"$y\" {1} {2}", "git-reset-hard"],
  ["BASH_CMDS[ls]={0}; ls {1} {2}", "eval-dynamic"],
  ["a=(echo {}); unset 'a[0]'; \"${a[@]}\"", "eval-dynamic"],
  ["a=([2]={2} [0]={0} [1]={1}); \"${a[@]}\"", "eval-dynamic"],
];

function fill(template: string, words: string[]): string {
  return template.replaceAll("{}", words.join(" ")).replace(/\{([0-2])\}/g, (_m, i: string) => words[Number(i)]!);
}

/** Waits (a bounded number of times) for a file a background process substitution may still be creating. */
const appears = (path: string): Promise<boolean> => comesTrue(() => existsSync(path));

for (const [template, rule] of SHAPES) {
  test(`runs its payload in bash, refused by the policy (${rule}): ${template}`, { skip: !touch && "bash is not installed" }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cgc-shape-"));
    try {
      const canary = join(dir, "canary");
      const run = spawnSync("bash", ["-c", fill(template, [touch, "--", canary])], {
        cwd: dir,
        env: { PATH: "/usr/bin:/bin", HOME: dir },
        encoding: "utf8",
        timeout: 10_000,
      });
      assert.ok(await appears(canary), `bash did not run the payload of ${JSON.stringify(template)} (${run.stderr.trim()})`);
      const verdict = checkCommand(fill(template, ["git", "reset", "--hard"]), OPTIONS);
      assert.equal(verdict.allowed, false, `the policy allowed ${JSON.stringify(template)}`);
      if (!verdict.allowed) assert.equal(verdict.rule, rule, verdict.reason);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
