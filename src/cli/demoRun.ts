/**
 * The run every demo shares (one match, rooms, a cluster): its status line and warnings, its
 * bots joining, their games raced against the deadline and Ctrl-C, the close (the servers,
 * then the bots), and the lines of the verdict they have in common.
 */
import type { ConnectOptions, DesyncEvent, ServerOptions } from '../node.js';
import type { DemoOptions } from './args.js';
import { Bot, conditionerFor, type BotOptions } from './bot.js';
import {
  RateMeter,
  StatusLine,
  formatProgress,
  formatSeconds,
  meanOf,
  plural,
  type CliIO,
  type Output,
} from './format.js';
import { mixSeed } from './simulation.js';
import { StopError, Stopper } from './stopper.js';

/** Extra knobs of a demo, for tests. */
export interface DemoRunOptions {
  /** Give up after this long. Default: three times the game's length plus some slack (15 s and more). */
  readonly timeoutMs?: number;
  /** Aborting ends the demo early (exit code 130), closing everything. */
  readonly signal?: AbortSignal;
  /** How often the progress line is refreshed, in ms. Default 250 (plain lines: at most 1/s). */
  readonly refreshMs?: number;
}

/** The mode the bots of a rooms (or cluster) demo ask join-or-create for. */
export const DEMO_MODE = 'demo';

/** Most warnings printed; the rest are only counted. */
const MAX_WARNINGS_SHOWN = 10;

/** How a bot of a demo joins: always to 127.0.0.1, through the link conditioner. */
export interface DemoBotJoin extends Pick<ConnectOptions, 'match' | 'transport'> {
  /** The server's TCP port. */
  readonly port: number;
  readonly username: string;
  /** Mixed with the demo's seed: the seed of the bot's link conditioner. */
  readonly linkSeed: number;
}

/** How {@link DemoRun.untilEnd} ends. */
export interface DemoEndOptions {
  /** The failure a timeout gives. Default: `timed out after 21.0 s` (how long it waited). */
  readonly timedOut?: string;
  /** Whether the progress line is drawn once more when the demo is stopped first. Default true. */
  readonly drawWhenStopped?: boolean;
}

/** The link of a demo's first line: `0-20 ms jitter`, or `30-50 ms delay` with `--delay`. */
export function linkText(options: DemoOptions): string {
  return options.delayMs > 0
    ? `${options.delayMs}-${options.delayMs + options.jitterMs} ms delay`
    : `0-${options.jitterMs} ms jitter`;
}

/**
 * One run of a demo, from its first line to its verdict. Make it first (it starts the clock
 * and listens to the signal), join the bots with {@link joinBot}, {@link start} them and wait
 * with {@link untilEnd} in a `try`, note a throw with {@link fail}, {@link close} in the
 * `finally`, then {@link end} and {@link verdict}.
 */
export class DemoRun {
  /** The demo's output. */
  readonly out: Output;
  /** The live progress line, and the lines logged above it. */
  readonly status: StatusLine;
  /** Stops the demo early: Ctrl-C (the run's signal), the deadline, or what the demo fires. */
  readonly stopper: Stopper;
  /** Every bot, in the order they joined. */
  readonly bots: Bot[] = [];
  /** Why the demo failed, if it did (the first reason noted counts). */
  failure: string | undefined;
  /** Whether Ctrl-C (the signal) stopped it. */
  interrupted = false;

  private readonly started = performance.now();
  private warningCount = 0;
  private timedOut = 'timed out';
  private progressTimer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private draw: (() => void) | undefined;

  constructor(
    private readonly options: DemoOptions,
    io: CliIO,
    private readonly run: DemoRunOptions,
  ) {
    this.out = io.stdout;
    this.status = new StatusLine(this.out);
    this.stopper = new Stopper(run.signal);
  }

  /** How many warnings there were (the first 10 printed). */
  get warnings(): number {
    return this.warningCount;
  }

  /**
   * Counts a warning and prints it if it is one of the first 10; the 10th is followed by a
   * line saying the rest are only counted, unless `sayLimit` is false.
   */
  warn(line: string, sayLimit = true): void {
    this.warningCount++;
    if (this.warningCount <= MAX_WARNINGS_SHOWN) this.status.log(line);
    if (sayLimit && this.warningCount === MAX_WARNINGS_SHOWN)
      this.status.log('(further warnings are only counted)');
  }

