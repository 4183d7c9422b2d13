import { COMMAND_GROUPS, type CommandGroup } from "./groups.js";

/** Every command group the CLI knows: COMMAND_GROUPS and `completion`, which reads that list. */
export const ALL_GROUPS: readonly CommandGroup[] = [...COMMAND_GROUPS, { names: ["completion"], load: () => import("./completion.js") }];

/** The first word on the command line that is not an option (nor an option's value): the command's name. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--lang") {
      i++;
      continue;
    }
    if (!arg.startsWith("-")) return arg;
  }
  return undefined;
}

/** The groups to load for this call: the named command's, or all of them (help, unknown commands). */
export function groupsFor(args: readonly string[]): readonly CommandGroup[] {
  const name = commandName(args);
  const group = name === undefined ? undefined : ALL_GROUPS.find((g) => g.names.includes(name));
  return group ? [group] : ALL_GROUPS;
}
