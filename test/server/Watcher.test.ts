// A spectator's watcher without sockets: paced by its link's queue, CaughtUp once, the delay's bound, dropped when it falls behind or its frames are gone.
import { describe, expect, it } from 'vitest';
import { FrameLog } from '../../src/match/FrameLog.js';
import { decodeServerTcp, MessageType, type CodecContext } from '../../src/protocol/index.js';
import { CATCH_UP_BACKLOG_BYTES, CatchUpCache } from '../../src/server/catchUp.js';
import { Watcher, WatcherState, type WatcherLink } from '../../src/server/Watcher.js';
import type { ConfirmedFrame } from '../../src/types.js';

const ctx: CodecContext = { inputSize: 2, maxPlayers: 2 };

function logOf(frames: number, maxBytes?: number): FrameLog {
  const log = new FrameLog(maxBytes === undefined ? {} : { maxBytes });
  for (let tick = 0; tick < frames; tick++)
    log.append({ tick, inputs: [Uint8Array.of(1, tick & 0xff), null] });
  return log;
}

/** A link that keeps what is sent; `full` makes its queue report full. */
function fakeLink() {
  const sent: Uint8Array[] = [];
  const caughtUp: number[] = [];
  const state = { full: false };
  const link: WatcherLink = {
    get bufferedBytes() {
      return state.full ? CATCH_UP_BACKLOG_BYTES : 0;
    },
    send: (bytes) => sent.push(bytes),
    caughtUp: (tick) => caughtUp.push(tick),
  };
  const frames = (): ConfirmedFrame[] =>
    sent.flatMap((b) => {
      const msg = decodeServerTcp(b, ctx);
      return msg.type === MessageType.CatchUp ? [...msg.frames] : [];
    });
  return { link, sent, caughtUp, state, frames };
}

describe('Watcher', () => {
  it('sends every frame before `until`, then CaughtUp once, then the live ones', () => {
    const log = logOf(10_000);
    const f = fakeLink();
    const w = new Watcher(f.link, 'eve', 0, 60);
    const cache = new CatchUpCache();
    // 4096 frames a message, two messages a call: more to send.
    expect(w.pump(log, ctx, 10_000, cache)).toBe(WatcherState.More);
    expect(w.pump(log, ctx, 10_000, cache)).toBe(WatcherState.Current);
    expect(f.caughtUp).toEqual([10_000]);
    for (let tick = 10_000; tick < 10_005; tick++)
      log.append({ tick, inputs: [Uint8Array.of(1, 2), null] });
    expect(w.pump(log, ctx, 10_005, cache)).toBe(WatcherState.Current);
    expect(f.caughtUp).toEqual([10_000]);
    expect(f.frames().map((fr) => fr.tick)).toEqual(Array.from({ length: 10_005 }, (_, i) => i));
  });

  it('never sends a frame at or after `until` (the delay)', () => {
    const log = logOf(100);
    const f = fakeLink();
    const w = new Watcher(f.link, 'eve', 0, 60);
    expect(w.pump(log, ctx, 40, new CatchUpCache())).toBe(WatcherState.Current);
    expect(f.frames().at(-1)?.tick).toBe(39);
    expect(w.nextTick).toBe(40);
    // Before the delay has passed the first frame: nothing, and CaughtUp at tick 0.
    const g = fakeLink();
    expect(new Watcher(g.link, 'max', 0, 60).pump(log, ctx, -20, new CatchUpCache())).toBe(
      WatcherState.Current,
    );
    expect(g.sent).toEqual([]);
    expect(g.caughtUp).toEqual([0]);
  });

  it('shares one encoding between watchers at the same place in a round', () => {
    const log = logOf(50);
    const cache = new CatchUpCache();
    const [a, b] = [fakeLink(), fakeLink()];
    new Watcher(a.link, 'a', 0, 60).pump(log, ctx, 50, cache);
    new Watcher(b.link, 'b', 0, 60).pump(log, ctx, 50, cache);
    expect(a.sent[0]).toBe(b.sent[0]);
  });

  it('is Behind once it falls maxLagTicks further behind than it ever was; not while catching up', () => {
    const log = logOf(1000);
    const f = fakeLink();
    const w = new Watcher(f.link, 'eve', 0, 60);
    const cache = new CatchUpCache();
    f.state.full = true;
    // Far behind at the start (a catch-up), but no further behind than at first: not dropped.
    expect(w.pump(log, ctx, 1000, cache)).toBe(WatcherState.More);
    f.state.full = false;
    expect(w.pump(log, ctx, 1000, cache)).toBe(WatcherState.Current);
    // Live, then its queue stays full: 60 ticks more is still allowed, 61 is not.
    f.state.full = true;
    for (let tick = 1000; tick < 1061; tick++)
      log.append({ tick, inputs: [Uint8Array.of(1, 2), null] });
    expect(w.pump(log, ctx, 1060, cache)).toBe(WatcherState.More);
    expect(w.pump(log, ctx, 1061, cache)).toBe(WatcherState.Behind);
  });

  it('is Lost when its frames are no longer in the log', () => {
    const log = logOf(5000, 64); // keeps only the newest few frames
    const f = fakeLink();
    const w = new Watcher(f.link, 'eve', 0, 60);
    expect(w.pump(log, ctx, 5000, new CatchUpCache())).toBe(WatcherState.Lost);
    expect(f.sent).toEqual([]);
  });
});
