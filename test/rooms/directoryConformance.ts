// What every room directory must do, run against each implementation (in-process, Redis).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RoomDirectory, RoomListing } from '../../src/rooms/RoomDirectory.js';

/** A listing with defaults for what a test does not care about. */
export function listing(roomId: string, over: Partial<RoomListing> = {}): RoomListing {
  return {
    roomId,
    processId: 'p1',
    mode: 'duel',
    maxPlayers: 4,
    players: 0,
    open: true,
    metadata: {},
    order: 0,
    ...over,
  };
}

/**
 * The directory suite: `make` gives a fresh, empty directory (and another handle on the same
 * one, for shared directories: the same object for an in-process one).
 */
export function describeDirectory(
  name: string,
  make: () => Promise<{ dir: RoomDirectory; other: RoomDirectory; done: () => Promise<void> }>,
): void {
  describe(`room directory: ${name}`, () => {
    let dir: RoomDirectory;
    let other: RoomDirectory;
    let done: () => Promise<void>;
    beforeEach(async () => {
      ({ dir, other, done } = await make());
    });
    afterEach(async () => {
      await done();
    });

    it('lists, gets, updates and removes rooms, in order', async () => {
      await dir.put(listing('b', { order: await dir.nextOrder(), metadata: { map: 'x' } }));
      await dir.put(listing('a', { order: await dir.nextOrder(), mode: 'ffa' }));
      expect((await other.list({}, 10)).map((r) => r.roomId)).toEqual(['b', 'a']);
      expect((await other.list({ mode: 'ffa' }, 10)).map((r) => r.roomId)).toEqual(['a']);
      expect(await other.list({}, 1)).toHaveLength(1);
      expect((await other.get('b'))?.metadata).toEqual({ map: 'x' });
      await dir.update('b', { open: false, metadata: { map: 'y' } });
      const b = await other.get('b');
      expect(b?.open).toBe(false);
      expect(b?.metadata).toEqual({ map: 'y' });
      expect(await other.list({ available: true }, 10)).toHaveLength(1);
      await dir.remove('b');
      expect(await other.get('b')).toBeUndefined();
      await dir.update('b', { open: true }); // not listed: nothing
      expect(await other.get('b')).toBeUndefined();
    });

    it('orders are increasing', async () => {
      const a = await dir.nextOrder();
      const b = await other.nextOrder();
      expect(b).toBeGreaterThan(a);
    });

    it('reserves seats in the oldest open room with one free, never past maxPlayers', async () => {
      await dir.put(listing('old', { order: await dir.nextOrder(), maxPlayers: 2 }));
      await dir.put(listing('new', { order: await dir.nextOrder(), maxPlayers: 2 }));
      await dir.put(listing('other', { order: await dir.nextOrder(), maxPlayers: 3 }));
      const got = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? other : dir).reserve('duel', 2)),
      );
      expect(got.map((r) => r?.roomId)).toEqual(
        expect.arrayContaining(['old', 'old', 'new', 'new', undefined, undefined]),
      );
      expect((await dir.get('old'))?.players).toBe(2);
      expect((await dir.get('other'))?.players).toBe(0);
      await other.unreserve('old');
      expect((await dir.reserve('duel', 2))?.roomId).toBe('old');
      expect(await dir.reserveIn('new')).toBe(false);
      expect(await dir.reserveIn('other')).toBe(true);
      await dir.update('other', { open: false });
      expect(await dir.reserveIn('other')).toBe(false);
      expect(await dir.reserveIn('nowhere')).toBe(false);
    });

    it('runs one holder of a lock at a time, and goes on after one that fails', async () => {
      const log: string[] = [];
      const task = (d: RoomDirectory, n: string, fail = false) =>
        d.withLock('k', async () => {
          log.push(`${n}+`);
          await new Promise((r) => setImmediate(r));
          log.push(`${n}-`);
          if (fail) throw new Error('no');
          return n;
        });
      const results = await Promise.allSettled([
        task(dir, 'a'),
        task(other, 'b', true),
        task(dir, 'c'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i].replace('+', '-'));
    });

    it('registers processes', async () => {
      await dir.putProcess({ processId: 'p1', address: { host: '127.0.0.1', port: 1 }, load: 3 });
      await dir.putProcess({ processId: 'p1', address: { host: '127.0.0.1', port: 1 }, load: 5 });
      expect(await other.processes()).toEqual([
        { processId: 'p1', address: { host: '127.0.0.1', port: 1 }, load: 5 },
      ]);
    });
  });
}
