// The client's network statistics: link counters sampled on a timer, turned into rates.
import { Subject, type Subscription } from 'rxjs';
import type { Link } from '../link/Link.js';
import { networkStats } from '../operators/networkStats.js';
import type { LinkSample, NetworkStats } from '../stats.js';
import type { DatagramPath } from '../transport/Transport.js';
import type { TickInput } from './ClientInputs.js';

/** What the statistics of a client are taken from. @internal */
export interface ClientStatsOptions {
  /** How often a sample is taken. */
  readonly intervalMs: number;
  /** The current link (a reconnect makes a new one). */
  readonly link: () => Link<TickInput>;
  /** Frames received and not delivered yet. */
  readonly framesBehind: () => number;
  /** The path datagrams take now, if known. */
  readonly path: () => DatagramPath | undefined;
  /** A new value, just before it goes out on `stats$` (`now()` includes it). */
  readonly sampled: (stats: ClientStats) => void;
}

/** Network statistics of one client session. @internal */
export class ClientStats {
  /** Each value, about once every `intervalMs`. */
  readonly stats = new Subject<NetworkStats>();
  /** The sampling pipeline: ends with the session. */
  readonly sampling: Subscription;
  private readonly samples = new Subject<LinkSample>();
  private readonly timer: ReturnType<typeof setInterval>;
  private last: NetworkStats | undefined;

  constructor(private readonly options: ClientStatsOptions) {
    this.sampling = this.samples.pipe(networkStats()).subscribe((sample) => {
      const path = options.path();
      const st = path ? { ...sample, path } : sample;
      this.last = st;
      options.sampled(this);
      this.stats.next(st);
    });
    this.timer = setInterval(() => this.takeSample(), options.intervalMs);
    unref(this.timer);
    this.takeSample();
  }

  /** Network statistics now (rates and loss are those of the last interval). */
  now(): NetworkStats {
    const base = this.last;
    const link = this.options.link();
    const m = link.meter;
    const path = this.options.path();
    return {
      rttMs: m.srttMs,
      jitterMs: m.rttVarMs,
      lossIn: m.lossIn,
      lossOut: m.lossOut,
      bytesInPerSec: base?.bytesInPerSec ?? 0,
      bytesOutPerSec: base?.bytesOutPerSec ?? 0,
      packetsIn: m.packetsReceived,
      packetsOut: m.packetsSent,
      bytesIn: m.bytesReceived,
      bytesOut: m.bytesSent,
      unacked: link.unacked,
      framesBehind: this.options.framesBehind(),
      ...(path ? { path } : {}),
    };
  }

  /** Stops the timer (the session ended). */
  stop(): void {
    clearInterval(this.timer);
  }

  /** `stats$` and the sampling complete. */
  complete(): void {
    this.stats.complete();
    this.samples.complete();
  }

  private takeSample(): void {
    const link = this.options.link();
    this.samples.next(link.meter.sample(link.unacked, this.options.framesBehind()));
  }
}

/** Lets the process exit while a timer runs (Node); nothing elsewhere. */
function unref(timer: ReturnType<typeof setInterval>): void {
  (timer as { unref?: () => void }).unref?.();
}
