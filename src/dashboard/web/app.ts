/**
 * The dashboard page, in the browser. No framework: the server pushes the
 * whole state over server-sent events, each panel re-renders when its part
 * changed, and every value goes into the page as text (never as HTML).
 */
import type { HeldCommand } from "../../approvals/queue.js";
import type { Outcome } from "../../ground/outcome.js";
import type { BoxView, ConfigProblemView, JobSummary, NetworkView, PublicFields, SandboxView } from "../sources.js";
import { count, t, WORDS, type Counted, type Key, type Lang } from "./i18n.js";

// The shapes the server sends: one declaration, shared with the server (type imports vanish from the built page).
type Job = JobSummary;
type Held = Omit<HeldCommand, "status" | "reason" | "error_code" | "decided_by">;
interface State {
  workspaces: { active: string | null; workspaces: { name: string; path: string; active: boolean }[] };
  access: { state: "active" | "expired" | "revoked" | "suspended"; active: boolean; expires_at: string | null; reason: string | null };
  jobs: Job[];
  /** null: not available in this build. */
  boxes: BoxView[] | null;
  approvals: { mode: "chatgpt" | "local"; pending: Held[] };
  public: PublicFields;
  panels: { checkpoints: boolean; grants: boolean; sandbox: SandboxView | null };
  config_problem: ConfigProblemView | null;
}
interface AuditRecord {
  time: string;
  action: string;
  workspace: string | null;
  outcome: Outcome;
  exit_code?: number;
  error_code?: string;
  duration_ms: number;
  face: string;
  client?: string;
  paths?: string[];
  command?: string;
  detail?: Record<string, unknown>;
}

const meta = (name: string) => document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
const csrf = meta("csrf-token");
const stored = localStorage.getItem("cgc-dashboard-lang");
let lang: Lang = stored === "zh" || stored === "en" ? stored : meta("dashboard-lang") === "zh" ? "zh" : "en";
let state: State | null = null;
let token: string | null = null;
const rendered = new Map<string, string>();
const feed: AuditRecord[] = [];
const FEED_MAX = 200;

const w = (key: Key, vars?: Record<string, string | number>) => t(lang, key, vars);
const n = (base: Counted, value: number) => count(lang, base, value);

/** The status bar's entry `id` takes the colour of its state. */
function tone(id: string, kind: "ok" | "bad" | "run" | "none"): void {
  const section = document.getElementById(id);
  if (section) section.className = `stat${kind === "none" ? "" : ` tone-${kind}`}`;
}

type Child = Node | string | null | undefined | false;
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

function button(label: string, key: string, onClick: () => void, kind = ""): HTMLButtonElement {
  const b = el("button", { type: "button", "data-key": key, class: kind });
  b.textContent = label;
  b.addEventListener("click", onClick);
  return b;
}

function body(section: string): HTMLElement {
  return document.querySelector<HTMLElement>(`#${section} .body`)!;
}

/** Re-render a panel only when its data changed, keeping keyboard focus on the same control. */
function panel(section: string, data: unknown, draw: (target: HTMLElement) => void): void {
  const key = JSON.stringify([lang, data]);
  if (rendered.get(section) === key) return;
  rendered.set(section, key);
  const target = body(section);
  const focused = target.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.key : undefined;
  target.replaceChildren();
  draw(target);
  if (focused) target.querySelector<HTMLElement>(`[data-key="${CSS.escape(focused)}"]`)?.focus();
}

function notice(text: string | null): void {
  const box = document.getElementById("notice")!;
  box.hidden = text === null;
  box.textContent = text ?? "";
}

async function call(method: "GET" | "POST", path: string, payload: unknown = {}): Promise<any> {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: method === "POST" ? { "content-type": "application/json", "x-csrf-token": csrf } : {},
    body: method === "POST" ? JSON.stringify(payload) : undefined,
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer?.error?.message ?? `HTTP ${response.status}`);
  return answer;
}

async function act(path: string, payload: unknown = {}): Promise<any> {
  try {
    const answer = await call("POST", path, payload);
    notice(null);
    return answer;
  } catch (error) {
    notice(w("error", { m: (error as Error).message }));
    return null;
  }
}

