import { t, type Key, type Lang } from "./web/i18n.js";

/** HTML text escaping for the few values the shell carries (the CSRF token, words). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function section(lang: Lang, id: string, title: Key, body = "", extra = ""): string {
  return `<section id="${id}" aria-labelledby="${id}-h"${extra}><h2 id="${id}-h" data-i18n="${title}">${escapeHtml(t(lang, title))}</h2>${body}</section>`;
}

/**
 * The page shell: no inline script or style (the CSP forbids both); the
 * module script renders the panels from the live state.
 */
export function pageHtml(lang: Lang, csrf: string): string {
  const w = (key: Key) => escapeHtml(t(lang, key));
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escapeHtml(csrf)}">
<meta name="dashboard-lang" content="${lang}">
<title>${w("title")}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<header>
  <h1 data-i18n="title">${w("title")}</h1>
  <span id="conn" class="conn off" role="status" data-i18n="offline">${w("offline")}</span>
  <span class="spacer"></span>
  <button type="button" id="lang-toggle" data-i18n="switch_lang">${w("switch_lang")}</button>
  <button type="button" id="logout" data-i18n="logout">${w("logout")}</button>
</header>
<p id="notice" class="notice" role="alert" hidden></p>
<div id="config-problem" class="banner" role="alert" hidden></div>
<div id="status" class="statusbar" role="region" aria-label="${w("status")}" data-i18n-label="status">
${section(lang, "access", "access", `<div class="body"></div>`, ' class="stat"')}
${section(lang, "route", "route", `<div class="body"></div>`, ' class="stat"')}
${section(lang, "sandbox", "sandbox", `<div class="body"></div>`, ' class="stat"')}
${section(lang, "running", "now_running", `<div class="body"></div>`, ' class="stat"')}
${section(lang, "last", "last_action", `<div class="body"></div>`, ' class="stat"')}
</div>
<main>
<div class="col wide-col">
${section(lang, "approvals", "approvals", `<div class="body"></div>`)}
${section(lang, "feed", "feed", `<ol class="body" aria-live="polite" aria-relevant="additions"></ol>`)}
${section(lang, "jobs", "jobs", `<div class="body"></div>`)}
</div>
<div class="col side-col">
${section(lang, "workspaces", "workspaces", `<ul class="body"></ul>`)}
${section(lang, "checkpoints", "checkpoints", `<div class="body"></div>`)}
${section(lang, "boxes", "boxes", `<div class="body"></div>`)}
${section(lang, "setup", "setup", `<div class="body"></div>`)}
${section(lang, "grants", "grants", `<div class="body"></div>`)}
</div>
</main>
</body>
</html>
`;
}

/**
 * The pages before a session (no login yet, a login that ended, a link that does not
 * work): the dashboard's own stylesheet under the same CSP, and what to do next.
 */
export function loginPage(lang: Lang, why: "login" | "expired" | "invalid"): string {
  const w = (key: Key) => escapeHtml(t(lang, key));
  const lead: Key = why === "login" ? "login_body" : why === "expired" ? "login_expired" : "login_invalid";
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${w("login_title")}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
</head>
<body class="login">
<main>
<section class="login-card" data-why="${why}">
<h1>${w("login_title")}</h1>
<p>${w(lead)}</p>
<pre class="command">chatgpt-codex dashboard</pre>
<p class="note">${w("login_next")}</p>
</section>
</main>
</body>
</html>
`;
}
