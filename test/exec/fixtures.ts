/**
 * Realistic outputs for the exec tests, generated (no network, no real
 * project needed): a node-test style TAP run of ~600 KB with two failing
 * tests in the middle, a coverage table and a threshold error at the end.
 */

export const FAILING_TEST = "dates: parseISO keeps the leap day 2024-02-29";

/** Source of a Node script that prints the run and exits 1 (as `npm test` would). */
export function tapRunScript(tests = 3400): string {
  return `
const out = (s) => process.stdout.write(s + "\\n");
const err = (s) => process.stderr.write(s + "\\n");
const modules = ["dates", "numbers", "strings", "parser", "format", "locale", "timezone", "intervals"];
out("> datekit@3.2.1 test");
out("> node --test --experimental-test-coverage test/");
out("");
out("TAP version 13");
const failAt = new Set([Math.floor(${tests} * 0.45), Math.floor(${tests} * 0.56)]);
let failed = 0;
for (let i = 1; i <= ${tests}; i++) {
  const mod = modules[i % modules.length];
  let name = mod + ": case " + i + " formats and parses round trip in " + ["UTC", "Europe/Berlin", "Asia/Tokyo"][i % 3];
  if (i === 10) name = "errors: rejects with Error: invalid date string";
  if (i === 11) name = "report: prints 0 failed when everything passes";
  if (i === Math.floor(${tests} * 0.45)) name = ${JSON.stringify(FAILING_TEST)};
  out("# Subtest: " + name);
  if (failAt.has(i)) {
    failed++;
    out("not ok " + i + " - " + name);
    out("  ---");
    out("  duration_ms: 1.822");
    out("  location: '/home/dev/datekit/test/" + mod + ".test.js:" + (40 + i % 50) + ":3'");
    out("  failureType: 'testCodeFailure'");
    out("  error: |-");
    out("    Expected values to be strictly equal:");
    out("    ");
    out("    1 !== 29");
    out("    ");
    out("  code: 'ERR_ASSERTION'");
    out("  name: 'AssertionError'");
    out("  expected: 29");
    out("  actual: 1");
    out("  operator: 'strictEqual'");
    out("  stack: |-");
    out("    TestContext.<anonymous> (file:///home/dev/datekit/test/" + mod + ".test.js:" + (40 + i % 50) + ":12)");
    out("    parseISO (file:///home/dev/datekit/src/parse.js:118:21)");
    out("    async Test.run (node:internal/test_runner/test:797:9)");
    out("  ...");
  } else {
    out("ok " + i + " - " + name);
    out("  ---");
    out("  duration_ms: " + (0.1 + (i % 97) / 100).toFixed(3));
    out("  ...");
  }
}
out("1.." + ${tests});
out("# tests " + ${tests});
out("# suites 0");
out("# pass " + (${tests} - failed));
out("# fail " + failed);
out("# cancelled 0");
out("# skipped 0");
out("# todo 0");
out("# duration_ms 4213.55");
out("# start of coverage report");
out("# " + "-".repeat(100));
out("# file                      | line % | branch % | funcs % | uncovered lines");
out("# " + "-".repeat(100));
for (let f = 0; f < 160; f++) {
  const file = "src/" + modules[f % modules.length] + "/part" + f + ".js";
  out("# " + file.padEnd(26) + "|  " + (70 + (f % 30)).toFixed(2) + " |    " + (60 + (f % 40)).toFixed(2) + " |  " + (80 + (f % 20)).toFixed(2) + " | " + (f * 7 + 3) + "-" + (f * 7 + 9));
}
out("# " + "-".repeat(100));
out("# all files                 |  79.41 |    71.08 |   88.90 |");
out("# end of coverage report");
err("Error: 79.41% line coverage does not meet the global threshold (80%)");
err("npm ERR! Lifecycle script \\"test\\" failed with error:");
err("npm ERR! Error: command failed");
err("npm ERR!   in workspace: datekit@3.2.1");
process.exitCode = 1;
`;
}