function when(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en") : w("no_expiry");
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function statusWord(status: string): string {
  const key = `status_${status}` as Key;
  return key in WORDS.en ? w(key) : status;
}

// ---------------------------------------------------------------- panels

function drawAccess(s: State): void {
  const a = s.access;
  tone("access", a.active ? "ok" : "bad");
  panel("access", s.access, (target) => {
    const select = el("select", { id: "ttl", "data-key": "ttl", "aria-label": w("renew_for") });
    for (const [value, label] of [
      ["", w("ttl_none")],
      ["30", w("ttl_minutes", { n: 30 })],
      ["60", w("ttl_hours", { n: 1 })],
      ["240", w("ttl_hours", { n: 4 })],
      ["480", w("ttl_hours", { n: 8 })],
      ["1440", w("ttl_hours", { n: 24 })],
    ] as const) {
      select.append(el("option", { value }, label));
    }
    const revoke = a.state === "active" || a.state === "expired" ? button(w("revoke"), "revoke", () => void act("/api/access/revoke"), "danger") : null;
    revoke?.setAttribute("title", w("revoke_note"));
    target.append(
      el("div", { class: "line" }, el("span", { class: `badge ${a.active ? "ok" : "bad"}`, id: "access-state" }, w(`access_${a.state}` as Key)), el("span", { class: "muted" }, `${w("expires")}:`), el("span", { id: "access-expiry" }, when(a.expires_at))),
      el(
        "div",
        { class: "line" },
        revoke,
        select,
        button(w("renew"), "renew", () => {
          const value = (document.getElementById("ttl") as HTMLSelectElement).value;
          void act("/api/access/renew", { ttl_minutes: value === "" ? null : Number(value) });
        }),
      ),
    );
  });
}

/** Where ChatGPT reaches this server: the public URL, or none yet (and the command that makes one). */
function drawRoute(s: State): void {
  const p = s.public;
  const down = p.tunnel?.alive === false;
  tone("route", p.public_base_url ? (down ? "bad" : "ok") : "run");
  panel("route", [p.public_base_url, p.tunnel_command, p.tunnel?.kind ?? null, String(p.tunnel?.alive ?? "-")], (target) => {
    if (p.public_base_url) {
      target.append(
        el("div", { class: "line" }, el("span", { class: "badge ok", "data-route": "public" }, w("route_public"))),
        el("code", { class: "clip", title: p.public_base_url }, p.public_base_url),
      );
      if (p.tunnel) {
        const state = p.tunnel.alive === null ? "" : p.tunnel.alive ? w("tunnel_alive") : w("tunnel_down");
        target.append(el("div", { class: "line" }, el("span", { class: `badge ${down ? "bad" : "ok"}`, "data-tunnel": p.tunnel.alive === false ? "down" : "alive" }, state || p.tunnel.kind), state ? el("span", { class: "muted" }, p.tunnel.kind) : ""));
      }
      return;
    }
    target.append(
      el("div", { class: "line" }, el("span", { class: "badge run", "data-route": "local" }, w("route_local"))),
      el("span", { class: "muted" }, w("route_hint")),
      el("div", { class: "line" }, el("code", { class: "clip", title: p.tunnel_command }, p.tunnel_command), copyButton(p.tunnel_command, "copy-tunnel")),
    );
  });
}

/** How commands run: the sandbox, its network, and each live workspace box with its Reset. */
function drawSandbox(s: State): void {
  const sb = s.panels.sandbox;
  tone("sandbox", sb === null ? "none" : sb.active ? "ok" : "bad");
  panel("sandbox", [sb, s.boxes?.map((b) => [b.id, b.workspace_name ?? b.workspace, b.processes.length]) ?? null], (target) => {
    if (!sb) {
      target.append(el("p", { class: "note" }, w("not_available")));
      return;
    }
    target.append(
      el(
        "div",
        { class: "line" },
        el("span", { class: `badge ${sb.active ? "ok" : "bad"}` }, sb.active ? sb.kind : w("sandbox_none")),
        el("span", { class: "muted" }, `${w("network")}: ${String(sb.network)}`),
      ),
    );
    if (sb.box !== true) return;
    if (!s.boxes || s.boxes.length === 0) {
      target.append(el("span", { class: "muted" }, w("box_idle")));
      return;
    }
    for (const box of s.boxes) {
      target.append(
        el(
          "div",
          { class: "line", "data-bar-box": box.id },
          el("strong", { class: "clip" }, box.workspace_name ?? box.id),
          el("span", { class: "muted" }, n("procs", box.processes.length)),
          button(w("box_reset"), `bar-reset-${box.id}`, () => void act(`/api/boxes/${encodeURIComponent(box.id)}/reset`), "danger"),
        ),
      );
    }
  });
}

/** What runs now: the oldest running command with its latest line and Kill; how many more; approvals waiting. */
function drawRunning(s: State): void {
  const running = s.jobs.filter((job) => job.status === "running");
  const waiting = s.approvals.pending.length;
  tone("running", waiting > 0 || running.length > 0 ? "run" : "none");
  const first = running[0];
  panel("running", [first ? [first.id, first.command] : null, running.length, waiting], (target) => {
    if (waiting > 0) target.append(el("a", { href: "#approvals", class: "badge run", "data-waiting": String(waiting) }, n("waiting", waiting)));
    if (!first) {
      target.append(el("span", { class: "muted" }, w("running_none")));
      return;
    }
    target.append(
      el(
        "div",
        { class: "line" },
        el("span", { class: "badge run" }, statusWord("running")),
        el("span", { class: "muted", "data-bar-duration": "" }, seconds(first.duration_ms)),
        running.length > 1 ? el("span", { class: "muted" }, w("running_more", { n: running.length - 1 })) : null,
        el("span", { class: "spacer" }),
        button(w("kill"), `bar-kill-${first.id}`, () => void act(`/api/jobs/${encodeURIComponent(first.id)}/kill`), "danger"),
      ),
      el("code", { class: "clip", title: first.command }, first.command),
      el("span", { class: "clip mono muted", "data-bar-latest": "" }),
    );
  });
  // The time and the latest line change every second: updated in place (the Kill button stays put).
  if (first) {
    const target = body("running");
    const time = target.querySelector<HTMLElement>("[data-bar-duration]");
    if (time) time.textContent = seconds(first.duration_ms);
    const latest = target.querySelector<HTMLElement>("[data-bar-latest]");
    const line = lastLine(first.output);
    if (latest && latest.textContent !== line) latest.textContent = line;
  }
}

function lastLine(text: string): string {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  return lines[lines.length - 1] ?? "";
}

/** The newest line of the feed, in the status bar. */
function drawLast(): void {
  const record = feed[feed.length - 1];
  const key = JSON.stringify([lang, record ?? null]);
  if (rendered.get("last") === key) return;
  rendered.set("last", key);
  const target = body("last");
  target.replaceChildren();
  if (!record) {
    tone("last", "none");
    target.append(el("span", { class: "muted" }, w("last_none")));
    return;
  }
  const [word, kind] = outcomeWord(record);
  tone("last", kind);
  target.append(
    el(
      "div",
      { class: "line" },
      el("span", { class: `badge ${kind}`, "data-outcome": record.outcome }, word),
      record.outcome === "failed" && record.exit_code !== undefined ? el("span", { class: "exit" }, w("exit_code", { n: record.exit_code })) : null,
      el("strong", {}, record.action),
    ),
    el("span", { class: "muted" }, `${clock(record.time)} · ${record.face}`),
    el("code", { class: "clip", title: feedDetail(record) }, feedDetail(record)),
  );
}

function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en", { hour12: false });
}

