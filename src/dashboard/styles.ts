/** The dashboard's style sheet, served as /assets/app.css (a module, so the build carries it; no inline styles). */
export const STYLES = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #fff; --text: #1b1f24; --muted: #5d6670; --line: #d9dde3;
  --accent: #0b5fff; --ok: #137333; --ok-bg: #e6f4ea; --bad: #b3261e; --bad-bg: #fce8e6; --run: #8a5a00; --run-bg: #fff4d6;
  --code: #f0f2f5; --focus: #ff9f1a;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #111418; --panel: #1a1e24; --text: #e7eaee; --muted: #9aa4ae; --line: #2d333b;
    --accent: #6ea2ff; --ok: #7fd48f; --ok-bg: #16301d; --bad: #ff8a80; --bad-bg: #3a1714; --run: #ffd479; --run-bg: #3a2f12; --code: #22272e; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; }
header { display: flex; align-items: center; gap: .6rem; flex-wrap: wrap; padding: .7rem 1rem; background: var(--panel); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
h1 { font-size: 1.1rem; margin: 0; }
h2 { font-size: 1rem; margin: 0 0 .6rem; }
main { display: grid; grid-template-columns: minmax(0, 1.75fr) minmax(0, 1fr); gap: .9rem; padding: .9rem 1rem 1.5rem; max-width: 110rem; margin: 0 auto; align-items: start; }
.col { display: flex; flex-direction: column; gap: .9rem; min-width: 0; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: .8rem .95rem; min-width: 0; }
.statusbar { display: grid; grid-template-columns: minmax(0, 1.45fr) minmax(0, 1.2fr) minmax(0, 1.1fr) minmax(0, 1.35fr) minmax(0, 1.1fr); gap: .6rem; padding: .8rem 1rem 0; max-width: 110rem; margin: 0 auto; }
.stat { padding: .55rem .7rem; display: flex; flex-direction: column; gap: .3rem; border-top: 3px solid var(--line); }
.stat h2 { font-size: .72rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0; }
.stat .body { display: flex; flex-direction: column; gap: .3rem; font-size: .9rem; min-width: 0; }
.stat .line { display: flex; align-items: center; gap: .4rem; flex-wrap: wrap; min-width: 0; }
.stat .clip { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; min-width: 0; max-width: 100%; display: block; }
.stat.tone-ok { border-top-color: var(--ok); }
.stat.tone-bad { border-top-color: var(--bad); }
.stat.tone-run { border-top-color: var(--run); }
.stat button, .stat select { min-height: 1.9rem; padding: .15rem .6rem; }
.stat code { background: var(--code); padding: .05rem .3rem; border-radius: 4px; font-size: 12px; }
.login-card h1 { font-size: 1.3rem; margin-bottom: .6rem; }
.spacer { flex: 1; }
.row { display: flex; align-items: center; gap: .5rem; flex-wrap: wrap; }
.note, .muted { color: var(--muted); }
.note { font-size: .9rem; margin: .4rem 0 0; }
.path { color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
button, select { font: inherit; border: 1px solid var(--line); background: var(--code); color: var(--text); border-radius: 6px; padding: .3rem .75rem; cursor: pointer; min-height: 2.1rem; }
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); border-color: var(--bad); background: var(--bad-bg); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.badge { display: inline-block; font-size: .8rem; padding: .05rem .5rem; border-radius: 999px; font-weight: 600; }
.badge.ok { color: var(--ok); background: var(--ok-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.run { color: var(--run); background: var(--run-bg); }
.conn { font-size: .8rem; padding: .1rem .5rem; border-radius: 999px; }
.conn.on { color: var(--ok); background: var(--ok-bg); }
.conn.off { color: var(--run); background: var(--run-bg); }
.notice { margin: .8rem 1rem 0; padding: .6rem .8rem; border-radius: 8px; background: var(--bad-bg); color: var(--bad); }
.banner { margin: .8rem 1rem 0; padding: .7rem .9rem; border-radius: 8px; border: 1px solid; overflow-wrap: anywhere; }
.banner.warn { background: var(--run-bg); color: var(--run); border-color: var(--run); }
.banner.bad { background: var(--bad-bg); color: var(--bad); border-color: var(--bad); }
.notice-inline { padding: .4rem .6rem; border-radius: 6px; background: var(--run-bg); color: var(--run); font-size: .9rem; }
ul.body, ol.body { list-style: none; margin: 0; padding: 0; }
ul.body li { padding: .4rem 0; border-bottom: 1px solid var(--line); }
ul.body li:last-child { border-bottom: 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .7rem; margin: .5rem 0; }
.card.approval { border-color: var(--run); }
pre, code { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
pre { background: var(--code); padding: .5rem .6rem; border-radius: 6px; margin: .4rem 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16rem; overflow: auto; }
pre.command { font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem .8rem; margin: .4rem 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
.field { display: flex; align-items: center; gap: .5rem; flex-wrap: wrap; padding: .35rem 0; border-bottom: 1px solid var(--line); }
.field .label { flex-basis: 100%; color: var(--muted); font-size: .9rem; }
.field code { flex: 1; min-width: 0; overflow-wrap: anywhere; background: var(--code); padding: .2rem .4rem; border-radius: 4px; }
#feed ol { max-height: min(34rem, 62vh); overflow: auto; }
#feed .entry { display: grid; grid-template-columns: 4.6rem 7.2rem minmax(7rem, 11rem) minmax(0, 1fr) auto; gap: .5rem; align-items: baseline; padding: .22rem .3rem; border-bottom: 1px solid var(--line); font-size: .88rem; border-left: 3px solid transparent; }
#feed .entry[data-tone="bad"] { border-left-color: var(--bad); background: linear-gradient(90deg, var(--bad-bg), transparent 40%); }
#feed .entry[data-tone="run"] { border-left-color: var(--run); }
#feed .entry time { color: var(--muted); font-variant-numeric: tabular-nums; }
#feed .outcome { display: flex; gap: .3rem; align-items: baseline; flex-wrap: wrap; }
#feed .exit { font-size: .8rem; color: var(--bad); font-weight: 600; }
#feed .what { min-width: 0; overflow-wrap: anywhere; }
#feed .detail { overflow-wrap: anywhere; font-size: 12.5px; }
#feed .meta { color: var(--muted); font-size: .8rem; text-align: right; white-space: nowrap; }
#feed .face { color: var(--muted); font-size: .78rem; margin-left: .3rem; }
pre.tail { max-height: 14rem; }
pre.tail.folded { max-height: none; }
.tail-tools { margin: -.1rem 0 .2rem; }
button.link { border: 0; background: none; color: var(--accent); padding: 0 .2rem; min-height: 0; text-decoration: underline; }
pre.diff .add { color: var(--ok); background: var(--ok-bg); display: block; }
pre.diff .del { color: var(--bad); background: var(--bad-bg); display: block; }
pre.diff .hunk { color: var(--muted); display: block; }
pre.diff .file { font-weight: 700; display: block; }
details.empty-cps { margin: .5rem 0; color: var(--muted); }
details.empty-cps summary { cursor: pointer; }
details.empty-cps ul { list-style: none; margin: .3rem 0; padding: 0 0 0 .8rem; font-size: .88rem; }
.card.checkpoint .summary { margin: .2rem 0; overflow-wrap: anywhere; }
@media (max-width: 62rem) {
  main { grid-template-columns: minmax(0, 1fr); }
  .statusbar { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  .statusbar #access { grid-column: 1 / -1; }
}
@media (max-width: 44rem) {
  main { padding: .5rem; gap: .6rem; }
  .col { gap: .6rem; }
  .statusbar { padding: .5rem .5rem 0; gap: .4rem; }
  #feed .entry { grid-template-columns: auto auto minmax(0, 1fr); }
  #feed .detail { grid-column: 1 / -1; }
  #feed .meta { display: none; }
}
.mono, table.procs td.mono { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
ul.plain { list-style: none; margin: .2rem 0; padding: 0; }
ul.plain li { padding: .1rem 0; overflow-wrap: anywhere; }
table.procs { width: 100%; border-collapse: collapse; font-size: .85rem; margin: .3rem 0; }
table.procs th { text-align: left; color: var(--muted); font-weight: 600; }
table.procs th, table.procs td { padding: .15rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
.background, .network { margin-top: .3rem; }
.background p, .network p { margin: .2rem 0; }
details.net { margin: .15rem 0; }
details.net summary { cursor: pointer; }
details.net.denied summary, details.net li.denied .host { color: var(--bad); font-weight: 600; }
details.net li.denied .reason { color: var(--run); }
body.login main { display: block; max-width: 36rem; padding-top: 12vh; }
body.login .login-card { padding: 1.4rem 1.5rem; border-top: 3px solid var(--accent); }
body.login pre.command { font-size: 15px; padding: .7rem .8rem; }
`;