  /**
   * The options of the demo's server: on 127.0.0.1 (any port), the game's tick rate, 2-byte
   * inputs, `--players` seats, and the server's end of the link conditioner.
   */
  serverOptions(): ServerOptions {
    const { tickRate, players } = this.options;
    return {
      host: '127.0.0.1',
      port: 0,
      tickRate,
      inputSize: 2,
      maxPlayers: players,
      conditioner: conditionerFor(this.options, mixSeed(this.options.seed, 0)),
    };
  }

  /**
   * Joins a bot (added to {@link bots}); its warnings are the demo's (`sayLimit` as in
   * {@link warn}).
   */
  async joinBot(join: DemoBotJoin, game: BotOptions, sayLimit = true): Promise<Bot> {
    const { port, username, linkSeed, ...connect } = join;
    const bot = await Bot.join(
      {
        host: '127.0.0.1',
        port,
        username,
        conditioner: conditionerFor(this.options, mixSeed(this.options.seed, linkSeed)),
        inputDelay: this.options.inputDelay,
        ...connect,
      },
      game,
    );
    this.bots.push(bot);
    bot.warnings$.subscribe((w) =>
      this.warn(`warning (${bot.client.username}) ${w.code}: ${w.message}`, sayLimit),
    );
    return bot;
  }

  /**
   * Bot `p` of room `r` (both from 0) of a rooms demo, joining through `port`: `bot-<r+1>-<p+1>`
   * asks join-or-create for mode `demo` and a room of `--players`; each room plays a game of
   * its own seed.
   */
  joinRoomBot(port: number, r: number, p: number): Promise<Bot> {
    const { players, ticks, seed } = this.options;
    return this.joinBot(
      {
        port,
        username: `bot-${r + 1}-${p + 1}`,
        match: { mode: DEMO_MODE, size: players },
        linkSeed: 1 + r * players + p,
      },
      { ticks, minPlayers: players, seed: mixSeed(seed, 1 + r) },
    );
  }

  /**
   * Starts every bot, and the progress line: the slowest bot's tick, and the frames per second
   * of `frames()` (a running count).
   */
  start(frames: () => number): void {
    const fps = new RateMeter();
    const endTick = this.options.ticks - 1;
    const draw = (): void => {
      const stats = this.bots.map((b) => b.client.getStats());
      this.status.update(
        formatProgress({
          tick: Math.min(...this.bots.map((b) => (b.finished ? endTick : b.client.lastFrameTick))),
          endTick,
          fps: fps.sample(frames()),
          rttMs: meanOf(stats.map((s) => s.rttMs)),
          lossIn: meanOf(stats.map((s) => s.lossIn)),
          lossOut: meanOf(stats.map((s) => s.lossOut)),
          bytesPerSec: stats.reduce((sum, s) => sum + s.bytesInPerSec + s.bytesOutPerSec, 0),
        }),
      );
    };
    this.draw = draw;
    this.progressTimer = setInterval(draw, this.run.refreshMs ?? 250);
    for (const bot of this.bots) bot.start();
  }

  /**
   * Waits until every bot's game has ended, then draws the progress line once more. Rejects
   * with a {@link StopError} if the demo is stopped first: by the signal, by the stopper, or
   * by the deadline, three times the game's length plus `slackMs` from now (or the run's
   * `timeoutMs`).
   */
  async untilEnd(slackMs: number, end: DemoEndOptions = {}): Promise<void> {
    const { ticks, tickRate } = this.options;
    const timeoutMs = this.run.timeoutMs ?? (ticks / tickRate) * 3000 + slackMs;
    this.timedOut = end.timedOut ?? `timed out after ${formatSeconds(timeoutMs)}`;
    this.deadline = setTimeout(() => this.stopper.fire('timeout'), timeoutMs);
    try {
      await this.stopper.race(Promise.all(this.bots.map((b) => b.result)));
    } catch (err) {
      if (err instanceof StopError && (end.drawWhenStopped ?? true)) this.draw?.();
      throw err;
    }
    this.draw?.();
  }