/** The config file does not load: what is wrong, and whether access is paused or runs on the last good config. */
function drawConfigProblem(s: State): void {
  const box = document.getElementById("config-problem")!;
  const key = JSON.stringify([lang, s.config_problem]);
  if (rendered.get("config-problem") === key) return;
  rendered.set("config-problem", key);
  const p = s.config_problem;
  box.hidden = p === null;
  box.className = `banner ${p?.access_paused ? "bad" : "warn"}`;
  if (p === null) {
    box.replaceChildren();
    return;
  }
  const problem =
    p.kind === "missing"
      ? w("config_gone")
      : p.kind === "unreadable"
        ? w("config_unreadable", { detail: p.detail })
        : p.line !== null
          ? w("config_json", { line: p.line, column: p.column ?? 1, detail: p.detail })
          : w("config_fields", { fields: p.fields.join("; ") });
  box.replaceChildren(
    el("strong", {}, w("config_broken", { file: p.file })),
    " ",
    el("span", { "data-problem": "" }, problem),
    el("br"),
    p.paused_because ? w("config_paused", { why: w(`config_why_${p.paused_because}` as Key) }) : w("config_kept"),
    " ",
    w("config_fix"),
  );
}

function drawWorkspaces(s: State): void {
  panel("workspaces", s.workspaces, (target) => {
    for (const ws of s.workspaces.workspaces) {
      target.append(
        el(
          "li",
          { class: ws.active ? "active" : "" },
          el("strong", {}, ws.name),
          " ",
          ws.active ? el("span", { class: "badge ok" }, w("active_ws")) : button(w("switch"), `switch-${ws.name}`, () => void act("/api/workspaces/switch", { name: ws.name })),
          el("div", { class: "path" }, ws.path),
        ),
      );
    }
  });
}

