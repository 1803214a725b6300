// A corrupted or truncated replay is refused with a ReplayError naming the offset, never a crash.
import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { readReplay } from '../../src/replay/readReplay.js';
import { ReplayError } from '../../src/replay/ReplayError.js';
import { makeFrames, recordBytes } from './frames.js';

const header = { tickRate: 60, maxPlayers: 4, inputSize: 2 };
const good = await recordBytes(makeFrames({ ticks: 300, maxPlayers: 4, inputSize: 2 }), {
  ...header,
  chunkFrames: 100,
  metadata: Uint8Array.of(1, 2, 3),
});

/** Reads everything; returns the error thrown, if any. */
function readAll(bytes: Uint8Array): unknown {
  try {
    const replay = readReplay(bytes);
    for (const frame of replay.frames()) void frame;
    return undefined;
  } catch (err) {
    return err;
  }
}

function expectReplayError(err: unknown, length: number): void {
  expect(err).toBeInstanceOf(ReplayError);
  const e = err as ReplayError;
  expect(e.offset).toBeGreaterThanOrEqual(0);
  expect(e.offset).toBeLessThanOrEqual(length);
}

describe('a replay file that is not whole', () => {
  it('every truncation is refused as truncated, at the end of what is there', () => {
    for (let n = 0; n < good.length; n++) {
      const err = readAll(good.subarray(0, n));
      expectReplayError(err, n);
      expect((err as ReplayError).code).toBe('truncated');
    }
  });

  it('a file that is not a replay is bad-magic at the first byte that differs', () => {
    const err = readAll(new TextEncoder().encode('GNREPLAX and more'));
    expect(err).toMatchObject({ code: 'bad-magic', offset: 7 });
  });

  it('another format version is bad-version at byte 8', () => {
    const bytes = good.slice();
    bytes[8] = 2;
    expect(readAll(bytes)).toMatchObject({ code: 'bad-version', offset: 8 });
  });

  it('a flipped byte inside a chunk is a bad checksum at that chunk', () => {
    const bytes = good.slice();
    bytes[40] ^= 0x10;
    const err = readAll(bytes) as ReplayError;
    expect(err.code).toMatch(/bad-checksum|bad-field/);
    expect(err.offset).toBeLessThanOrEqual(40);
  });

  it('bytes after the End chunk are refused', () => {
    const bytes = new Uint8Array(good.length + 3);
    bytes.set(good);
    expect(readAll(bytes)).toMatchObject({ code: 'bad-chunk' });
  });
});

describe('fuzzed replay bytes', () => {
  it('random bytes only ever throw ReplayError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const err = readAll(bytes);
        expectReplayError(err, bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes after a good preamble only ever throw ReplayError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const bytes = new Uint8Array(10 + tail.length);
        bytes.set(good.subarray(0, 10));
        bytes.set(tail, 10);
        expectReplayError(readAll(bytes), bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated good files read fully or throw ReplayError, nothing else', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(good.length),
        (flips, cut) => {
          const bytes = good.slice(0, Math.max(cut, good.length - 50));
          for (const [at, x] of flips) if (at < bytes.length) bytes[at] ^= x;
          const err = readAll(bytes);
          if (err !== undefined) expectReplayError(err, bytes.length);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('chunks with valid CRCs but mutated payloads only ever throw ReplayError', async () => {
    const { crc32 } = await import('../../src/replay/crc32.js');
    fc.assert(
      fc.property(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (pick, noise) => {
        // Find the chunks, mutate one payload, fix up its CRC so the decoder sees it.
        const bytes = good.slice();
        const starts: number[] = [];
        for (let at = 10; at < bytes.length;) {
          starts.push(at);
          const len = bytes[at + 1] | (bytes[at + 2] << 8) | (bytes[at + 3] << 16);
          at += 9 + len;
        }
        const at = starts[pick % starts.length];
        const len = bytes[at + 1] | (bytes[at + 2] << 8) | (bytes[at + 3] << 16);
        for (let i = 0; i < noise.length && len > 0; i++)
          bytes[at + 5 + ((pick + i * 31) % len)] ^= noise[i] || 1;
        const crc = crc32(bytes, at, at + 5 + len);
        new DataView(bytes.buffer).setUint32(at + 5 + len, crc, true);
        const err = readAll(bytes);
        if (err !== undefined) expectReplayError(err, bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('a stream of random pieces errors frames$ with a ReplayError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        async (tail, size) => {
          const bytes = new Uint8Array(good.length);
          bytes.set(good.subarray(0, 60));
          bytes.set(tail.subarray(0, good.length - 60), 60);
          async function* pieces(): AsyncIterable<Uint8Array> {
            await Promise.resolve();
            for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
          }
          try {
            const replay = await readReplay(pieces());
            await lastValueFrom(replay.records$.pipe(toArray()));
          } catch (err) {
            expectReplayError(err, bytes.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
