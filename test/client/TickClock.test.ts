import { VirtualAction, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { TickClock } from '../../src/client/TickClock.js';
import { InputLead } from '../../src/match/InputLead.js';

const TICK_RATE = 60;
const TICK_MS = 1000 / TICK_RATE;
const ONE_WAY_MS = 20;

/** A scheduler whose actions due in [from, until) run at `until` (a throttled tab's timers). */
function throttled(inner: VirtualTimeScheduler, from: number, until: number): SchedulerLike {
  return {
    now: () => inner.now(),
    schedule: (work: () => void, delay = 0) => {
      const at = inner.now() + delay;
      return inner.schedule(work, at >= from && at < until ? until - inner.now() : delay);
    },
  } as SchedulerLike;
}

interface Sim {
  /** Per player, [time, input-to-frame lag in ticks] of each frame received. */
  lags: [number, number][][];
  /** Per player, the times its inputs reached the server. */
  arrivals: number[][];
  /** Per player, the times its clock ticked. */
  tickTimes: number[][];
  clocks: TickClock[];
}

/**
 * Players whose clocks run `skews` off the nominal rate, against a lockstep server `ONE_WAY_MS`
 * away that measures the lead with `InputLead` and sends it with every frame (and every tick
 * while no frame is confirmed, as the frames packets' acks do).
 */
function simulate(
  skews: number[],
  durationMs: number,
  schedulerOf: (vts: VirtualTimeScheduler, player: number) => SchedulerLike = (vts) => vts,
  gain?: number,
): Sim {
  const vts = new VirtualTimeScheduler(VirtualAction, Infinity);
  const n = skews.length;
  const lead = new InputLead(n);
  const tops = new Array<number>(n).fill(-1);
  let head = 0;
  const sentAt = skews.map(() => new Map<number, number>());
  const sim: Sim = {
    lags: skews.map(() => []),
    arrivals: skews.map(() => []),
    tickTimes: skews.map(() => []),
    clocks: [],
  };
  const deliver = (what: () => void): void => {
    vts.schedule(what, ONE_WAY_MS);
  };
  const sendFeedback = (p: number): void => {
    const l = lead.lead(p);
    deliver(() => {
      if (l !== undefined) sim.clocks[p].feedback(l);
    });
  };
  const receive = (p: number, tick: number): void => {
    sim.arrivals[p].push(vts.now());
    lead.input(p, tick);
    tops[p] = Math.max(tops[p], tick);
    while (tops.every((t) => t >= head)) {
      const frame = head++;
      for (let q = 0; q < n; q++) {
        const sent = sentAt[q].get(frame)!;
        sentAt[q].delete(frame);
        sendFeedback(q);
        deliver(() => sim.lags[q].push([vts.now(), (vts.now() - sent) / TICK_MS]));
      }
    }
  };
  for (let p = 0; p < n; p++) {
    const clock = new TickClock({
      tickRate: TICK_RATE * (1 + skews[p]),
      scheduler: schedulerOf(vts, p),
      gain,
    });
    sim.clocks.push(clock);
    clock.ticks$.subscribe((tick) => {
      sim.tickTimes[p].push(vts.now());
      sentAt[p].set(tick, vts.now());
      deliver(() => receive(p, tick));
    });
    clock.start(0);
  }
  // The server's acks: a packet a tick with the latest lead, frames or not.
  const ack = (): void => {
    for (let p = 0; p < n; p++) sendFeedback(p);
    if (vts.now() < durationMs) vts.schedule(ack, TICK_MS);
  };
  vts.schedule(ack, TICK_MS);
  vts.schedule(() => sim.clocks.forEach((c) => c.stop()), durationMs);
  vts.flush();
  return sim;
}

const IDEAL = (2 * ONE_WAY_MS) / TICK_MS; // input to frame: one round trip

function lagsBetween(lags: [number, number][], from: number, to: number): number[] {
  return lags.filter(([t]) => t >= from && t < to).map(([, lag]) => lag);
}

describe('TickClock', () => {
  it('keeps clocks 2 % fast and 2 % slow within a few ticks of the ideal lag for 10 minutes', () => {
    const tenMinutes = 10 * 60 * 1000;
    const sim = simulate([0.02, -0.02], tenMinutes);
    for (const lags of sim.lags) {
      expect(lags.length).toBeGreaterThan(35_000);
      const settled = lagsBetween(lags, 10_000, tenMinutes);
      expect(Math.min(...settled)).toBeGreaterThanOrEqual(IDEAL - 0.5);
      expect(Math.max(...settled)).toBeLessThanOrEqual(IDEAL + 3);
      // Never growing: the last minute is no worse than the second.
      const second = Math.max(...lagsBetween(lags, 60_000, 120_000));
      const last = Math.max(...lagsBetween(lags, tenMinutes - 60_000, tenMinutes));
      expect(last).toBeLessThanOrEqual(second + 0.5);
    }
    // Both run at about the same rate: the fast one slowed, the slow one sped up.
    expect(sim.clocks[0].rate).toBeLessThan(1);
    expect(sim.clocks[1].rate).toBeGreaterThan(1);
  });

  it('without the feedback (a plain interval) the same skews drift: the lag grows', () => {
    const sim = simulate([0.02, -0.02], 60_000, undefined, 0);
    // The fast one gets 0.04 * 60 ticks a second ahead of the slow one: ~140 after a minute.
    const last = Math.max(...lagsBetween(sim.lags[0], 55_000, 60_000));
    expect(last).toBeGreaterThan(100);
  });

  it('a clock paused for 1 s catches back up at a bounded rate, never silent for the timeout', () => {
    const pauseAt = 20_000;
    const sim = simulate([0, 0], 60_000, (vts, p) =>
      p === 0 ? throttled(vts, pauseAt, pauseAt + 1000) : vts,
    );
    // No burst: the paused clock never ticks faster than 1.25 times the nominal rate.
    const times = sim.tickTimes[0];
    for (let i = 1; i < times.length; i++) {
      expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(TICK_MS / 1.25 - 1e-6);
    }
    // Its inputs never stop for the server's disconnect timeout (2 s by default).
    const arrivals = sim.arrivals[0];
    let gap = 0;
    for (let i = 1; i < arrivals.length; i++) gap = Math.max(gap, arrivals[i] - arrivals[i - 1]);
    expect(gap).toBeGreaterThan(900);
    expect(gap).toBeLessThan(2000);
    // The others waited for it, then everyone is back near the ideal within 10 s.
    for (const lags of sim.lags) {
      const after = lagsBetween(lags, pauseAt + 11_000, 60_000);
      expect(Math.max(...after)).toBeLessThanOrEqual(IDEAL + 3);
      expect(Math.min(...after)).toBeGreaterThanOrEqual(IDEAL - 0.5);
    }
    expect(Math.max(...lagsBetween(sim.lags[1], pauseAt, pauseAt + 2000))).toBeGreaterThan(30);
  });

  it('emits nothing before start or without subscribers, and completes on stop', () => {
    const vts = new VirtualTimeScheduler(VirtualAction, Infinity);
    const clock = new TickClock({ tickRate: 10, scheduler: vts });
    const got: number[] = [];
    let completed = false;
    vts.schedule(() => clock.start(5), 1000);
    vts.schedule(
      () =>
        clock.ticks$.subscribe({ next: (t) => got.push(t), complete: () => (completed = true) }),
      2000,
    );
    vts.schedule(() => clock.stop(), 2350);
    vts.flush();
    expect(got).toEqual([5, 6, 7]);
    expect(completed).toBe(true);
  });

  it('bounds the rate change by maxAdjust and maxStep', () => {
    const vts = new VirtualTimeScheduler(VirtualAction, Infinity);
    const clock = new TickClock({ tickRate: 100, scheduler: vts, maxStep: 0.01, maxAdjust: 0.1 });
    const rates: number[] = [];
    clock.ticks$.subscribe(() => rates.push(clock.rate));
    clock.start(0);
    clock.feedback(-1000);
    vts.schedule(() => clock.stop(), 1000);
    vts.flush();
    expect(rates[0]).toBeCloseTo(1.01);
    expect(rates[4]).toBeCloseTo(1.05);
    expect(Math.max(...rates)).toBeCloseTo(1.1);
    expect(() => new TickClock({ tickRate: 0 })).toThrow(RangeError);
  });
});