function drawApprovals(s: State): void {
  panel("approvals", [s.approvals, s.panels.sandbox], (target) => {
    if (s.approvals.mode !== "local" && s.approvals.pending.length === 0) {
      target.append(el("p", { class: "note" }, w("approvals_off")));
      return;
    }
    if (s.approvals.pending.length === 0) target.append(el("p", { class: "note" }, w("approvals_none")));
    const sb = s.panels.sandbox;
    for (const held of s.approvals.pending) {
      const network = held.network ?? sb?.network ?? null;
      target.append(
        el(
          "article",
          { class: "card approval", "data-id": held.id },
          el("pre", { class: "command" }, held.command),
          el(
            "dl",
            {},
            el("dt", {}, w("workspace")),
            el("dd", {}, held.workspace),
            el("dt", {}, w("folder")),
            el("dd", {}, held.cwd),
            el("dt", {}, w("sandbox")),
            el("dd", {}, held.sandbox ?? (sb ? `${sb.kind}${sb.active ? "" : " (off)"}` : w("unknown"))),
            el("dt", {}, w("network")),
            el("dd", {}, network === null ? w("unknown") : network === true ? w("network_on") : network === false ? w("network_off") : String(network)),
            el("dt", {}, w("stdin")),
            el("dd", {}, held.stdin === "open" ? w("stdin_open") : w("stdin_closed")),
            el("dt", {}, w("expires_at")),
            el("dd", {}, when(held.expires_at)),
          ),
          el(
            "div",
            { class: "row" },
            button(w("approve"), `approve-${held.id}`, () => void act(`/api/approvals/${encodeURIComponent(held.id)}/approve`), "primary"),
            button(w("deny"), `deny-${held.id}`, () => void act(`/api/approvals/${encodeURIComponent(held.id)}/deny`), "danger"),
          ),
        ),
      );
    }
  });
}

/** A finished command shows this many of its last lines until "show all". */
const FOLDED_LINES = 6;
/** Finished jobs the owner opened in full; running jobs whose output the owner scrolled up in (no longer followed). */
const openTails = new Set<string>();
const unfollowed = new Set<string>();

function drawJobs(s: State): void {
  // A running job's time and output change every second: they are updated in place below, so
  // its card (and the Kill button under the pointer) is rebuilt only when something else changes.
  const shape = s.jobs.map(({ duration_ms, output, ...rest }) => (rest.status === "running" ? rest : { ...rest, duration_ms, output, open: openTails.has(rest.id) }));
  panel("jobs", shape, (target) => {
    if (s.jobs.length === 0) target.append(el("p", { class: "note" }, w("jobs_none")));
    for (const job of s.jobs) {
      const running = job.status === "running";
      // Kill reaches the command and whatever it left running in its box.
      const killable = running || job.background.length > 0;
      const pre = el("pre", { class: "tail", "data-tail": "", tabindex: "0" });
      let tools: HTMLElement | null = null;
      if (running) {
        // Follow the output as it comes, until the owner scrolls up to read; back at the bottom, follow again.
        pre.addEventListener("scroll", () => {
          const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
          if (atEnd) unfollowed.delete(job.id);
          else unfollowed.add(job.id);
        });
      } else {
        const lines = job.output === "" ? [] : job.output.split("\n");
        const open = openTails.has(job.id);
        pre.textContent = open ? job.output : lines.slice(-FOLDED_LINES).join("\n");
        pre.hidden = job.output === "";
        pre.classList.toggle("folded", !open);
        if (lines.length > FOLDED_LINES) {
          tools = el(
            "div",
            { class: "tail-tools" },
            button(open ? w("show_less") : n("lines", lines.length), `tail-${job.id}`, () => {
              if (openTails.has(job.id)) openTails.delete(job.id);
              else openTails.add(job.id);
              drawJobs(state!);
            }, "link"),
          );
        }
      }
      target.append(
        el(
          "article",
          { class: `card job ${job.status}`, "data-id": job.id },
          el(
            "div",
            { class: "row" },
            el("span", { class: `badge ${running ? "run" : job.status === "exited" && job.exit_code === 0 ? "ok" : "bad"}` }, statusWord(job.status)),
            job.exit_code !== null && !running ? el("span", {}, w("exit_code", { n: job.exit_code })) : null,
            el("span", { class: "muted", "data-duration": "" }, seconds(job.duration_ms)),
            job.box ? el("span", { class: "muted", "data-box": job.box.id }, w("job_box", { id: job.box.id })) : null,
            el("span", { class: "spacer" }),
            killable ? button(w("kill"), `kill-${job.id}`, () => void act(`/api/jobs/${encodeURIComponent(job.id)}/kill`), "danger") : null,
          ),
          el("pre", { class: "command" }, job.command),
          pre,
          tools,
          backgroundList(job),
          job.network ? networkBlock(job.id, job.network) : null,
        ),
      );
    }
  });
  for (const job of s.jobs) {
    if (job.status !== "running") continue;
    const card = body("jobs").querySelector<HTMLElement>(`article[data-id="${CSS.escape(job.id)}"]`);
    if (!card) continue;
    const time = card.querySelector<HTMLElement>("[data-duration]");
    if (time) time.textContent = seconds(job.duration_ms);
    const tail = card.querySelector<HTMLElement>("[data-tail]");
    if (!tail) continue;
    const text = job.output === "" ? w("no_output") : job.output;
    if (tail.textContent !== text) tail.textContent = text;
    if (!unfollowed.has(job.id)) tail.scrollTop = tail.scrollHeight;
  }
}

