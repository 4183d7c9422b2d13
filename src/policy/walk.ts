import type { Assignment, Command, SimpleCommand, Statement, Word } from "./shellAst.js";

/**
 * Every simple command in a tree, wherever it sits: pipelines, lists,
 * bodies, and the substitutions inside words, redirections and here-documents.
 */
export function forEachSimpleCommand(statements: Statement[], visit: (command: SimpleCommand) => void): void {
  const scripts = (list: Statement[][]) => list.forEach((s) => s.forEach(statement));
  const word = (w: Word | null) => {
    if (!w) return;
    for (const part of w.parts) {
      if (part.kind === "command" || part.kind === "process") part.script.forEach(statement);
      else if (part.kind === "param" || part.kind === "arith") scripts(part.scripts);
      else if (part.kind === "brace") part.alternatives.forEach(word);
    }
  };
  const assigns = (list: Assignment[]) => list.forEach((a) => (word(a.value), (a.array ?? []).forEach(word)));
  const command = (c: Command) => {
    switch (c.kind) {
      case "simple":
        visit(c);
        assigns(c.assigns);
        c.words.forEach(word);
        break;
      case "pipeline":
        c.stages.forEach(statement);
        break;
      case "list":
        statement(c.left);
        statement(c.right);
        break;
      case "group":
        c.body.forEach(statement);
        break;
      case "function":
        statement(c.body);
        break;
      case "for":
        (c.items ?? []).forEach(word);
        c.body.forEach(statement);
        break;
      case "compound":
        c.words.forEach(word);
        scripts(c.scripts);
        c.body.forEach(statement);
        break;
      case "declare":
        assigns(c.assigns);
        break;
    }
  };
  const statement = (s: Statement) => {
    command(s.command);
    for (const r of s.redirects) (word(r.target), word(r.heredoc));
  };
  statements.forEach(statement);
}