  /** Notes what stopped the demo: Ctrl-C, the deadline, or an error (unless a failure is noted already). */
  fail(err: unknown): void {
    if (err instanceof StopError) {
      if (err.why === 'abort') {
        this.interrupted = true;
        this.failure = 'interrupted';
      } else if (err.why === 'timeout') this.failure ??= this.timedOut;
    } else this.failure ??= err instanceof Error ? err.message : String(err);
  }

  /**
   * Stops the progress line, the deadline and the signal's listener; then `closeServers`
   * first (a server says goodbye to every bot: bots leaving first would leave their last
   * datagrams, still delayed in the server's link conditioner, to arrive after their leave,
   * each reported as a warning from an unknown sender), then every bot.
   */
  async close(closeServers: () => Promise<unknown>): Promise<void> {
    clearInterval(this.progressTimer);
    clearTimeout(this.deadline);
    this.stopper.dispose();
    this.status.clear();
    await closeServers();
    await Promise.all(this.bots.map((b) => b.close()));
  }

  /**
   * Once all is closed: a bot disconnected is the failure (if none is noted yet), and the
   * line of how it ran: `stopped after 3.2 s` on a failure, else `ran(took)` and `in all`.
   * Returns how long the demo took, in ms.
   */
  end(ran: (took: string) => string): number {
    const elapsedMs = performance.now() - this.started;
    for (const b of this.bots) {
      const o = b.finished;
      if (o?.kind === 'disconnected' && !this.failure)
        this.failure = `${b.client.username} was disconnected: ${o.event.reason}: ${o.event.message}`;
    }
    const took = formatSeconds(elapsedMs);
    this.out.write(this.failure ? `\nstopped after ${took}\n\n` : `\n${ran(took)}\n\n`);
    return elapsedMs;
  }

  /**
   * Writes the verdict and gives the exit code. `FAILED: <failure>` (130 if interrupted, else
   * 1), or else `FAILED: <problem>` for the first of `problems` (1); then the `desync` line if
   * there is one (1); and if all is well, the `ok` line with the count of warnings (0).
   */
  verdict(
    problems: readonly (string | undefined)[],
    desync: string | undefined,
    ok: string,
  ): number {
    let exitCode = 0;
    const problem = problems.find((p) => p !== undefined);
    if (this.failure) {
      this.out.write(`FAILED: ${this.failure}\n`);
      exitCode = this.interrupted ? 130 : 1;
    } else if (problem !== undefined) {
      this.out.write(`FAILED: ${problem}\n`);
      exitCode = 1;
    }
    if (desync !== undefined) {
      this.out.write(`${desync}\n`);
      if (exitCode === 0) exitCode = 1;
    }
    if (exitCode === 0)
      this.out.write(`${ok}${this.warnings > 0 ? ` (${this.warnings} warnings)` : ''}\n`);
    return exitCode;
  }
}

/** A room of a rooms demo as its verdict sees it. */
export interface RoomVerdict {
  readonly roomId: string;
  readonly desync: DesyncEvent | undefined;
  readonly agree: boolean;
}

/** The problem if fewer (or more) rooms were made than wanted. */
export function roomCountProblem(made: number, wanted: number): string | undefined {
  return made === wanted ? undefined : `${plural(made, 'room')} made, ${wanted} wanted`;
}

/** The problem if some rooms' checksums differ. */
export function disagreeProblem(rooms: readonly RoomVerdict[]): string | undefined {
  const disagree = rooms.filter((r) => !r.agree);
  return disagree.length === 0
    ? undefined
    : `the checksums differ in ${plural(disagree.length, 'room')}: ` +
        disagree.map((r) => r.roomId).join(', ');
}

/** `DESYNC reported in r-1 at tick 40, ...` if a room had a desync. */
export function roomsDesyncLine(rooms: readonly RoomVerdict[]): string | undefined {
  const desynced = rooms.filter((r) => r.desync);
  return desynced.length === 0
    ? undefined
    : `DESYNC reported in ${desynced.map((r) => `${r.roomId} at tick ${r.desync!.tick}`).join(', ')}`;
}
