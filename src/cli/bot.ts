/**
 * A bot: a client that plays the simulation of `simulation.ts`. It sends one input per tick
 * from its scripted controller, paced by the clock but never too far ahead of its confirmed
 * frames, steps its world on every confirmed frame, reports the world's checksum for every
 * tick (the server compares them: desync detection), and finishes once it has the frame of
 * the game's last tick.
 *
 * The game (a round of the simulation) starts at a frame with a join once at least
 * `minPlayers` players are in it, and lasts `ticks` ticks; a later join restarts it. So every
 * bot in a match agrees on the last tick, and their final checksums are equal.
 */
import { filter, type Observable, type Subscription } from 'rxjs';
import {
  connect,
  type ConnectOptions,
  type DesyncEvent,
  type DisconnectedEvent,
  type GameClient,
  type LinkConditionerOptions,
  type NetworkStats,
  type WarningEvent,
} from '../node.js';
import type { LinkFlags } from './args.js';
import type { PlayerRow } from './format.js';
import { Controller, Simulation, fnv1a, mixSeed } from './simulation.js';

/** Options of a {@link Bot}. */
export interface BotOptions {
  /** Length of the game in ticks, from the frame that starts it. */
  readonly ticks: number;
  /** The game starts at a join that brings the match to at least this many players. */
  readonly minPlayers: number;
  /** Seed of the controller (mixed with the player's slot, so every bot plays differently). */
  readonly seed: number;
  /**
   * Most ticks of input sent ahead of the last confirmed frame; beyond it the bot waits for
   * the network (the game slows down instead of running away). Default: a quarter second of
   * ticks, at least 8.
   */
  readonly lead?: number;
  /** Breaks the simulation at this tick of the game (0 = its first tick): a desync, on purpose. */
  readonly corruptAt?: number;
}

/** How a bot's game ended. */
export type BotOutcome =
  | { readonly kind: 'finished'; readonly tick: number; readonly checksum: number }
  | { readonly kind: 'disconnected'; readonly event: DisconnectedEvent };

/** World states kept for desync snapshots. */
const HISTORY = 128;

/** The link conditioner for one end, from the command-line flags and a seed of its own. */
export function conditionerFor(
  link: Omit<LinkFlags, 'seed'>,
  seed: number,
): LinkConditionerOptions | undefined {
  if (link.loss === 0 && link.jitterMs === 0 && link.delayMs === 0) return undefined;
  const delayed = link.jitterMs > 0 || link.delayMs > 0;
  return {
    loss: link.loss,
    duplicate: Math.min(1, link.loss / 5),
    reorder: delayed ? Math.min(1, link.loss / 2) : 0,
    delayMs: link.delayMs,
    jitterMs: link.jitterMs,
    seed,
  };
}

/** A client playing the demo's game. Make one with {@link Bot.join}. */
export class Bot {
  readonly sim: Simulation;
  readonly controller: Controller;
  /** Frames received (and simulated) so far. */
  framesConfirmed = 0;
  /** The last tick of the game, once it has started. */
  endTick: number | undefined;
  /** The first desync the server reported, if any. */
  desync: DesyncEvent | undefined;
  /** Resolves when the bot has the frame of the game's last tick, or its session ended first. */
  readonly result: Promise<BotOutcome>;

  private outcome: BotOutcome | undefined;
  private resolveResult!: (outcome: BotOutcome) => void;
  /** The game loop on the client's `ticks$`, while started. */
  private loop: Subscription | undefined;
  private corrupted = false;
  /** The tick of the frame naming this bot's own join: it has no checksum to report before it. */
  private joinedAt: number | undefined;
  private readonly lead: number;
  private readonly history = new Map<number, Uint8Array>();
  private lossInSum = 0;
  private lossOutSum = 0;
  private lossOutCount = 0;
  private statsCount = 0;
  private finalStats: NetworkStats | undefined;

  /**
   * Connects to a server as a bot. The snapshot a desync asks for is the bot's world at the
   * desync tick (kept for the last 128 ticks).
   */
  static async join(connectOptions: ConnectOptions, options: BotOptions): Promise<Bot> {
    const holder: { bot?: Bot } = {};
    const client = await connect({
      ...connectOptions,
      snapshot: (tick) => holder.bot?.snapshot(tick),
    });
    holder.bot = new Bot(client, options);
    return holder.bot;
  }

