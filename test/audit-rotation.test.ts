import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { it } from "node:test";
import { AuditLog } from "../src/audit/log.js";
import { tempDir } from "./helpers.js";

it("the audit log rotates by size and keeps two old files", () => {
  const home = tempDir();
  const log = new AuditLog(home, 2_000);
  for (let i = 0; i < 100; i++) {
    log.write({ time: new Date().toISOString(), action: "read_file", workspace: "ws", outcome: "ok", status: 200, duration_ms: i, face: "http", paths: [`file-${i}.txt`] });
    if (i % 7 === 0) log.flush();
  }
  log.flush();
  assert.ok(statSync(log.file).size <= 2_000);
  assert.ok(existsSync(`${log.file}.1`));
  assert.ok(existsSync(`${log.file}.2`));
  assert.equal(existsSync(`${log.file}.3`), false);
  const last = readFileSync(log.file, "utf8").trim().split("\n").at(-1)!;
  assert.equal(JSON.parse(last).duration_ms, 99);
  assert.equal(existsSync(join(home, "audit.log")), true);
});
