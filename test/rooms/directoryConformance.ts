// What every room directory must do, run against each implementation (in-process, Redis).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CreateAsk, RoomDirectory, RoomListing } from '../../src/rooms/RoomDirectory.js';
import { waitFor } from '../helpers/waitFor.js';

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

/** A join-or-create's ask, for create requests. */
export const createAsk: CreateAsk = {
  mode: 'duel',
  size: 4,
  username: 'ann',
  address: '127.0.0.1:1',
};

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

    it('keeps a held seat counted until claimed, once: a second claim and an unknown token get false', async () => {
      await dir.put(listing('r', { order: await dir.nextOrder(), maxPlayers: 2 }));
      expect(await dir.reserveIn('r')).toBe(true);
      await dir.hold('r', 'tok', 60_000);
      expect(await other.claim('r', 'nope')).toBe(false);
      expect(await other.claim('r', 'tok')).toBe(true);
      expect(await dir.claim('r', 'tok')).toBe(false);
      expect((await other.get('r'))?.players).toBe(1);
    });

    it('gives a held seat back by itself when it is not claimed in time, and then refuses the claim', async () => {
      await dir.put(listing('r', { order: await dir.nextOrder(), maxPlayers: 1 }));
      await dir.put(listing('kept', { order: await dir.nextOrder(), maxPlayers: 1 }));
      expect((await dir.reserve('duel', 1))?.roomId).toBe('r');
      expect((await dir.reserve('duel', 1))?.roomId).toBe('kept');
      await dir.hold('r', 'late', 100);
      await dir.hold('kept', 'soon', 100);
      expect(await other.claim('kept', 'soon')).toBe(true);
      expect(await other.reserve('duel', 1)).toBeUndefined(); // r is full while held
      const started = performance.now();
      // The seat is free again: r is listed (and reserved) as free.
      await waitFor(
        async () => (await other.list({ mode: 'duel', size: 1, available: true }, 10)).length > 0,
        { timeoutMs: 3_000, message: 'the held seat to be given back' },
      );
      expect(performance.now() - started).toBeGreaterThanOrEqual(50);
      expect((await other.list({ available: true }, 10)).map((r) => r.roomId)).toEqual(['r']);
      expect((await other.get('r'))?.players).toBe(0);
      expect((await other.get('kept'))?.players).toBe(1); // claimed: kept
      expect(await dir.claim('r', 'late')).toBe(false);
      expect((await dir.reserve('duel', 1))?.roomId).toBe('r');
    });

    it('ends the holds of a room listed again: its players are as given, no seat given back later', async () => {
      await dir.put(listing('r', { order: 1, players: 1 }));
      await dir.put(listing('probe', { order: 2, players: 1 }));
      await dir.hold('r', 'old', 100);
      // A hold set after the old one, of the same time: once it is given back, the old one
      // has expired too.
      await dir.hold('probe', 'clock', 100);
      await other.put(listing('r', { order: 1, players: 3 }));
      await dir.hold('r', 'new', 60_000);
      await waitFor(async () => (await other.get('probe'))?.players === 0, {
        timeoutMs: 3_000,
        message: 'the later hold to be given back',
      });
      expect((await other.get('r'))?.players).toBe(3);
      expect(await dir.claim('r', 'old')).toBe(false);
      expect(await other.claim('r', 'new')).toBe(true);
    });

    it('keeps the counts exact under 40 concurrent holds and claims', async () => {
      for (let i = 0; i < 10; i++)
        await dir.put(listing(`c${i}`, { order: await dir.nextOrder() }));
      const handles = [dir, other];
      const joins = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const d = handles[i % 2];
          const room = await d.reserve('duel', 4);
          if (!room) throw new Error('no seat');
          await d.hold(room.roomId, `t${i}`, 60_000);
          return { roomId: room.roomId, token: `t${i}` };
        }),
      );
      // Every hold claimed once, at the same time as a second claim of each.
      const claims = await Promise.all(
        joins.flatMap((j, i) => [
          handles[(i + 1) % 2].claim(j.roomId, j.token),
          handles[i % 2].claim(j.roomId, j.token),
        ]),
      );
      expect(claims.filter(Boolean)).toHaveLength(40);
      for (let i = 0; i < 40; i += 2) expect(claims[i] !== claims[i + 1]).toBe(true);
      for (let i = 0; i < 10; i++) expect((await other.get(`c${i}`))?.players).toBe(4);
      expect(await other.reserve('duel', 4)).toBeUndefined();
    });

    it('asks another handle to make a room, and gets undefined when no one serves, or make refuses or fails', async () => {
      const made = listing('made', { processId: 'maker', order: 7 });
      const asked: CreateAsk[] = [];
      const stop = dir.serveCreate('maker', (ask) => {
        asked.push(ask);
        if (ask.username === 'no') return Promise.resolve(undefined);
        if (ask.username === 'boom') return Promise.reject(new Error('boom'));
        return Promise.resolve(made);
      });
      // The subscription of a shared directory may take a moment: ask until it is served.
      const got = await waitFor(() => other.askCreate('maker', createAsk, 1_000), {
        timeoutMs: 5_000,
        message: 'the create request to be answered',
      });
      expect(got).toEqual(made);
      expect(asked.at(-1)).toEqual(createAsk);
      expect(
        await other.askCreate('maker', { ...createAsk, username: 'no' }, 1_000),
      ).toBeUndefined();
      const failed = performance.now();
      expect(
        await other.askCreate('maker', { ...createAsk, username: 'boom' }, 1_000),
      ).toBeUndefined();
      expect(performance.now() - failed).toBeLessThan(900); // answered, not timed out
      const nobody = performance.now();
      expect(await other.askCreate('nobody', createAsk, 300)).toBeUndefined();
      expect(performance.now() - nobody).toBeLessThan(1_000);
      stop();
      await waitFor(async () => (await other.askCreate('maker', createAsk, 300)) === undefined, {
        timeoutMs: 5_000,
        message: 'a stopped server to make no room',
      });
    });

    it('waits no longer than the timeout for a process that is slow to make a room', async () => {
      let finish = (): void => undefined;
      const slow = new Promise<void>((resolve) => (finish = resolve));
      const stop = dir.serveCreate('slow', async (ask) => {
        if (ask.username === 'slow') await slow;
        return listing('late', { processId: 'slow' });
      });
      try {
        await waitFor(() => other.askCreate('slow', createAsk, 1_000), {
          timeoutMs: 5_000,
          message: 'the create request to be answered',
        });
        const started = performance.now();
        expect(
          await other.askCreate('slow', { ...createAsk, username: 'slow' }, 200),
        ).toBeUndefined();
        const waited = performance.now() - started;
        expect(waited).toBeGreaterThanOrEqual(150);
        expect(waited).toBeLessThan(1_000);
      } finally {
        finish();
        stop();
      }
    });

    it('takes a process off with its rooms', async () => {
      await dir.putProcess({ processId: 'gone', address: { host: '127.0.0.1', port: 2 }, load: 0 });
      await dir.put(listing('g', { processId: 'gone', order: await dir.nextOrder() }));
      await dir.put(listing('k', { order: await dir.nextOrder() }));
      await other.removeProcess('gone');
      expect((await dir.processes()).map((p) => p.processId)).not.toContain('gone');
      expect(await dir.get('g')).toBeUndefined();
      expect((await dir.list({}, 10)).map((r) => r.roomId)).toEqual(['k']);
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
