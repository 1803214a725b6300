// Over real sockets: the server records the match to a file, clients record their frames$; the replays agree with each other and with the live game.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, lastValueFrom, takeWhile, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller, Simulation } from '../../src/cli/simulation.js';
import {
  connect,
  createServer,
  readReplay,
  recordReplay,
  type ConfirmedFrame,
  type GameClient,
  type ReplayReport,
} from '../../src/node.js';
import { ChunkKind } from '../../src/replay/format.js';
import { waitFor } from '../helpers/waitFor.js';
import { concat } from './frames.js';

const open: { close(): Promise<void> }[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const TICKS = 90;

/** A player of the demo's game that records its own replay of `frames$` up to `lastTick`. */
function play(client: GameClient, lastTick: () => number) {
  const sim = new Simulation(client.maxPlayers);
  const controller = new Controller(client.playerId + 1, client.inputSize);
  const own$ = new Subject<ReplayReport>();
  const frames$ = client.frames$.pipe(takeWhile((f) => f.tick < lastTick(), true));
  // The game first: its checksum for a frame is recorded before the frame ends the recording.
  const live: ConfirmedFrame[] = [];
  frames$.subscribe((frame) => {
    live.push(frame);
    sim.step(frame);
    const checksum = sim.checksum();
    client.reportChecksum(frame.tick, checksum);
    own$.next({ type: 'checksum', playerId: client.playerId, tick: frame.tick, checksum });
  });
  const replay = lastValueFrom(
    frames$.pipe(
      recordReplay({
        tickRate: client.tickRate,
        inputSize: client.inputSize,
        maxPlayers: client.maxPlayers,
        startTick: client.firstTick,
        players: client.initialPlayers,
        reports$: own$,
      }),
      toArray(),
    ),
  ).then(concat);
  for (let i = 0; i < TICKS; i++) client.sendInput(controller.next());
  return { sim, replay, live };
}

/** The Header and Frames chunks of a replay file, as bytes. */
function frameSections(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 10; at < bytes.length;) {
    const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 1, true);
    if (bytes[at] === ChunkKind.Header || bytes[at] === ChunkKind.Frames)
      out.push(bytes.slice(at, at + 9 + len));
    at += 9 + len;
  }
  return out;
}

function replayChecksum(bytes: Uint8Array): number {
  const replay = readReplay(bytes);
  const sim = new Simulation(replay.header.maxPlayers);
  for (const frame of replay.frames()) sim.step(frame);
  return sim.checksum();
}

describe('a match recorded by the server and by its clients', () => {
  it('gives replays with the same frames, which replay to the live final checksum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gn-replay-'));
    dirs.push(dir);
    const server = await createServer({
      tickRate: 60,
      inputSize: 2,
      maxPlayers: 4,
      disconnectTimeoutMs: 60_000,
      recordReplays: { dir, metadata: Uint8Array.of(42) },
    });
    open.push(server);
    const serverFrames: ConfirmedFrame[] = [];
    server.frames$.subscribe((f) => serverFrames.push(f));
    const join1 = (username: string) =>
      connect({ host: '127.0.0.1', port: server.address.tcpPort, username, password: '' });
    const ann = await join1('ann');
    open.push(ann);
    const bob = await join1('bob');
    open.push(bob);
    // Frames are confirmed up to the first player's last input.
    const last = () => Math.min(ann.startTick, bob.startTick) + TICKS - 1;
    const a = play(ann, last);
    const b = play(bob, last);
    await waitFor(() => a.sim.tick === last() && b.sim.tick === last(), {
      timeoutMs: 15_000,
      message: 'both players at the last tick',
    });
    await waitFor(() => ann.unacknowledgedChecksums === 0 && bob.unacknowledgedChecksums === 0, {
      timeoutMs: 10_000,
      message: 'every checksum acknowledged',
    });
    const annBytes = await a.replay;
    const bobBytes = await b.replay;
    const path = server.replayPath!;
    await server.close();
    expect(readdirSync(dir)).toEqual([path.slice(dir.length + 1)]);
    const serverBytes = new Uint8Array(readFileSync(path));

    const onServer = readReplay(serverBytes);
    const onAnn = readReplay(annBytes);
    const onBob = readReplay(bobBytes);
    expect(onServer.header).toMatchObject({
      tickRate: 60,
      inputSize: 2,
      maxPlayers: 4,
      startTick: ann.firstTick,
    });
    expect(onServer.header.metadata).toEqual(Uint8Array.of(42));
    // The same frames: as the server and ann saw them live, and bob (who joined later, so got
    // the first frames as a catch-up) too.
    expect([...onServer.frames()]).toEqual(serverFrames);
    expect([...onAnn.frames()]).toEqual(serverFrames);
    expect([...onBob.frames()]).toEqual(serverFrames);
    expect(b.live).toEqual([...onBob.frames()]);
    // Identical frame sections for ann (same start, same players before, but not the same
    // metadata: compare the Frames chunks, and the header with the metadata set the same).
    expect(frameSections(annBytes).slice(1)).toEqual(frameSections(serverBytes).slice(1));
    expect({ ...onAnn.header, metadata: null }).toEqual({ ...onServer.header, metadata: null });
    // Playing any back gives the live final checksum.
    const final = a.sim.checksum();
    expect(b.sim.checksum()).toBe(final);
    expect(replayChecksum(serverBytes)).toBe(final);
    expect(replayChecksum(annBytes)).toBe(final);
    expect(replayChecksum(bobBytes)).toBe(final);
    // The server has the checksums that reached it (a client drops reports beyond its bound of
    // unacknowledged ones), from both players; each client has all its own. Every one is the
    // checksum the simulation computes from the replay at that tick.
    const ids = (r: typeof onServer) =>
      new Set(r.reports.filter((x) => x.type === 'checksum').map((x) => x.playerId));
    expect(ids(onServer)).toEqual(new Set([ann.playerId, bob.playerId]));
    expect(ids(onAnn)).toEqual(new Set([ann.playerId]));
    expect(onAnn.reports.length).toBe(TICKS);
    for (const r of [onServer, onAnn, onBob]) {
      const sim = new Simulation(4);
      const byTick = new Map<number, number>();
      for (const f of r.frames()) {
        sim.step(f);
        byTick.set(f.tick, sim.checksum());
      }
      for (const x of r.reports)
        if (x.type === 'checksum') expect(x.checksum).toBe(byTick.get(x.tick));
    }
  }, 30_000);
});