/** What a finished command left running in its box (pid and command). */
function backgroundList(job: Job): HTMLElement | null {
  if (job.background.length === 0) return null;
  return el(
    "div",
    { class: "background", "data-background": "" },
    el("p", { class: "muted" }, w("job_background", { n: job.background.length })),
    el("ul", { class: "plain mono" }, ...job.background.map((proc) => el("li", { "data-pid": String(proc.pid) }, `${proc.pid}  ${proc.command}`))),
  );
}

/** A list longer than this starts folded (the owner can open it; the choice is kept across updates). */
const NET_OPEN_ROWS = 5;
const folds = new Map<string, boolean>();

function fold(key: string, summary: Child[], rows: HTMLElement[], kind: string): HTMLDetailsElement {
  const details = el("details", { class: `net ${kind}`, "data-net": kind }, el("summary", { "data-key": key }, ...summary), el("ul", { class: "plain mono" }, ...rows));
  details.open = folds.get(key) ?? rows.length <= NET_OPEN_ROWS;
  details.addEventListener("toggle", () => folds.set(key, details.open));
  return details;
}

/** Where a job's connections went through the box's proxy, and what the proxy refused. */
function networkBlock(jobId: string, net: NetworkView): HTMLElement {
  const count = (n: number) => (n > 1 ? el("span", { class: "muted" }, ` ${w("net_count", { n })}`) : null);
  const denied = net.denied.map((d) =>
    el("li", { class: "denied" }, el("span", { class: "host" }, `${d.host}:${d.port}`), count(d.count), el("span", { class: "reason" }, ` — ${d.reason}`)),
  );
  const connections = net.connections.map((c) =>
    el("li", { class: "allowed" }, el("span", { class: "host" }, `${c.host}:${c.port}`), el("span", { class: "muted" }, `  ↑ ${bytes(c.bytes_up)}  ↓ ${bytes(c.bytes_down)}`), count(c.count)),
  );
  return el(
    "div",
    { class: "network", "data-network": "" },
    el("p", { class: "muted" }, w("job_network")),
    denied.length > 0 ? fold(`net-denied-${jobId}`, [w("net_denied", { n: net.denied.reduce((sum, d) => sum + d.count, 0) })], denied, "denied") : null,
    connections.length > 0 ? fold(`net-conn-${jobId}`, [w("net_connections", { n: net.connections.reduce((sum, c) => sum + c.count, 0) })], connections, "connections") : null,
    net.partial ? el("p", { class: "note" }, w("net_partial")) : null,
  );
}

/** The most processes listed per box (the rest are counted). */
const BOX_PROCS_SHOWN = 50;

