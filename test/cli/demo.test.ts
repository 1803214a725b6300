import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, type DemoOptions } from '../../src/cli/args.js';
import { runDemo } from '../../src/cli/demo.js';
import { BufferOutput } from '../../src/cli/format.js';
import { waitFor } from '../helpers/waitFor.js';

function capture(isTTY = false) {
  return { stdout: new BufferOutput(isTTY, 200), stderr: new BufferOutput() };
}

const small: DemoOptions = { ...DEMO_DEFAULTS, players: 3, ticks: 120, loss: 0.1, jitterMs: 10 };

describe('runDemo, in process', () => {
  it('plays 3 bots over a lossy link to equal checksums, exit code 0', async () => {
    const io = capture();
    const result = await runDemo(small, io, { timeoutMs: 20_000 });
    const out = io.stdout.text;
    expect(result.exitCode, out).toBe(0);
    expect(result.desync).toBeUndefined();
    expect(result.endTick).toBe(119);
    expect(result.checksums).toHaveLength(3);
    const sums = new Set([...result.checksums.map((c) => c.checksum), result.refereeChecksum]);
    expect(sums.size).toBe(1);
    expect([...sums][0]).toEqual(expect.any(Number));
    // The table: a header and one row per bot, each with its final tick and checksum.
    expect(out).toMatch(/player +slot +inputs +frames +sent +received +rtt +loss in +loss out/);
    const hex = `0x${result.refereeChecksum!.toString(16).padStart(8, '0')}`;
    for (const name of ['bot-1', 'bot-2', 'bot-3'])
      expect(out).toMatch(new RegExp(`^${name} +\\d +120 +120 .* 119 +${hex}$`, 'm'));
    expect(out).toContain('no desync');
    // Not a terminal: plain lines, no carriage returns or escape codes.
    expect(out).not.toContain('\r');
    expect(out).not.toContain('\x1b');
    expect(io.stderr.text).toBe('');
  }, 30_000);

  it('is reproducible: the same seed gives the same final checksum', async () => {
    const opts = { ...small, players: 2, ticks: 60 };
    const a = await runDemo(opts, capture(), { timeoutMs: 20_000 });
    const b = await runDemo(opts, capture(), { timeoutMs: 20_000 });
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    expect(b.refereeChecksum).toBe(a.refereeChecksum);
  }, 30_000);

  it('shows a bot that drops out and comes back: away, back, reconnected, equal checksums', async () => {
    const io = capture();
    // 300 ticks at 60 Hz: bot-1 is off the network from about tick 100, for 2.5 s.
    const result = await runDemo({ ...small, ticks: 300, dropoutMs: 2500 }, io, {
      timeoutMs: 30_000,
    });
    const out = io.stdout.text;
    expect(result.exitCode, out).toBe(0);
    expect(new Set([...result.checksums.map((c) => c.checksum), result.refereeChecksum]).size).toBe(
      1,
    );
    expect(out).toMatch(/bot-1 drops out at tick \d+ for 2500 ms/);
    expect(out).toMatch(/bot-1 \(player 0\) is away from tick \d+: its input is repeated/);
    expect(out).toMatch(/bot-1 reconnected: its frames go on from tick \d+/);
    expect(out).toMatch(/bot-1 \(player 0\) is back: its inputs count from tick \d+/);
  }, 40_000);

  it('reports a desync (and exits 1) when one bot diverges', async () => {
    const io = capture(true);
    const result = await runDemo({ ...small, ticks: 90, desyncAt: 30 }, io, {
      timeoutMs: 20_000,
    });
    expect(result.exitCode).toBe(1);
    expect(result.desync?.tick).toBe(30);
    const [a, b, c] = result.checksums.map((x) => x.checksum);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(io.stdout.text).toContain('DESYNC at tick 30: bot-1 (player 0) 0x');
    expect(io.stdout.text).toContain(
      'DESYNC reported at tick 30: bot-3 (player 2) has a checksum that differs\n',
    );
    // On a terminal the status line is redrawn in place.
    expect(io.stdout.text).toContain('\r\x1b[2Ktick ');
  }, 30_000);

  it('stops early, closing everything, when aborted', async () => {
    const controller = new AbortController();
    const io = capture();
    const done = runDemo({ ...small, ticks: 100_000 }, io, { signal: controller.signal });
    await waitFor(() => /^tick \d+\/99999 /m.test(io.stdout.text), { timeoutMs: 10_000 });
    controller.abort();
    const result = await done;
    expect(result.exitCode).toBe(130);
    expect(io.stdout.text).toContain('FAILED: interrupted');
  }, 30_000);
});
