#!/usr/bin/env node
// The entry point stays tiny: `--version` answers before the CLI (commander, zod, the
// message catalog) is loaded; everything else is loaded by the command that needs it.
import { VERSION } from "../ground/version.js";

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${VERSION}\n`);
} else {
  await import("./run.js");
}
