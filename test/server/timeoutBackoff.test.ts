// Repeated timeouts from one account or address back off: its next join waits, doubling.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, JoinRefusedError } from '../../src/node.js';
import { TimeoutBackoff } from '../../src/server/TimeoutBackoff.js';
import { connectReady, playBot } from '../helpers/players.js';
import { waitFor } from '../helpers/waitFor.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('timeout backoff', () => {
  it('lets one timeout pass, then waits 1 s, 2 s, 4 s ... after each', () => {
    let now = 0;
    const backoff = new TimeoutBackoff({ now: () => now, schedule: () => undefined as never });
    backoff.timedOut('user:x');
    expect(backoff.waitMs('user:x')).toBe(0);
    backoff.timedOut('user:x');
    expect(backoff.waitMs('user:x')).toBe(1000);
    backoff.timedOut('user:x');
    expect(backoff.waitMs('user:x')).toBe(2000);
    now = 2000;
    expect(backoff.waitMs('user:x')).toBe(0);
    expect(backoff.waitMs('user:y')).toBe(0);
  });

  it('refuses a player that timed out twice in a row with try-later', async () => {
    const server = await createServer({ reconnectGraceMs: 0, disconnectTimeoutMs: 300 });
    open.push(server);
    const port = server.address.tcpPort;
    let drops = 0;
    server.events$.subscribe((e) => {
      if (e.type === 'drop' && e.reason === 'timeout') drops++;
    });
    const other = await connectReady({ host: '127.0.0.1', port, username: 'other' });
    open.push(other);
    const bot = playBot(other); // waits on sleepy, who sends one input, then nothing
    for (let i = 1; i <= 2; i++) {
      const c = await connectReady({ host: '127.0.0.1', port, username: 'sleepy' });
      open.push(c);
      c.sendInput(Uint8Array.of(0, 0)); // in the frames, then silent: timed out
      await waitFor(() => drops === i);
      await c.close();
    }
    const refused = await connectReady({ host: '127.0.0.1', port, username: 'sleepy' }).catch(
      (e: unknown) => e,
    );
    bot.stop();
    expect(refused).toBeInstanceOf(JoinRefusedError);
    expect((refused as JoinRefusedError).reason).toBe('try-later');
  }, 20_000);
});
