import type { Handler } from "../analyzer.js";
import { Refusal } from "../rules.js";
import { judgePermissionTarget } from "../targets.js";
import { isKnown } from "../expand.js";
import { resolveLong, type OptionSpec } from "../options.js";

/** chmod, chown and chgrp's long options (GNU coreutils). */
const PERMISSION_OPTIONS: OptionSpec = {
  long: {
    changes: "none", silent: "none", quiet: "none", verbose: "none", "no-preserve-root": "none", "preserve-root": "none",
    reference: "required", recursive: "none", dereference: "none", "no-dereference": "none", from: "required", help: "none", version: "none",
  },
  dangerous: ["recursive"],
};

/** chmod / chown / chgrp -R: refused when a target is outside the workspace. */
const recursivePermissions: Handler = ({ name, argv, state }, analyzer) => {
  const args = argv.slice(1);
  let recursive = false;
  let reference = false;
  const operands = [];
  let optionsDone = false;
  let skipNext = false;
  for (const field of args) {
    const v = field.value;
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (!optionsDone && v === "--") {
      optionsDone = true;
    } else if (!optionsDone && isKnown(field) && v.startsWith("--")) {
      // Long options may be abbreviated (`--rec`); `--reference=FILE` replaces the mode operand.
      const eq = v.indexOf("=");
      const option = resolveLong(eq < 0 ? v.slice(2) : v.slice(2, eq), PERMISSION_OPTIONS);
      if (option === "recursive") recursive = true;
      if (option === "reference") {
        reference = true;
        if (eq < 0) skipNext = true;
      }
      if (option === "from" && eq < 0) skipNext = true;
    } else if (!optionsDone && /^-[cfvRhHLP]*R[cfvRhHLP]*$/.test(v)) {
      recursive = true;
    } else if (!optionsDone && /^-[cfvhHLP]+$/.test(v)) {
      // other flags
    } else {
      operands.push(field);
    }
  }
  if (!recursive) return;
  // The first operand is the mode or owner, unless --reference gave it.
  const targets = reference ? operands : operands.slice(1);
  for (const target of targets) {
    const verdict = judgePermissionTarget(target, state, analyzer.places);
    if (verdict) throw new Refusal(verdict.rule ?? "recursive-permissions", `\`${name} -R\`: ${verdict.reason}`);
  }
};

export const PERMISSION_HANDLERS: Array<[string, Handler]> = [
  ["chmod", recursivePermissions],
  ["chown", recursivePermissions],
  ["chgrp", recursivePermissions],
];
