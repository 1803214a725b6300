// Presence's heartbeat in virtual time, over an in-memory directory that can be made to fail (Redis itself: redisDirectory.test.ts).
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  Presence,
  type PresenceDirectory,
  type PresenceWarning,
  PresenceWarningCode,
} from '../../src/cluster/presence.js';
import type { ProcessListing, RoomListing } from '../../src/rooms/RoomDirectory.js';
import { listing } from '../rooms/directoryConformance.js';

/** A directory in memory: it forgets everything on `lose()`, and fails while `down`. */
class MemoryPresenceDirectory implements PresenceDirectory {
  readonly processTtlMs = 300;
  readonly rooms = new Map<string, RoomListing>();
  readonly procs = new Map<string, ProcessListing>();
  refreshes = 0;
  down = false;
  failPuts = false;
  /** When set, refreshProcess waits for this promise (a slow Redis). */
  hold: Promise<void> | undefined;

  async refreshProcess(process: ProcessListing): Promise<boolean> {
    this.refreshes++;
    if (this.hold) await this.hold;
    if (this.down) throw new Error('connection refused');
    const fresh = !this.procs.has(process.processId);
    this.procs.set(process.processId, process);
    return fresh;
  }

  put(room: RoomListing): Promise<void> {
    if (this.down || this.failPuts) return Promise.reject(new Error('put failed'));
    this.rooms.set(room.roomId, room);
    return Promise.resolve();
  }

  remove(roomId: string): Promise<void> {
    if (this.down) return Promise.reject(new Error('connection refused'));
    this.rooms.delete(roomId);
    return Promise.resolve();
  }

  removeProcess(processId: string): Promise<void> {
    if (this.down) return Promise.reject(new Error('connection refused'));
    this.procs.delete(processId);
    for (const [id, room] of this.rooms) if (room.processId === processId) this.rooms.delete(id);
    return Promise.resolve();
  }

  lose(): void {
    this.rooms.clear();
    this.procs.clear();
  }
}

/** Lets every promise settled so far run its callbacks. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A presence of process `me` on virtual time, with its rooms in `held`. */
function setUp() {
  const clock = new VirtualTimeScheduler();
  clock.maxFrames = 0;
  const directory = new MemoryPresenceDirectory();
  const held = new Map<string, RoomListing>([
    ['a', listing('a', { processId: 'me', players: 3 })],
    ['b', listing('b', { processId: 'me', order: 1 })],
  ]);
  let load = 0;
  const presence = new Presence({
    directory,
    process: () => ({ processId: 'me', address: { host: 'h', port: 1 }, load }),
    rooms: () => held.values(),
    scheduler: clock,
  });
  const warnings: PresenceWarning[] = [];
  presence.warnings$.subscribe((w) => warnings.push(w));
  /** Runs virtual time up to `t` ms, then lets the heartbeats' promises settle. */
  const at = async (t: number): Promise<void> => {
    clock.maxFrames = t;
    clock.flush();
    await settle();
  };
  return {
    clock,
    directory,
    held,
    presence,
    warnings,
    at,
    setLoad: (n: number) => (load = n),
  };
}

describe('a presence', () => {
  it('refreshes every third of the time to live, with the load of now', async () => {
    const { directory, presence, at, setLoad } = setUp();
    const started = presence.start();
    await at(0);
    await started;
    expect(directory.refreshes).toBe(1);
    setLoad(7);
    await at(100);
    expect(directory.refreshes).toBe(2);
    expect(directory.procs.get('me')?.load).toBe(7);
    await at(200);
    await at(350);
    expect(directory.refreshes).toBe(4);
    await presence.stop({ unregister: false });
    await at(1_000);
    expect(directory.refreshes).toBe(4);
    expect(directory.procs.has('me')).toBe(true);
  });

  it('lists its rooms again, as they are now, when the directory lost it', async () => {
    const { directory, held, presence, at } = setUp();
    const started = presence.start();
    await at(0);
    await started;
    // First registration: its rooms are listed too (the process was not there before).
    expect([...directory.rooms.keys()]).toEqual(['a', 'b']);
    directory.lose();
    held.set('a', listing('a', { processId: 'me', players: 4 }));
    await at(100);
    expect(directory.procs.has('me')).toBe(true);
    expect(directory.rooms.get('a')?.players).toBe(4);
    expect(directory.rooms.has('b')).toBe(true);
    await presence.stop();
  });

  it('reports failed heartbeats as warnings and rebuilds when the directory is back', async () => {
    const { directory, presence, warnings, at } = setUp();
    const started = presence.start();
    await at(0);
    await started;
    directory.down = true;
    directory.lose(); // a Redis restarted empty
    await at(100);
    await at(200);
    expect(warnings.map((w) => w.code)).toEqual([
      PresenceWarningCode.HeartbeatFailed,
      PresenceWarningCode.HeartbeatFailed,
    ]);
    expect(warnings[0].error.message).toBe('connection refused');
    directory.down = false;
    await at(300);
    expect([...directory.rooms.keys()].sort()).toEqual(['a', 'b']);
    expect(warnings).toHaveLength(2);
    await presence.stop();
  });

  it('tries listing its rooms again at the next heartbeat when that failed', async () => {
    const { directory, presence, warnings, at } = setUp();
    directory.failPuts = true;
    const started = presence.start();
    await at(0);
    await started;
    expect(warnings.map((w) => w.code)).toEqual([PresenceWarningCode.RoomsNotRestored]);
    directory.failPuts = false;
    await at(100); // the refresh says "was there", but the rooms are still owed
    expect([...directory.rooms.keys()].sort()).toEqual(['a', 'b']);
    await presence.stop();
  });

  it('takes off a room that ended while it was being listed again', async () => {
    const { directory, held, presence, at } = setUp();
    const origPut = directory.put.bind(directory);
    directory.put = (room) => {
      held.delete('b'); // ends while its listing is on its way
      return origPut(room);
    };
    const started = presence.start();
    await at(0);
    await started;
    expect([...directory.rooms.keys()]).toEqual(['a']);
    await presence.stop();
  });

  it('never runs two heartbeats at once: a slow one makes the next ones wait', async () => {
    const { directory, presence, at } = setUp();
    let release = (): void => undefined;
    directory.hold = new Promise<void>((resolve) => (release = resolve));
    const started = presence.start();
    await at(350);
    expect(directory.refreshes).toBe(1);
    directory.hold = undefined;
    release();
    await settle();
    await started;
    await at(400);
    expect(directory.refreshes).toBe(2);
    await presence.stop();
  });

  it('takes the process and its rooms off at stop, and warns when it cannot', async () => {
    const first = setUp();
    const started = first.presence.start();
    await first.at(0);
    await started;
    await first.presence.stop();
    expect(first.presence.state).toBe('stopped');
    expect(first.directory.procs.size).toBe(0);
    expect(first.directory.rooms.size).toBe(0);

    const second = setUp();
    const again = second.presence.start();
    await second.at(0);
    await again;
    second.directory.down = true;
    await second.presence.stop();
    expect(second.warnings.map((w) => w.code)).toEqual([PresenceWarningCode.UnregisterFailed]);
  });

  it('resolves start when stopped before its first heartbeat, and cannot start twice', async () => {
    const { presence } = setUp();
    const started = presence.start();
    await expect(presence.start()).rejects.toThrow(/cannot start when running/);
    await presence.stop({ unregister: false });
    await started;
    await expect(presence.start()).rejects.toThrow(/cannot start when stopped/);
  });
});
