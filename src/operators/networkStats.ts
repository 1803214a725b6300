import { Observable, type OperatorFunction } from 'rxjs';
import type { LinkSample, NetworkStats } from '../stats.js';
import { subscribeLinked } from './subscribeLinked.js';

/**
 * Turns periodic samples of a link's counters into network statistics with rates.
 *
 * Each sample becomes one `NetworkStats`; bytes per second come from the difference with
 * the sample before (0 for the first sample, which has nothing before it). Everything else
 * passes through as sampled.
 *
 * ```text
 * samples: --a(t=0, bytesIn=0)----b(t=1000, bytesIn=500)----c(t=3000, bytesIn=1500)--|
 *          networkStats()
 * stats:   --A(bytesInPerSec=0)---B(bytesInPerSec=500)------C(bytesInPerSec=500)-----|
 * ```
 *
 * @example
 * interval(1000).pipe(map(() => meter.sample()), networkStats()).subscribe(console.log);
 *
 * @returns An operator from samples to statistics.
 */
export function networkStats(): OperatorFunction<LinkSample, NetworkStats> {
  return (source) =>
    new Observable<NetworkStats>((subscriber) => {
      let prev: LinkSample | undefined;
      subscribeLinked(source, subscriber, {
        next: (s) => {
          const dt = prev ? (s.at - prev.at) / 1000 : 0;
          const rate = (now: number, before: number | undefined): number =>
            dt > 0 && before !== undefined ? Math.max(0, (now - before) / dt) : 0;
          const stats: NetworkStats = {
            rttMs: s.rttMs,
            jitterMs: s.jitterMs,
            lossIn: s.lossIn,
            lossOut: s.lossOut,
            bytesInPerSec: rate(s.bytesIn, prev?.bytesIn),
            bytesOutPerSec: rate(s.bytesOut, prev?.bytesOut),
            packetsIn: s.packetsIn,
            packetsOut: s.packetsOut,
            bytesIn: s.bytesIn,
            bytesOut: s.bytesOut,
            unacked: s.unacked,
            framesBehind: s.framesBehind,
          };
          prev = s;
          subscriber.next(stats);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        prev = undefined;
      };
    });
}
