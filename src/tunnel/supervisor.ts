import type { ChildProcess } from "node:child_process";
import { Backoff } from "./backoff.js";
import { spawnTunnelChild, stopChild, type SpawnSpec } from "./child.js";
import { LineTail, readLines } from "./lines.js";
import { TunnelError, type TunnelLog } from "./types.js";

/** How one run of the child is started and how its URL is recognised. */
export interface AttemptPlan {
  spec: SpawnSpec;
  /** The public URL if this output line announces it. */
  urlFromLine(line: string): string | undefined;
  /** Asked about once a second while no line has given the URL (a second, wording-free source). */
  urlFromPoll?(): Promise<string | undefined>;
  /** After the URL is known: whether the route is connected (reported, never fatal). */
  readyPoll?(): Promise<boolean>;
}

export interface SupervisorOptions {
  /** The program's name in messages: "cloudflared". */
  name: string;
  /** Built for every run: a restart may need new ports. */
  plan(): Promise<AttemptPlan>;
  urlTimeoutMs: number;
  /** What to tell the user when the first run fails (appended to the error). */
  hint: string;
  /** Called for every new URL, first run included; awaited before start() resolves. */
  onUrl(url: string): void | Promise<void>;
  log: TunnelLog;
  backoff?: Backoff;
  /** A run that lasted this long counts as healthy: the backoff starts over. */
  stableAfterMs?: number;
  pollIntervalMs?: number;
  readyTimeoutMs?: number;
}

const ERROR_LINE = /\b(ERR|FTL)\b/;

/**
 * Keeps a tunnel child running: starts it, reads its output line by line for
 * the public URL, and restarts it with backoff and jitter whenever it exits.
 * The first run is strict (its failure is the caller's error, with the last
 * lines of output); later runs retry until stop(), because a laptop that loses
 * its network should get its route back on its own.
 */
export class TunnelSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private first: { resolve(url: string): void; reject(error: Error): void } | undefined;
  private readonly backoff: Backoff;
  private readonly cleanups = new Set<() => void>();

  constructor(private readonly options: SupervisorOptions) {
    this.backoff = options.backoff ?? new Backoff();
  }

  /** Start the first run; resolves with its URL once onUrl has handled it. */
  start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.first = { resolve, reject };
      void this.run();
    });
  }

  pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    for (const cleanup of this.cleanups) cleanup();
    this.cleanups.clear();
    const child = this.child;
    if (child) await stopChild(child);
    this.failFirst(new TunnelError(`${this.options.name} was stopped before it gave a URL`));
  }

  private failFirst(error: Error): void {
    const first = this.first;
    this.first = undefined;
    first?.reject(error);
  }

  private async run(): Promise<void> {
    if (this.stopping) return;
    const { name, log } = this.options;
    let plan: AttemptPlan;
    try {
      plan = await this.options.plan();
    } catch (error) {
      this.ended(`could not be prepared: ${(error as Error).message}`, Date.now(), new LineTail(), false);
      return;
    }
    if (this.stopping) return;
    const child = spawnTunnelChild(plan.spec);
    this.child = child;
    const startedAt = Date.now();
    const tail = new LineTail();
    let url: string | undefined;
    let failure: string | undefined;
    let done = false;

    const timers: NodeJS.Timeout[] = [];
    const cleanup = () => timers.forEach((timer) => clearTimeout(timer));
    this.cleanups.add(cleanup);

    const found = (candidate: string) => {
      if (url !== undefined || done) return;
      url = candidate;
      cleanup();
      void this.announce(candidate, plan);
    };
    const onLine = (line: string) => {
      tail.push(line);
      if (ERROR_LINE.test(line)) log.warn(`${name}: ${line}`);
      const candidate = plan.urlFromLine(line);
      if (candidate) found(candidate);
    };
    if (child.stdout) readLines(child.stdout, onLine);
    if (child.stderr) readLines(child.stderr, onLine);

    const finish = (reason: string) => {
      if (done) return;
      done = true;
      cleanup();
      this.cleanups.delete(cleanup);
      if (this.child === child) this.child = undefined;
      this.ended(failure ?? reason, startedAt, tail, url !== undefined);
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      finish(error.code === "ENOENT" ? "could not be started: file not found" : error.code === "EACCES" ? "could not be started: not executable (chmod +x it)" : `could not be started: ${error.message}`);
    });
    child.once("exit", (code, signal) => {
      finish(code === 11 ? "exited with code 11 (it updated itself)" : signal ? `was stopped by ${signal}` : `exited with code ${code}`);
    });
    if (child.pid !== undefined) log.info(`started ${name} (pid ${child.pid})`);

    if (plan.urlFromPoll) {
      const poll = plan.urlFromPoll.bind(plan);
      const every = this.options.pollIntervalMs ?? 1_000;
      const tick = () => {
        timers.push(
          setTimeout(() => {
            void poll().then((candidate) => {
              if (candidate) found(candidate);
              else if (url === undefined && !done) tick();
            });
          }, every),
        );
      };
      tick();
    }
    timers.push(
      setTimeout(() => {
        if (url !== undefined || done) return;
        failure = `printed no tunnel URL within ${Math.round(this.options.urlTimeoutMs / 1000)} s`;
        void stopChild(child);
      }, this.options.urlTimeoutMs),
    );
  }

  /** A run ended: fail the first start, or schedule the next run. */
  private ended(reason: string, startedAt: number, tail: LineTail, hadUrl: boolean): void {
    if (this.stopping) return;
    const { name, log } = this.options;
    if (this.first && !hadUrl) {
      this.stopping = true;
      const lines = tail.text();
      this.failFirst(
        new TunnelError(`${name} ${reason}.${lines ? `\nLast output:\n${lines}` : ""}\n${this.options.hint}`),
      );
      return;
    }
    if (Date.now() - startedAt >= (this.options.stableAfterMs ?? 60_000)) this.backoff.reset();
    const delay = this.backoff.next();
    log.warn(`${name} ${reason}; restarting in ${(delay / 1000).toFixed(1)} s (attempt ${this.backoff.attempts})`);
    this.restartTimer = setTimeout(() => void this.run(), delay);
  }

  private async announce(url: string, plan: AttemptPlan): Promise<void> {
    try {
      await this.options.onUrl(url);
    } catch (error) {
      this.options.log.warn(`could not store the new URL ${url}: ${(error as Error).message}`);
    }
    const first = this.first;
    this.first = undefined;
    first?.resolve(url);
    if (plan.readyPoll) void this.waitReady(plan.readyPoll.bind(plan));
  }

  private async waitReady(ready: () => Promise<boolean>): Promise<void> {
    const child = this.child;
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 20_000);
    while (!this.stopping && this.child === child && Date.now() < deadline) {
      if (await ready()) {
        this.options.log.info(`${this.options.name} is connected`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 500).unref());
    }
    if (!this.stopping && this.child === child) {
      this.options.log.warn(`${this.options.name} has a URL but no connection yet; it may need a moment (or check your network)`);
    }
  }
}
