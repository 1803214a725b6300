// A replay reproduces its frames byte for byte (invariant 11): what is read back equals what was recorded.
import { describe, expect, it } from 'vitest';
import { Subject, firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { encodeFramesPacket } from '../../src/protocol/index.js';
import { readReplay } from '../../src/replay/readReplay.js';
import { recordReplay } from '../../src/replay/recordReplay.js';
import type { ReplayReport } from '../../src/replay/types.js';
import type { ConfirmedFrame } from '../../src/types.js';
import { concat, makeFrames, recordBytes } from './frames.js';

const ctx = { maxPlayers: 8, inputSize: 2 };
const header = { tickRate: 60, ...ctx };

/** The Frames packet encoding of frames, in packets of up to 64. */
function wire(frames: readonly ConfirmedFrame[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < frames.length; i += 64) {
    const packet = {
      type: 0 as never,
      seq: 0,
      echoSentAt: 0,
      echoDelayMs: 0,
      inputAck: -1,
      rxLoss: 0,
      checksumAck: -1,
    };
    out.push(
      encodeFramesPacket({ ...packet, frames: frames.slice(i, i + 64) }, ctx, 1 << 20).bytes,
    );
  }
  return out;
}

describe('a replay read back from bytes', () => {
  const frames = makeFrames({ ticks: 3000, ...ctx, startTick: 100 });

  it('has the frames recorded, deep equal and with the same Frames wire encoding', async () => {
    const bytes = await recordBytes(frames, { ...header, chunkFrames: 500 });
    const replay = readReplay(bytes);
    const back = [...replay.frames()];
    expect(back).toEqual(frames);
    expect(wire(back)).toEqual(wire(frames));
    expect(replay.frameCount).toBe(3000);
    expect(replay.lastTick).toBe(3099);
    expect(replay.header).toMatchObject({
      ...header,
      startTick: 100,
      players: [],
      formatVersion: 1,
    });
    expect(await lastValueFrom(replay.frames$.pipe(toArray()))).toEqual(frames);
  });

  it('frames(fromTick) starts at that tick, leaves still named', async () => {
    const bytes = await recordBytes(frames, { ...header, chunkFrames: 500 });
    expect([...readReplay(bytes).frames(1777)]).toEqual(frames.slice(1677));
  });

  it('keeps the header fields, the players before the start and the metadata', async () => {
    const players = [{ playerId: 3, username: 'zoé' }];
    const sample = makeFrames({ ticks: 10, ...ctx }).map((f) => ({
      ...f,
      inputs: f.inputs.map((x, slot) => (slot === 3 ? Uint8Array.of(1, 2) : x)),
    }));
    const left = {
      ...sample[5],
      left: [{ playerId: 3, username: 'zoé', reason: 'kicked' as const }],
      inputs: sample[5].inputs.map((x, s) => (s === 3 ? null : x)),
    };
    const input = [...sample.slice(0, 5), left];
    const bytes = await recordBytes(input, {
      ...header,
      players,
      metadata: Uint8Array.of(9, 8, 7),
    });
    const replay = readReplay(bytes);
    expect(replay.header.players).toEqual(players);
    expect(replay.header.metadata).toEqual(Uint8Array.of(9, 8, 7));
    expect([...replay.frames()]).toEqual(input);
  });

  it('keeps checksums, desyncs and snapshots, in their own chunks', async () => {
    const reports$ = new Subject<ReplayReport>();
    const frames$ = new Subject<ConfirmedFrame>();
    const pieces = lastValueFrom(frames$.pipe(recordReplay({ ...header, reports$ }), toArray()));
    const reports: ReplayReport[] = [];
    for (const f of frames.slice(0, 2000)) {
      frames$.next(f);
      for (const p of [0, 1]) {
        const r: ReplayReport = {
          type: 'checksum',
          playerId: p,
          tick: f.tick,
          checksum: (f.tick * 7919 + p) >>> 0,
        };
        reports.push(r);
        reports$.next(r);
      }
    }
    const desync: ReplayReport = {
      type: 'desync',
      tick: 1500,
      checksums: [
        { playerId: 0, checksum: 1 },
        { playerId: 1, checksum: 2 },
      ],
      disagreeing: [0, 1],
    };
    const snapshot: ReplayReport = {
      type: 'snapshot',
      playerId: 1,
      tick: 1500,
      data: Uint8Array.of(1, 2, 3),
    };
    reports$.next(desync);
    reports$.next(snapshot);
    frames$.complete();
    const replay = readReplay(concat(await pieces));
    expect(replay.reports.filter((r) => r.type === 'checksum')).toEqual(reports);
    expect(replay.reports.filter((r) => r.type !== 'checksum')).toEqual([desync, snapshot]);
    expect(await lastValueFrom(replay.reports$.pipe(toArray()))).toEqual(replay.reports);
  });

  it('an empty recording is a valid replay with no frames', async () => {
    const replay = readReplay(await recordBytes([], { ...header, startTick: 5 }));
    expect(replay.frameCount).toBe(0);
    expect(replay.lastTick).toBe(4);
    expect(replay.header.startTick).toBe(5);
  });
});

describe('a replay read from a stream', () => {
  it('gives the same header, frames and reports, from pieces of any size', async () => {
    const frames = makeFrames({ ticks: 2500, ...ctx });
    const bytes = await recordBytes(frames, { ...header, chunkFrames: 300 });
    for (const size of [1, 7, 1000, bytes.length]) {
      async function* pieces(): AsyncIterable<Uint8Array> {
        await Promise.resolve();
        for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
      }
      const replay = await readReplay(pieces());
      expect(replay.header).toEqual(readReplay(bytes).header);
      const all = lastValueFrom(replay.frames$.pipe(toArray()));
      const reports = lastValueFrom(replay.reports$.pipe(toArray()));
      expect(await all).toEqual(frames);
      expect(await reports).toEqual([]);
    }
  });

  it('is read once: a second subscription after the first errors', async () => {
    const bytes = await recordBytes(makeFrames({ ticks: 10, ...ctx }), header);
    async function* one(): AsyncIterable<Uint8Array> {
      await Promise.resolve();
      yield bytes;
    }
    const replay = await readReplay(one());
    await lastValueFrom(replay.frames$);
    await expect(firstValueFrom(replay.frames$)).rejects.toMatchObject({
      name: 'ReplayError',
      code: 'consumed',
    });
  });
});

describe('recordReplay', () => {
  it('emits the header with the first frame and a Frames chunk as each fills', () => {
    const frames$ = new Subject<ConfirmedFrame>();
    const seen: Uint8Array[] = [];
    frames$.pipe(recordReplay({ ...header, chunkFrames: 10 })).subscribe((b) => seen.push(b));
    const frames = makeFrames({ ticks: 25, ...ctx });
    frames$.next(frames[0]);
    expect(seen.length).toBe(2); // preamble, header
    for (const f of frames.slice(1, 10)) frames$.next(f);
    expect(seen.length).toBe(3);
    for (const f of frames.slice(10)) frames$.next(f);
    expect(seen.length).toBe(4);
    frames$.complete();
    expect(seen.length).toBe(6); // the last 5 frames, the End chunk
    expect([...readReplay(concat(seen)).frames()]).toEqual(frames);
  });

  it('errors for frames that are not consecutive, and for bad options at once', async () => {
    const frames = makeFrames({ ticks: 3, ...ctx });
    await expect(
      lastValueFrom(from([frames[0], frames[2]]).pipe(recordReplay(header))),
    ).rejects.toThrow(RangeError);
    expect(() => recordReplay({ ...header, tickRate: 0 })).toThrow(RangeError);
    expect(() => recordReplay({ ...header, chunkFrames: 5000 })).toThrow(RangeError);
  });
});

describe('a replay of a match with substituted inputs', () => {
  it('keeps which inputs were substituted (invariant 12), frame by frame', async () => {
    const base = makeFrames({ ticks: 40, ...ctx, startTick: 0 });
    // Every other slot with an input substituted at some ticks (as when away or late), marked
    // as the match marks them: slot ids in increasing order.
    const frames = base.map((f) => {
      const slots = f.inputs.flatMap((input, slot) => (input && slot % 2 === 1 ? [slot] : []));
      return f.tick % 7 === 3 && slots.length > 0 ? { ...f, substituted: slots } : f;
    });
    expect(frames.some((f) => f.substituted)).toBe(true);
    const back = [...readReplay(await recordBytes(frames, header)).frames()];
    expect(back).toEqual(frames);
    expect(back.filter((f) => f.substituted).map((f) => f.tick)).toEqual(
      frames.filter((f) => f.substituted).map((f) => f.tick),
    );
  });
});