function drawBoxes(s: State): void {
  panel("boxes", [s.boxes, s.panels.sandbox?.box ?? null], (target) => {
    if (s.boxes === null) {
      target.append(el("p", { class: "note" }, w("not_available")));
      return;
    }
    if (s.boxes.length === 0) {
      target.append(el("p", { class: "note", "data-empty": "" }, w(s.panels.sandbox?.box === false ? "boxes_off" : "boxes_none")));
      return;
    }
    for (const box of s.boxes) {
      const shown = box.processes.slice(0, BOX_PROCS_SHOWN);
      const cache = box.cache_home
        ? el(
            "dd",
            {},
            el("code", {}, box.cache_home),
            " ",
            el("span", { class: "muted", "data-cache-size": "" }, box.cache ? `${box.cache.capped ? "≥ " : ""}${bytes(box.cache.bytes)}` : w("box_cache_measuring")),
          )
        : el("dd", {}, w("box_cache_none"));
      target.append(
        el(
          "article",
          { class: "card box", "data-id": box.id },
          el(
            "div",
            { class: "row" },
            el("strong", {}, box.workspace_name ?? box.workspace),
            el("span", { class: "muted" }, box.id),
            el("span", { class: "spacer" }),
            button(w("box_reset"), `reset-${box.id}`, () => void act(`/api/boxes/${encodeURIComponent(box.id)}/reset`), "danger"),
          ),
          box.workspace_name ? el("div", { class: "path" }, box.workspace) : null,
          el(
            "dl",
            {},
            el("dt", {}, w("box_since")),
            el("dd", {}, when(box.started_at)),
            el("dt", {}, w("box_last_used")),
            el("dd", {}, when(box.last_used_at)),
            el("dt", {}, w("box_tmp")),
            el("dd", { "data-tmp": "" }, box.tmp_bytes === null ? "?" : bytes(box.tmp_bytes)),
            el("dt", {}, w("box_cache")),
            cache,
          ),
          el("p", { class: "muted" }, w("box_processes", { n: box.processes.length })),
          shown.length === 0
            ? el("p", { class: "note" }, w("box_no_processes"))
            : el(
                "table",
                { class: "procs" },
                el("thead", {}, el("tr", {}, el("th", { scope: "col" }, w("box_pid")), el("th", { scope: "col" }, w("box_job")), el("th", { scope: "col" }, w("box_command")))),
                el(
                  "tbody",
                  {},
                  ...shown.map((proc) => el("tr", { "data-pid": String(proc.pid) }, el("td", {}, String(proc.pid)), el("td", {}, proc.job ?? "-"), el("td", { class: "mono" }, proc.command))),
                ),
              ),
          box.processes.length > shown.length ? el("p", { class: "note" }, w("box_more", { n: box.processes.length - shown.length })) : null,
        ),
      );
    }
    target.append(el("p", { class: "note" }, w("box_reset_note")));
  });
}

function feedDetail(record: AuditRecord): string {
  if (record.command) return record.command;
  if (record.paths?.length) return record.paths.join(", ");
  return record.workspace ?? "";
}

/** How an outcome looks in the feed: ok green; stopped by the owner or a guard amber; failures red. */
const TONE: Record<Outcome, "ok" | "run" | "bad"> = { ok: "ok", failed: "bad", timed_out: "bad", error: "bad", killed: "run", refused: "run", denied: "run" };

/** The word and colour of a feed line. */
function outcomeWord(record: AuditRecord): [string, "ok" | "run" | "bad"] {
  // A command still running, or held for the owner, when the call answered: the call was ok, the command has
  // not ended (its end comes as a line of its own). Older lines say a held command with approval: "awaiting".
  const pending = record.detail?.job_status ?? (record.detail?.approval === "awaiting" ? "awaiting_approval" : undefined);
  if (typeof pending === "string") return [pending, "run"];
  return [record.outcome, TONE[record.outcome] ?? "bad"];
}

function feedItem(record: AuditRecord): HTMLLIElement {
  const [word, kind] = outcomeWord(record);
  return el(
    "li",
    { class: "entry", "data-outcome": record.outcome, "data-tone": kind },
    el("time", { datetime: record.time }, clock(record.time)),
    el(
      "span",
      { class: "outcome" },
      el("span", { class: `badge ${kind}` }, word),
      record.outcome === "failed" && record.exit_code !== undefined ? el("span", { class: "exit" }, w("exit_code", { n: record.exit_code })) : null,
      record.error_code && record.outcome !== "ok" ? el("span", { class: "muted code" }, record.error_code) : null,
    ),
    el("span", { class: "what" }, el("strong", { class: "action" }, record.action), el("span", { class: "face" }, record.face)),
    el("code", { class: "detail" }, feedDetail(record)),
    el("span", { class: "meta" }, seconds(record.duration_ms), record.client ? el("span", { class: "client" }, ` · ${record.client}`) : null),
  );
}

function drawFeed(): void {
  drawLast();
  const target = body("feed");
  target.replaceChildren(...(feed.length === 0 ? [el("li", { class: "note" }, w("feed_none"))] : feed.slice().reverse().map(feedItem)));
}

