import type { Command, Statement } from "./shellAst.js";

/**
 * A function that starts copies of itself in a pipeline or in the
 * background (`:(){ :|:& };:` under any name). Plain recursion is allowed:
 * it runs one copy at a time.
 */
export function findForkBomb(fn: { name: string; body: Statement }): string | null {
  let found = false;
  const visit = (statement: Statement, parallel: boolean) => {
    if (found) return;
    inCommand(statement.command, parallel || statement.background);
  };
  const inCommand = (command: Command, parallel: boolean) => {
    switch (command.kind) {
      case "simple": {
        const first = command.words[0];
        const name = first?.parts.length === 1 && first.parts[0]!.kind === "literal" ? first.parts[0]!.value : null;
        if (parallel && name === fn.name) found = true;
        for (const word of command.words) {
          for (const part of word.parts) {
            if (part.kind === "command" || part.kind === "process") part.script.forEach((s) => visit(s, parallel));
          }
        }
        return;
      }
      case "pipeline":
        return command.stages.forEach((s) => visit(s, true));
      case "list":
        visit(command.left, parallel);
        return visit(command.right, parallel);
      case "group":
      case "compound":
        return command.body.forEach((s) => visit(s, parallel));
      case "for":
        return command.body.forEach((s) => visit(s, parallel));
      case "function":
        return visit(command.body, parallel);
      case "declare":
        return;
    }
  };
  visit(fn.body, false);
  return found ? `the function \`${fn.name}\` starts copies of itself in parallel (a fork bomb)` : null;
}
