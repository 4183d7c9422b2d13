import type { Handler } from "../analyzer.js";
import { Refusal } from "../rules.js";
import { judgePermissionTarget } from "../targets.js";

/** chmod / chown / chgrp -R: refused when a target is outside the workspace. */
const recursivePermissions: Handler = ({ name, argv, state }, analyzer) => {
  const args = argv.slice(1);
  let recursive = false;
  let reference = false;
  const operands = [];
  let optionsDone = false;
  for (const field of args) {
    const v = field.value;
    if (!optionsDone && v === "--") {
      optionsDone = true;
    } else if (!optionsDone && (v === "--recursive" || /^-[cfvRhHLP]*R[cfvRhHLP]*$/.test(v))) {
      recursive = true;
    } else if (!optionsDone && v.startsWith("--reference")) {
      reference = true;
    } else if (!optionsDone && /^-[cfvhHLP]+$/.test(v)) {
      // other flags
    } else if (!optionsDone && v.startsWith("--")) {
      // long flags such as --verbose, --preserve-root
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
