import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DatagramOpener,
  DatagramSealer,
  Direction,
  OpenRefusal,
  randomSessionKey,
} from '../../src/transport/node/datagramSeal.js';
import { REPLAY_WINDOW, ReplayWindow } from '../../src/transport/node/replayWindow.js';
import { referenceSipHash } from '../helpers/referenceSipHash.js';

/** A sealed datagram as a plain Uint8Array (the sealer gives a Buffer). */
const plain = (datagram: Uint8Array): Uint8Array => Uint8Array.from(datagram);

describe('a replay window', () => {
  it('accepts each counter once, in any order within the window, and none older', () => {
    const w = new ReplayWindow();
    for (const n of [5, 3, 4, 0, 300]) {
      expect(w.fresh(n)).toBe(true);
      w.mark(n);
      expect(w.fresh(n)).toBe(false);
    }
    expect(w.fresh(300 - REPLAY_WINDOW)).toBe(false); // too old
    expect(w.fresh(300 - REPLAY_WINDOW + 1)).toBe(true); // in the window, never seen
    expect(w.fresh(5)).toBe(false);
  });

  it('says whether a counter marked is the newest yet', () => {
    const w = new ReplayWindow();
    expect(w.mark(2)).toBe(true);
    expect(w.mark(1)).toBe(false);
    expect(w.mark(3)).toBe(true);
    expect(w.newest).toBe(3);
  });

  it('matches a set of the counters seen, over the window (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 300 }), (counters) => {
        const w = new ReplayWindow();
        const seen = new Set<number>();
        let newest = -1;
        for (const n of counters) {
          const expected = !seen.has(n) && (n > newest || newest - n < REPLAY_WINDOW);
          expect(w.fresh(n)).toBe(expected);
          if (expected) {
            w.mark(n);
            seen.add(n);
            newest = Math.max(newest, n);
          }
        }
      }),
    );
  });
});

describe('sealed datagrams', () => {
  it('open to their message, each counter once; a wrong key, direction or bit does not', () => {
    const key = randomSessionKey();
    const sealer = new DatagramSealer(key, Direction.ToServer, Uint8Array.of(1, 2, 3, 4));
    const opener = new DatagramOpener(key, Direction.ToServer, 4);
    const d = plain(sealer.seal(Uint8Array.of(9, 8, 7)));
    expect(d).toHaveLength(4 + 8 + 3 + 8);
    expect(new DatagramOpener(randomSessionKey(), Direction.ToServer, 4).open(d)).toBe(
      OpenRefusal.Forged,
    );
    expect(new DatagramOpener(key, Direction.ToClient, 4).open(d)).toBe(OpenRefusal.Forged);
    const flipped = d.slice();
    flipped[2] ^= 1; // the token is authenticated too
    expect(opener.open(flipped)).toBe(OpenRefusal.Forged);
    expect(opener.open(d)).toEqual(Uint8Array.of(9, 8, 7));
    expect(opener.open(d)).toBe(OpenRefusal.Replayed);
    expect(opener.open(d.subarray(0, 4 + 8 + 7))).toBe(OpenRefusal.Malformed);
  });

  it("are SipHash-2-4 tags over the whole datagram, under the direction's half of the key", () => {
    const key = randomSessionKey();
    const sealer = new DatagramSealer(key, Direction.ToClient);
    sealer.seal(Uint8Array.of(0));
    const d = plain(sealer.seal(Uint8Array.of(42)));
    expect(referenceSipHash(key.subarray(16), d.subarray(0, d.length - 8))).toEqual(
      d.subarray(d.length - 8),
    );
    expect(Array.from(d.subarray(0, 9))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 42]);
    const toServer = new DatagramSealer(key, Direction.ToServer, Uint8Array.of(9, 9, 9, 9));
    const e = plain(toServer.seal(Uint8Array.of(1, 2)));
    expect(referenceSipHash(key.subarray(0, 16), e.subarray(0, e.length - 8))).toEqual(
      e.subarray(e.length - 8),
    );
  });

  it('refuse any datagram changed in any bit, cut short, or lengthened, and any replay (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 40 }),
        (message, at, bit, cut) => {
          const key = randomSessionKey();
          const sealer = new DatagramSealer(key, Direction.ToServer, Uint8Array.of(1, 2, 3, 4));
          const d = plain(sealer.seal(message));
          const opener = new DatagramOpener(key, Direction.ToServer, 4);
          const flipped = d.slice();
          flipped[at % d.length] ^= 1 << bit;
          const refused = [OpenRefusal.Forged, OpenRefusal.Malformed, OpenRefusal.Replayed];
          expect(refused).toContain(opener.open(flipped));
          expect(refused).toContain(opener.open(d.subarray(0, Math.max(0, d.length - cut))));
          expect(opener.open(Uint8Array.of(...d, 0))).toBe(OpenRefusal.Forged);
          // The tag of another datagram of the same session does not fit this one.
          const other = plain(sealer.seal(message));
          const swapped = Uint8Array.of(...d.subarray(0, d.length - 8), ...other.subarray(-8));
          expect(opener.open(swapped)).toBe(OpenRefusal.Forged);
          expect(opener.open(d)).toEqual(message);
          expect(opener.open(d)).toBe(OpenRefusal.Replayed);
          expect(opener.open(other)).toEqual(message);
          expect(opener.open(other)).toBe(OpenRefusal.Replayed);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuse a counter no sender could reach (over 2^53 - 1) before any tag is checked', () => {
    const opener = new DatagramOpener(randomSessionKey(), Direction.ToClient, 0);
    const d = new Uint8Array(8 + 8).fill(0xff);
    expect(opener.open(d)).toBe(OpenRefusal.Malformed);
  });
});
