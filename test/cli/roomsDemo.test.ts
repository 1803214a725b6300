// The rooms demo in process: every room's bots agree with its referee, the same seed plays the
// same games, and an abort stops it (exit code 130) with everything closed.
import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, type DemoOptions } from '../../src/cli/args.js';
import { BufferOutput } from '../../src/cli/format.js';
import { roomLine, runRoomsDemo } from '../../src/cli/roomsDemo.js';
import { waitFor } from '../helpers/waitFor.js';

const capture = () => ({ stdout: new BufferOutput(), stderr: new BufferOutput() });
const small: DemoOptions = { ...DEMO_DEFAULTS, players: 2, ticks: 60, loss: 0.1, jitterMs: 10 };

describe('runRoomsDemo, in process', () => {
  it('3 rooms of 2 bots: each room full, its checksums equal to its referee; the same seed, the same games', async () => {
    const io = capture();
    const a = await runRoomsDemo(small, 3, io, { timeoutMs: 30_000 });
    expect(a.exitCode, io.stdout.text).toBe(0);
    expect(a.rooms).toHaveLength(3);
    for (const room of a.rooms) {
      expect(room.agree).toBe(true);
      expect(room.desync).toBeUndefined();
      expect(room.checksums).toHaveLength(2);
      for (const c of room.checksums) expect(c.checksum).toBe(room.refereeChecksum);
    }
    for (const [i, room] of a.rooms.entries())
      expect(io.stdout.text).toContain(`${roomLine(i + 1, room)}\n`);
    expect(io.stderr.text).toBe('');
    const b = await runRoomsDemo(small, 3, capture(), { timeoutMs: 30_000 });
    expect(b.rooms.map((r) => r.refereeChecksum)).toEqual(a.rooms.map((r) => r.refereeChecksum));
  }, 60_000);

  it('a room whose checksums differ is named: DIFFER on its line', () => {
    const line = roomLine(2, {
      roomId: 'r-x',
      checksums: [
        { name: 'bot-2-1', checksum: 1 },
        { name: 'bot-2-2', checksum: undefined },
      ],
      refereeChecksum: 1,
      desync: undefined,
      agree: false,
    });
    expect(line).toBe('room 2 r-x: bot-2-1 0x00000001, bot-2-2 -; referee 0x00000001: DIFFER');
  });

  it('stops early, closing everything, when aborted', async () => {
    const controller = new AbortController();
    const io = capture();
    const done = runRoomsDemo({ ...small, ticks: 100_000 }, 2, io, { signal: controller.signal });
    await waitFor(() => /^tick \d+\/99999 /m.test(io.stdout.text), { timeoutMs: 15_000 });
    controller.abort();
    const result = await done;
    expect(result.exitCode).toBe(130);
    expect(io.stdout.text).toContain('FAILED: interrupted');
  }, 30_000);
});
