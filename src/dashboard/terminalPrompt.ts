import { createInterface, type Interface } from "node:readline";
import type { ApprovalQueue, HeldCommand } from "../approvals/queue.js";

/**
 * Answer held commands in the `up` terminal: one question at a time, oldest
 * first, "y" approves, anything else denies. Line mode (no raw terminal), so
 * Ctrl-C still stops the server. A decision made on the dashboard meanwhile
 * wins and moves on to the next question.
 */
export function promptApprovalsInTerminal(queue: ApprovalQueue, input: NodeJS.ReadableStream, write: (text: string) => void): () => void {
  let rl: Interface | undefined;
  let asking: HeldCommand | undefined;

  const next = () => {
    asking = queue.pending()[0];
    if (!asking) {
      rl?.close();
      rl = undefined;
      return;
    }
    if (!rl) {
      rl = createInterface({ input, terminal: false });
      rl.on("line", answer);
    }
    // stdin open: the model types into the program after it starts, and that input is not asked about again.
    const stdin = asking.stdin === "open" ? "  stdin: open — the model can type into it once it runs / 标准输入：打开——运行后模型可以向它输入\n" : "";
    write(`\nApprove command? / 批准这条命令？ [${asking.workspace}:${asking.cwd}]\n  ${asking.command.split("\n").join("\n  ")}\n${stdin}(y = approve/批准, n = deny/拒绝) > `);
  };

  const answer = (line: string) => {
    if (!asking) return;
    const id = asking.id;
    const yes = /^\s*(y|yes|是|批准)\s*$/i.test(line);
    const result = yes ? queue.approve(id, "terminal") : queue.deny(id, "terminal");
    write(result.ok ? (yes ? "approved / 已批准\n" : "denied / 已拒绝\n") : `${result.message}\n`);
  };

  const off = queue.subscribe((held) => {
    if (held.status === "awaiting_approval" && !asking) next();
    else if (asking && held.id === asking.id && held.status !== "awaiting_approval") {
      if (held.decided_by === "dashboard" || held.decided_by === "timeout") write(`\n(${held.status}: ${held.decided_by})\n`);
      next();
    }
  });
  return () => {
    off();
    rl?.close();
  };
}
