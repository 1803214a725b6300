// A server whose process stalls 2.5-3 s reads what waited in its sockets before it decides any timeout.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { GameClient } from '../../src/node.js';
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
