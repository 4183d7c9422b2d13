import { randomBytes } from "node:crypto";
import type { PendingConsent } from "./authServer.js";
import type { Scope } from "./scopes.js";

/** Every text of the consent page, English and 中文 side by side. */
const TEXT = {
  title: ["Connect to this computer", "连接到这台电脑"],
  intro: [
    "An app asks to work in your workspace on this computer. Approve only if you started this from ChatGPT yourself.",
    "有一个应用请求在这台电脑上的工作区中操作。只有在你本人刚刚从 ChatGPT 发起连接时才批准。",
  ],
  client: ["App", "应用"],
  redirect: ["Sends the answer to", "授权结果发送到"],
  workspaces: ["Workspace(s)", "工作区"],
  scopes: ["Permissions (untick what you do not want to give)", "权限（取消勾选不想授予的项）"],
  code: ["Pairing code", "配对码"],
  codeHint: [
    "On this computer, run chatgpt-codex connector code and type the code it shows (valid 10 minutes, once).",
    "在这台电脑上运行 chatgpt-codex connector code，输入它显示的配对码（10 分钟内有效，只能用一次）。",
  ],
  approve: ["Approve", "批准"],
  deny: ["Deny", "拒绝"],
  errorTitle: ["This request cannot continue", "无法继续此请求"],
  errorHint: ["Close this page and start again from ChatGPT.", "请关闭此页面，回到 ChatGPT 重新开始。"],
} as const;

const SCOPE_TEXT: Record<Scope, readonly [string, string]> = {
  "workspace.read": ["Read files, search, git status and diff", "读取文件、搜索、查看 git 状态和差异"],
  "workspace.write": ["Write and patch files", "写入和修改文件"],
  commands: ["Run commands (tests, builds, scripts)", "运行命令（测试、构建、脚本）"],
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function both(pair: readonly [string, string]): string {
  return `${escapeHtml(pair[0])}<br><span lang="zh-CN">${escapeHtml(pair[1])}</span>`;
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#111}
dt{font-weight:600;margin-top:.8rem}dd{margin:0;word-break:break-all}
.err{background:#fde8e8;border:1px solid #c33;padding:.6rem;border-radius:.3rem}
label{display:block;margin:.3rem 0}input[type=text]{font-size:1.3rem;letter-spacing:.15rem;width:12rem}
button{font-size:1rem;padding:.4rem 1.2rem;margin:1rem .5rem 0 0}span[lang]{color:#555}`;

export interface Page {
  html: string;
  /** Headers that make the page unframeable and script-free. */
  headers: Record<string, string>;
}

function page(title: readonly [string, string], body: string, formTarget?: string): Page {
  const nonce = randomBytes(16).toString("base64");
  const formAction = formTarget ? `'self' ${formTarget}` : "'self'";
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title[0])} · ${escapeHtml(title[1])}</title><style nonce="${nonce}">${STYLE}</style></head>
<body><h1>${both(title)}</h1>${body}</body></html>`;
  return {
    html,
    headers: {
      "content-type": "text/html; charset=utf-8",
      // No script at all; styles only by nonce; forms only to us and (after approval, a redirect) to the client.
      "content-security-policy": `default-src 'none'; style-src 'nonce-${nonce}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    },
  };
}

export function consentPage(pending: PendingConsent, workspaces: string[], error?: string): Page {
  const redirectOrigin = new URL(pending.redirect_uri).origin;
  const scopes = pending.scopes
    .map(
      (s) =>
        `<label><input type="checkbox" name="scope" value="${escapeHtml(s)}" checked> <code>${escapeHtml(s)}</code> — ${escapeHtml(SCOPE_TEXT[s][0])} / <span lang="zh-CN">${escapeHtml(SCOPE_TEXT[s][1])}</span></label>`,
    )
    .join("\n");
  const body = `${error ? `<p class="err" role="alert">${escapeHtml(error)}</p>` : ""}
<p>${both(TEXT.intro)}</p>
<dl><dt>${both(TEXT.client)}</dt><dd>${escapeHtml(pending.client.client_name)} <small>(${escapeHtml(pending.client.client_id)})</small></dd>
<dt>${both(TEXT.redirect)}</dt><dd><code>${escapeHtml(pending.redirect_uri)}</code></dd>
<dt>${both(TEXT.workspaces)}</dt><dd>${workspaces.map((w) => `<code>${escapeHtml(w)}</code>`).join(", ") || "—"}</dd></dl>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="request" value="${escapeHtml(pending.id)}"><input type="hidden" name="csrf" value="${escapeHtml(pending.csrf)}">
<fieldset><legend>${both(TEXT.scopes)}</legend>
${scopes}</fieldset>
<p><label for="pairing_code">${both(TEXT.code)}</label>
<input type="text" id="pairing_code" name="pairing_code" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" required maxlength="16"></p>
<p><small>${both(TEXT.codeHint)}</small></p>
<button type="submit" name="decision" value="approve">${escapeHtml(TEXT.approve[0])} · ${escapeHtml(TEXT.approve[1])}</button>
<button type="submit" name="decision" value="deny" formnovalidate>${escapeHtml(TEXT.deny[0])} · ${escapeHtml(TEXT.deny[1])}</button>
</form>`;
  return page(TEXT.title, body, redirectOrigin);
}

export function errorPage(message: string): Page {
  return page(TEXT.errorTitle, `<p class="err" role="alert">${escapeHtml(message)}</p><p>${both(TEXT.errorHint)}</p>`);
}