function addFeed(record: AuditRecord): void {
  feed.push(record);
  if (feed.length > FEED_MAX) feed.splice(0, feed.length - FEED_MAX);
  const target = body("feed");
  target.querySelector(".note")?.remove();
  target.prepend(feedItem(record));
  while (target.children.length > FEED_MAX) target.lastElementChild?.remove();
  drawLast();
  if (/write_file|apply_patch|exec_command|restore/.test(record.action)) void loadOptional();
}

function copyButton(value: string, key: string): HTMLButtonElement {
  const b = button(w("copy"), key, () => {
    void navigator.clipboard?.writeText(value).then(() => {
      b.textContent = w("copied");
      setTimeout(() => (b.textContent = w("copy")), 1500);
    });
  });
  return b;
}

function drawSetup(s: State): void {
  panel("setup", [s.public, token], (target) => {
    const p = s.public;
    const row = (label: Key, value: string, key: string, copy = true) =>
      el("div", { class: "field" }, el("span", { class: "label" }, w(label)), el("code", { "data-field": key }, value), copy ? copyButton(value, `copy-${key}`) : null);
    if (!p.public_base_url) target.append(el("p", { class: "notice-inline" }, w("no_public_url", { tunnel: p.tunnel_command, restart: p.restart_command })));
    target.append(row("schema_url", p.schema_url, "schema"), row("auth", p.auth, "auth", false));
    target.append(
      el(
        "div",
        { class: "field" },
        el("span", { class: "label" }, w("api_key")),
        el("code", { "data-field": "token" }, token ?? "••••••••••••"),
        button(w(token ? "hide_token" : "show_token"), "show-token", () => {
          if (token) {
            token = null;
            drawSetup(state!);
            return;
          }
          void act("/api/token/reveal").then((answer) => {
            if (answer?.token) {
              token = answer.token as string;
              drawSetup(state!);
            }
          });
        }),
        token ? copyButton(token, "copy-token") : null,
      ),
    );
    target.append(row("privacy_url", p.privacy_url, "privacy"), row("mcp_url", p.mcp_url, "mcp"));
  });
}

async function loadOptional(): Promise<void> {
  if (!state) return;
  if (state.panels.checkpoints) {
    try {
      const answer = await call("GET", "/api/checkpoints");
      drawCheckpoints(answer.checkpoints ?? []);
    } catch (error) {
      notice(w("error", { m: (error as Error).message }));
    }
  } else {
    panel("checkpoints", "none", (target) => target.append(el("p", { class: "note" }, w("not_available"))));
  }
  if (state.panels.grants) {
    try {
      const answer = await call("GET", "/api/grants");
      drawGrants(answer.grants ?? []);
    } catch (error) {
      notice(w("error", { m: (error as Error).message }));
    }
  } else {
    panel("grants", "none", (target) => target.append(el("p", { class: "note" }, w("not_available"))));
  }
}

interface Checkpoint {
  id: string;
  created_at: string;
  action: string;
  summary: string;
  files_changed: number | null;
}

/** A unified diff as lines coloured by kind (added, removed, hunk header, file header); text only. */
function diffLines(target: HTMLElement, diff: string): void {
  target.replaceChildren();
  if (diff === "") {
    target.append(w("no_changes"));
    return;
  }
  for (const line of diff.split("\n")) {
    const kind = /^(\+\+\+|---|diff |index )/.test(line) ? "file" : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
    target.append(kind ? el("span", { class: kind }, line) : `${line}\n`);
  }
}

function checkpointCard(cp: Checkpoint): HTMLElement {
  const diffBox = el("pre", { class: "diff", hidden: "" });
  return el(
    "article",
    { class: "card checkpoint", "data-id": cp.id },
    el("div", { class: "row" }, el("strong", {}, cp.action), el("span", { class: "muted" }, when(cp.created_at)), el("span", { class: "spacer" }), el("span", { class: "badge ok", "data-files": "" }, cp.files_changed === null ? w("files_unknown") : n("files", cp.files_changed))),
    el("p", { class: "summary" }, cp.summary),
    el(
      "div",
      { class: "row" },
      button(w("diff"), `diff-${cp.id}`, () => {
        void call("GET", `/api/checkpoints/${encodeURIComponent(cp.id)}/diff`)
          .then((answer) => {
            diffLines(diffBox, String(answer.diff ?? ""));
            diffBox.hidden = false;
          })
          .catch((error: Error) => notice(w("error", { m: error.message })));
      }),
      button(
        w("restore"),
        `restore-${cp.id}`,
        () => {
          if (confirm(w("restore_confirm"))) void act(`/api/checkpoints/${encodeURIComponent(cp.id)}/restore`).then(() => loadOptional());
        },
        "danger",
      ),
    ),
    diffBox,
  );
}

