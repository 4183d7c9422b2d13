import { DISK_TOOLS, DISKUTIL_ERASE, POWER_COMMANDS, POWER_SUBCOMMANDS, PRIVILEGE_COMMANDS, RAW_DISK } from "../commandTables.js";
import { isKnown } from "../expand.js";
import { Refusal } from "../rules.js";
import type { Handler } from "../analyzer.js";

/** privilege, power and disk: rules that mostly need only the command's name. */

const privilege: Handler = ({ name }) => {
  throw new Refusal("privilege", `\`${name}\` runs commands as another user (administrator rights)`);
};

const power: Handler = ({ name }) => {
  throw new Refusal("power", `\`${name}\` shuts down or restarts the computer`);
};

const powerSubcommand: Handler = ({ name, argv }) => {
  const verbs = POWER_SUBCOMMANDS[name]!;
  const verb = argv.slice(1).find((f) => !f.value.startsWith("-"));
  if (verb && verbs.has(verb.value)) throw new Refusal("power", `\`${name} ${verb.value}\` shuts down or restarts the computer`);
};

const diskTool: Handler = ({ name }) => {
  throw new Refusal("disk", `\`${name}\` formats or partitions disks`);
};

const diskutil: Handler = ({ argv }) => {
  const verb = argv[1];
  if (verb && (!isKnown(verb) || DISKUTIL_ERASE.test(verb.value))) {
    throw new Refusal("disk", `\`diskutil ${verb.value}\` erases or repartitions a disk`);
  }
  if (verb?.value === "apfs" && /^delete/i.test(argv[2]?.value ?? "")) {
    throw new Refusal("disk", `\`diskutil apfs ${argv[2]!.value}\` deletes a volume`);
  }
};

/** dd writes raw blocks: refused when `of=` names a device (other than the harmless ones). */
const dd: Handler = ({ argv }) => {
  for (const field of argv.slice(1)) {
    if (!field.value.startsWith("of=")) continue;
    const target = field.value.slice(3);
    if (!isKnown(field) || RAW_DISK.test(target) || (/^\/dev\//.test(target) && !/^\/dev\/(null|zero|stdout|stderr|tty|fd\/|shm\/)/.test(target))) {
      throw new Refusal("disk", `\`dd ${field.value}\` writes raw data onto a device`);
    }
  }
};

export const SYSTEM_HANDLERS: Array<[string, Handler]> = [
  ...[...PRIVILEGE_COMMANDS].map((n): [string, Handler] => [n, privilege]),
  ...[...POWER_COMMANDS].map((n): [string, Handler] => [n, power]),
  ...Object.keys(POWER_SUBCOMMANDS).map((n): [string, Handler] => [n, powerSubcommand]),
  ...[...DISK_TOOLS].map((n): [string, Handler] => [n, diskTool]),
  ["diskutil", diskutil],
  ["dd", dd],
];

/** mkfs, mkfs.ext4, newfs_hfs …: matched by prefix. */
export const DISK_TOOL_HANDLER = diskTool;