  constructor(
    readonly client: GameClient,
    options: BotOptions,
  ) {
    this.sim = new Simulation(client.maxPlayers);
    this.controller = new Controller(mixSeed(options.seed, client.playerId), client.inputSize);
    this.lead = options.lead ?? Math.max(8, Math.ceil(client.tickRate / 4));
    this.result = new Promise((resolve) => (this.resolveResult = resolve));

    client.frames$.subscribe((frame) => {
      if (this.outcome) return;
      this.sim.step(frame);
      this.framesConfirmed++;
      if (frame.joined && frame.joined.length > 0)
        this.endTick =
          this.sim.roundPlayers >= options.minPlayers ? frame.tick + options.ticks - 1 : undefined;
      if (
        options.corruptAt !== undefined &&
        !this.corrupted &&
        this.endTick !== undefined &&
        frame.tick >= this.sim.roundStart + options.corruptAt
      ) {
        this.corrupted = true;
        this.sim.corrupt();
      }
      const state = this.sim.encode();
      const checksum = fnv1a(state);
      this.history.set(frame.tick, state);
      this.history.delete(frame.tick - HISTORY);
      // A late joiner gets the match's frames from its first tick: the server compares only
      // the checksums of the ticks from a player's join on.
      if (frame.joined?.some((p) => p.playerId === client.playerId)) this.joinedAt ??= frame.tick;
      if (this.joinedAt !== undefined) client.reportChecksum(frame.tick, checksum);
      if (this.endTick !== undefined && frame.tick >= this.endTick)
        this.finish({ kind: 'finished', tick: frame.tick, checksum });
    });
    client.events$
      .pipe(filter((e): e is DesyncEvent => e.type === 'desync'))
      .subscribe((e) => (this.desync ??= e));
    let first = true;
    client.stats$.subscribe((st) => {
      // The first interval is mostly the join, before the server has measured anything.
      if (first) {
        first = false;
        return;
      }
      this.statsCount++;
      this.lossInSum += st.lossIn;
      if (st.lossOut !== null) {
        this.lossOutSum += st.lossOut;
        this.lossOutCount++;
      }
    });
    void client.closed.then((event) => this.finish({ kind: 'disconnected', event }));
  }

  /** Warnings this bot's client reports. */
  get warnings$(): Observable<WarningEvent> {
    return this.client.events$.pipe(filter((e): e is WarningEvent => e.type === 'warning'));
  }

  /** How the game ended, once it has. */
  get finished(): BotOutcome | undefined {
    return this.outcome;
  }

  /** Starts sending inputs: one per tick of `client.ticks$`, at most `lead` ticks ahead of the frames. */
  start(): void {
    if (this.loop || this.outcome) return;
    this.loop = this.client.ticks$.subscribe(() => this.pump());
  }

  /** Stops sending inputs. */
  stop(): void {
    this.loop?.unsubscribe();
    this.loop = undefined;
  }

  /** Leaves the match and closes the client's sockets. */
  async close(): Promise<void> {
    this.stop();
    this.finalStats ??= this.client.getStats();
    await this.client.close();
  }

  /** The bot's world as bytes at a recent tick, for a desync snapshot. */
  snapshot(tick: number): Uint8Array | undefined {
    return this.history.get(tick);
  }

  /** This bot's line of the final table. */
  row(): PlayerRow {
    const st = this.finalStats ?? this.client.getStats();
    const outcome = this.outcome;
    return {
      name: this.client.username,
      playerId: this.client.playerId,
      inputsSent: this.client.inputsSent,
      framesConfirmed: this.framesConfirmed,
      bytesSent: st.bytesOut,
      bytesReceived: st.bytesIn,
      rttMs: st.rttMs,
      lossIn: this.statsCount > 0 ? this.lossInSum / this.statsCount : st.lossIn,
      lossOut: this.lossOutCount > 0 ? this.lossOutSum / this.lossOutCount : st.lossOut,
      checksum: outcome?.kind === 'finished' ? outcome.checksum : undefined,
      finalTick: outcome?.kind === 'finished' ? outcome.tick : undefined,
    };
  }

  private finish(outcome: BotOutcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.stop();
    this.finalStats = this.client.getStats();
    this.resolveResult(outcome);
  }

  /** One tick of the clock: sends an input, unless past the end or `lead` ahead of the frames. */
  private pump(): void {
    if (this.outcome) return;
    const c = this.client;
    const inputTick = c.currentTick + c.inputDelay;
    if (this.endTick !== undefined && inputTick > this.endTick) return;
    if (inputTick - c.lastFrameTick > this.lead) return;
    c.sendInput(this.controller.next());
  }
}
