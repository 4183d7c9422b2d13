import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { makeHome, startServer, tempDir } from "../helpers.js";

const CANARY = "OUTSIDE-CANARY-7f3a";

/** A node loop (bounded, no forks) that keeps swapping; returns a stop function. */
function swapLoop(script: string): () => Promise<void> {
  const child = spawn(process.execPath, ["-e", `const fs = require("node:fs"); for (let i = 0; i < 2_000_000; i++) { try { ${script} } catch {} }`], { stdio: "ignore" });
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("close", () => resolve());
      child.kill("SIGKILL");
    });
}

it("search_text under a swap loop of a symlink between an inside and an outside folder: 0 leaks (and read_file 0)", async () => {
  const outside = tempDir("cgc-outside-");
  for (let i = 0; i < 20; i++) writeFileSync(join(outside, `f${i}.txt`), `needle ${CANARY} ${i}\nsecond line ${CANARY}\n`);
  const fixture = makeHome();
  const ws = fixture.workspace;
  mkdirSync(join(ws, "inside"));
  for (let i = 0; i < 20; i++) writeFileSync(join(ws, "inside", `f${i}.txt`), `needle inside ${i}\nsecond line inside\n`);
  symlinkSync("inside", join(ws, "link"));
  // Swap atomically (rename over) between the two targets, at most 400000 times.
  const stop = swapLoop(
    `process.chdir(${JSON.stringify(ws)}); fs.symlinkSync(${JSON.stringify(outside)}, "link.tmp"); fs.renameSync("link.tmp", "link"); fs.symlinkSync("inside", "link.tmp"); fs.renameSync("link.tmp", "link");`,
  );
  const s = await startServer(fixture);
  let leaks = 0;
  let answered = 0;
  let readLeaks = 0;
  try {
    for (let round = 0; round < 25; round++) {
      for (const body of [
        { query: "needle", path: "link" },
        { query: "needle", path: "link/f3.txt" },
        { query: "second", path: "link", context_lines: 1 },
        { query: "needle", path: "." },
      ]) {
        const reply = await s.post("search_text", body);
        if (reply.status === 200) answered++;
        if (reply.text.includes(CANARY)) leaks++;
      }
      const read = await s.post("read_file", { path: "link/f1.txt" });
      if (read.text.includes(CANARY)) readLeaks++;
    }
  } finally {
    await stop();
    await s.close();
  }
  assert.equal(leaks, 0, `search_text answered outside content ${leaks} times`);
  assert.equal(readLeaks, 0);
  assert.ok(answered > 40, `sanity: most searches were answered (${answered})`);
});

it("search_text under a swap loop of a real sub-folder and a symlink to outside (deep in the walk): 0 leaks", async () => {
  const outside = tempDir("cgc-outside-");
  for (let i = 0; i < 20; i++) writeFileSync(join(outside, `g${i}.txt`), `needle ${CANARY}\n`);
  const fixture = makeHome();
  const ws = fixture.workspace;
  mkdirSync(join(ws, "a", "sub"), { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(ws, "a", "sub", `g${i}.txt`), "needle inside\n");
  symlinkSync(outside, join(ws, "a", "evil"));
  // Swap the real folder a/sub with the symlink a/evil (rename both ways), bounded.
  const stop = swapLoop(
    `process.chdir(${JSON.stringify(join(ws, "a"))}); fs.renameSync("sub", "real.tmp"); fs.renameSync("evil", "sub"); fs.renameSync("sub", "evil"); fs.renameSync("real.tmp", "sub");`,
  );
  const s = await startServer(fixture);
  let leaks = 0;
  let withMatches = 0;
  try {
    for (let round = 0; round < 50; round++) {
      const reply = await s.post("search_text", { query: "needle", path: round % 2 === 0 ? "." : "a" });
      if (reply.text.includes(CANARY)) leaks++;
      if (reply.status === 200 && reply.json.matches.length > 0) withMatches++;
    }
  } finally {
    await stop();
    await s.close();
  }
  assert.equal(leaks, 0, `search_text answered outside content ${leaks} times`);
  assert.ok(withMatches > 5, `sanity: searches still find the inside files (${withMatches})`);
});
