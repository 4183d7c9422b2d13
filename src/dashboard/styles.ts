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
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 24rem), 1fr)); gap: 1rem; padding: 1rem; max-width: 110rem; margin: 0 auto; align-items: start; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: .9rem 1rem; min-width: 0; }
section.wide { grid-column: 1 / -1; }
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
#feed ol { max-height: 28rem; overflow: auto; }
#feed .entry { display: grid; grid-template-columns: 5.5rem 5rem minmax(8rem, 12rem) 10rem 4.5rem 1fr auto; gap: .6rem; align-items: baseline; padding: .3rem 0; border-bottom: 1px solid var(--line); }
#feed .detail { overflow-wrap: anywhere; }
#feed .face { color: var(--muted); font-size: .85rem; }
@media (max-width: 44rem) {
  main { padding: .5rem; gap: .6rem; }
  #feed .entry { grid-template-columns: auto auto 1fr; }
  #feed .detail { grid-column: 1 / -1; }
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
body.login main { display: block; max-width: 40rem; }
`;