function drawCheckpoints(list: Checkpoint[]): void {
  panel("checkpoints", list, (target) => {
    if (list.length === 0) target.append(el("p", { class: "note" }, w("checkpoints_none")));
    // Checkpoints with nothing changed after them are folded together, a line each and no Restore (nothing to undo).
    let empty: Checkpoint[] = [];
    const flush = () => {
      if (empty.length === 0) return;
      const first = empty[0]!;
      const key = `cp-empty-${first.id}`;
      const details = el(
        "details",
        { class: "empty-cps", "data-empty-checkpoints": String(empty.length) },
        el("summary", { "data-key": key }, n("cp_empty", empty.length)),
        el("ul", {}, ...empty.map((cp) => el("li", { "data-id": cp.id }, `${clock(cp.created_at)} · ${cp.action} · ${cp.summary}`))),
        el("p", { class: "note" }, w("cp_empty_note")),
      );
      details.open = folds.get(key) ?? false;
      details.addEventListener("toggle", () => folds.set(key, details.open));
      target.append(details);
      empty = [];
    };
    for (const cp of list) {
      if (cp.files_changed === 0) {
        empty.push(cp);
        continue;
      }
      flush();
      target.append(checkpointCard(cp));
    }
    flush();
  });
}

interface Grant {
  id: string;
  client_name: string;
  scopes: string[];
  created_at: string;
  last_used_at?: string | null;
}

function drawGrants(list: Grant[]): void {
  panel("grants", list, (target) => {
    if (list.length === 0) target.append(el("p", { class: "note" }, w("grants_none")));
    for (const g of list) {
      target.append(
        el(
          "article",
          { class: "card grant", "data-id": g.id },
          el("div", { class: "row" }, el("strong", {}, g.client_name), el("span", { class: "spacer" }), button(w("revoke"), `revoke-grant-${g.id}`, () => void act(`/api/grants/${encodeURIComponent(g.id)}/revoke`).then(() => loadOptional()), "danger")),
          el("p", { class: "muted" }, `${w("scopes")}: ${g.scopes.join(" ")} · ${w("created")}: ${when(g.created_at)}${g.last_used_at ? ` · ${w("last_used")}: ${when(g.last_used_at)}` : ""}`),
        ),
      );
    }
  });
}

function render(next: State): void {
  const optionalChanged = !state || JSON.stringify(state.panels) !== JSON.stringify(next.panels);
  state = next;
  drawConfigProblem(next);
  drawAccess(next);
  drawWorkspaces(next);
  drawApprovals(next);
  drawRoute(next);
  drawSandbox(next);
  drawRunning(next);
  drawJobs(next);
  drawBoxes(next);
  drawSetup(next);
  if (optionalChanged) void loadOptional();
}

function applyLanguage(): void {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n]")) node.textContent = w(node.dataset.i18n as Key);
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n-label]")) node.setAttribute("aria-label", w(node.dataset.i18nLabel as Key));
  document.title = w("title");
  rendered.clear();
  if (state) render(state);
  void loadOptional();
  drawFeed();
}

function connect(): void {
  const conn = document.getElementById("conn")!;
  const events = new EventSource("/api/events");
  const setConn = (live: boolean) => {
    conn.dataset.i18n = live ? "live" : "offline";
    conn.textContent = w(live ? "live" : "offline");
    conn.className = `conn ${live ? "on" : "off"}`;
  };
  events.addEventListener("open", () => setConn(true));
  events.addEventListener("error", () => setConn(false));
  events.addEventListener("hello", (event) => {
    const hello = JSON.parse((event as MessageEvent<string>).data) as { feed: AuditRecord[] };
    feed.splice(0, feed.length, ...hello.feed);
    drawFeed();
  });
  events.addEventListener("state", (event) => render(JSON.parse((event as MessageEvent<string>).data) as State));
  events.addEventListener("audit", (event) => addFeed(JSON.parse((event as MessageEvent<string>).data) as AuditRecord));
}

document.getElementById("lang-toggle")!.addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("cgc-dashboard-lang", lang);
  applyLanguage();
});
document.getElementById("logout")!.addEventListener("click", () => {
  void act("/api/logout").then(() => location.reload());
});

if (lang !== meta("dashboard-lang")) applyLanguage();
else drawFeed();
connect();
