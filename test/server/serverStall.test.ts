// A server whose process stalls 2.5-3 s reads what waited in its sockets before it decides any timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientNetworkEvent, GameClient } from '../../src/node.js';
import { connectReady, playBot } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
let child: ChildProcess | undefined;
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
  child?.kill('SIGKILL');
  child = undefined;
});

describe('a stall of the server process', () => {
  it('of 2.8 s drops no one whose datagrams waited in its socket', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/server/fixtures/stallServer.ts'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    await waitFor(() => lines.length > 0, { timeoutMs: 15_000 });
    const port = Number(lines[0].tcpPort);
    const clients: GameClient[] = [];
    for (const username of ['ann', 'bob']) {
      const c = await connectReady({ host: '127.0.0.1', port, username });
      clients.push(c);
      open.push(c);
    }
    const bots = clients.map((c) => playBot(c));
    await waitFor(() => bots.every((b) => b.world.tick > 30), { timeoutMs: 10_000 });
    child.stdin!.write('stall 2800\n');
    await waitFor(() => lines.some((l) => l.event === 'stalled'), { timeoutMs: 10_000 });
    const after = bots[0].world.tick;
    await waitFor(() => bots.every((b) => b.world.tick > after + 60), { timeoutMs: 10_000 });
    for (const b of bots) b.stop();
    expect(lines.filter((l) => l.event === 'away' || l.event === 'drop')).toEqual([]);
    expect(bots[0].world.players).toEqual(['ann', 'bob']);
  }, 40_000);
});

describe('a frozen server, seen from a client', () => {
  it('is reported, reconnected to once it wakes, and ends the client with a clear reason if it does not', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/server/fixtures/stallServer.ts'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => {
      lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    await waitFor(() => lines.length > 0, { timeoutMs: 15_000 });
    const port = Number(lines[0].tcpPort);
    const options = { host: '127.0.0.1', port, serverTimeoutMs: 600, reconnectTimeoutMs: 1500 };
    const ann = await connectReady({ ...options, username: 'ann' });
    open.push(ann);
    const events: ClientNetworkEvent[] = [];
    ann.events$.subscribe((e) => events.push(e));
    // Frozen for 1.2 s: reported, then reconnected.
    child.stdin!.write('stall 1200\n');
    await waitFor(() => events.some((e) => e.type === 'reconnected'), { timeoutMs: 10_000 });
    const reconnecting = events.find((e) => e.type === 'reconnecting');
    expect(reconnecting?.type === 'reconnecting' && reconnecting.message).toMatch(
      /nothing heard from the server for \d+ ms/,
    );
    // Frozen for good: the client ends, saying why.
    child.kill('SIGSTOP');
    await waitFor(() => events.some((e) => e.type === 'disconnected'), { timeoutMs: 10_000 });
    const end = events.find((e) => e.type === 'disconnected');
    expect(end?.type === 'disconnected' && [end.reason, end.message]).toEqual([
      'connection-lost',
      expect.stringMatching(/nothing heard from the server/),
    ]);
    child.kill('SIGCONT');
  }, 40_000);
});
