import { afterEach, describe, expect, it } from 'vitest';
import { BufferOutput } from '../../src/cli/format.js';
import { main } from '../../src/cli/main.js';
import { parseWebDemoFlags } from '../../src/cli/webDemoCommand.js';
import { waitFor } from '../helpers/waitFor.js';

const aborts: AbortController[] = [];
afterEach(() => aborts.splice(0).forEach((a) => a.abort()));

describe('game-network demo --web', () => {
  it('serves the page and its bots, prints the URL, and closes on Ctrl-C with exit 0', async () => {
    const io = { stdout: new BufferOutput(), stderr: new BufferOutput() };
    const abort = new AbortController();
    aborts.push(abort);
    const exit = main(['demo', '--web', '--port', '0', '--bots', '1'], io, abort.signal);
    await waitFor(() => io.stdout.text.includes('web demo: open'), { timeoutMs: 20_000 });
    const url = /open (http:\/\/\S+)/.exec(io.stdout.text)?.[1] ?? '';
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<canvas');
    abort.abort();
    expect(await exit).toBe(0);
    expect(io.stdout.text).toContain('closing...');
  }, 30_000);

  it('names a bad flag and exits 2', async () => {
    const io = { stdout: new BufferOutput(), stderr: new BufferOutput() };
    expect(await main(['demo', '--web', '--bots', 'x'], io, new AbortController().signal)).toBe(2);
    expect(io.stderr.text).toContain('--bots');
    expect(parseWebDemoFlags(['--web', '--ticks', '3'])).toMatch(/unknown option --ticks/);
    expect(parseWebDemoFlags(['--web', '--port', '0'])).toEqual({
      host: '127.0.0.1',
      port: 0,
      bots: 2,
    });
  });
});
