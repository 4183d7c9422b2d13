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
<main>
${section(lang, "access", "access", `<div class="body"></div><p class="note" data-i18n="revoke_note">${w("revoke_note")}</p>`)}
${section(lang, "workspaces", "workspaces", `<ul class="body"></ul>`)}
${section(lang, "approvals", "approvals", `<div class="body"></div>`)}
${section(lang, "jobs", "jobs", `<div class="body"></div>`)}
${section(lang, "boxes", "boxes", `<div class="body"></div>`)}
${section(lang, "feed", "feed", `<ol class="body" aria-live="polite" aria-relevant="additions"></ol>`, ' class="wide"')}
${section(lang, "setup", "setup", `<div class="body"></div>`)}
${section(lang, "checkpoints", "checkpoints", `<div class="body"></div>`)}
${section(lang, "grants", "grants", `<div class="body"></div>`)}
${section(lang, "sandbox", "sandbox", `<div class="body"></div>`)}
</main>
</body>
</html>
`;
}

/** 401 page: how to get a login link (never a form that takes the token). */
export function loginPage(lang: Lang, why: "login" | "invalid"): string {
  const w = (key: Key) => escapeHtml(t(lang, key));
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${w("login_title")}</title></head>
<body class="login"><main><section><h1>${w("login_title")}</h1><p>${w(why === "login" ? "login_body" : "login_invalid")}</p><pre>chatgpt-codex dashboard</pre></section></main></body>
</html>
`;
}
