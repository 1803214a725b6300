// docs/replay.md, checked: its worked example is what the library writes, a decoder written from the document reads it, and the library reads it back.
import { readFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { readReplay } from '../../src/replay/readReplay.js';
import { recordReplay } from '../../src/replay/recordReplay.js';
import type { ReplayReport } from '../../src/replay/types.js';
import { confirmedFrame, type ConfirmedFrame } from '../../src/types.js';

const doc = readFileSync(new URL('../../docs/replay.md', import.meta.url), 'utf8');

function exampleBytes(): Uint8Array {
  const block = /```hex\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  return Uint8Array.from(
    block
      .trim()
      .split(/\s+/)
      .map((h) => parseInt(h, 16)),
  );
}

const frames = [
  confirmedFrame(0, [Uint8Array.of(5), null], [{ playerId: 0, username: 'ann' }]),
  confirmedFrame(1, [Uint8Array.of(5), Uint8Array.of(10)], [{ playerId: 1, username: 'bob' }]),
  confirmedFrame(
    2,
    [null, Uint8Array.of(10)],
    [],
    [{ playerId: 0, username: 'ann', reason: 'left' }],
  ),
];

/** CRC-32 as section 1 says, bit by bit. */
function specCrc(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('docs/replay.md, worked example', () => {
  it('is the bytes the library writes for the match it describes', () => {
    const frames$ = new Subject<ConfirmedFrame>();
    const reports$ = new Subject<ReplayReport>();
    const pieces: Uint8Array[] = [];
    frames$
      .pipe(recordReplay({ tickRate: 60, inputSize: 1, maxPlayers: 2, reports$ }))
      .subscribe((p) => pieces.push(p));
    for (const f of frames) frames$.next(f);
    reports$.next({ type: 'checksum', playerId: 1, tick: 2, checksum: 0xdeadbeef });
    frames$.complete();
    const written = Uint8Array.from(pieces.flatMap((p) => [...p]));
    expect(written.length).toBe(115);
    expect([...exampleBytes()]).toEqual([...written]);
  });

  it('reads back, from the document alone, as the frames and checksum described', () => {
    const bytes = exampleBytes();
    const view = new DataView(bytes.buffer);
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('GNREPLAY');
    expect(view.getUint16(8, true)).toBe(1);
    const kinds: number[] = [];
    let bits: Uint8Array | undefined;
    for (let at = 10; at < bytes.length;) {
      const kind = bytes[at];
      const length = view.getUint32(at + 1, true);
      expect(specCrc(bytes.subarray(at, at + 5 + length))).toBe(
        view.getUint32(at + 5 + length, true),
      );
      kinds.push(kind);
      if (kind === 0x02) {
        const p = at + 5;
        const events = view.getUint16(p + 6, true);
        expect([view.getUint32(p, true), view.getUint16(p + 4, true), events]).toEqual([0, 3, 3]);
        // Two joins of 3-letter names (8 bytes each) and a leave (5 bytes).
        const bitsAt = p + 8 + 8 + 8 + 5;
        bits = bytes.subarray(bitsAt + 4, bitsAt + 4 + view.getUint32(bitsAt, true));
      }
      if (kind === 0x03) expect(view.getUint32(at + 5 + 2 + 5, true)).toBe(0xdeadbeef);
      at += 9 + length;
    }
    expect(kinds).toEqual([0x01, 0x02, 0x03, 0xff]);
    // Section 3's bits: masks 10 11 01, slot 0: 05 05, slot 1: 0a 0a.
    const s = [...bits!].map((b) => b.toString(2).padStart(8, '0')).join('');
    expect(s).toBe('110' + '111' + '101' + '100000101' + '0' + '100001010' + '0' + '000');
    const replay = readReplay(bytes);
    expect([...replay.frames()]).toEqual(frames);
    expect(replay.reports).toEqual([
      { type: 'checksum', playerId: 1, tick: 2, checksum: 0xdeadbeef },
    ]);
  });
});
