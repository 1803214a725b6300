// `game-network replay FILE`: the header and summary, --verify against the recorded checksums, --frames, and bad flags.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE, UsageError, parseCommandLine } from '../../src/cli/args.js';
import { BufferOutput } from '../../src/cli/format.js';
import { main } from '../../src/cli/main.js';
import { Controller, Simulation } from '../../src/cli/simulation.js';
import { confirmedFrame, type ConfirmedFrame } from '../../src/types.js';
import type { ReplayReport } from '../../src/replay/types.js';
import { recordReplay } from '../../src/replay/recordReplay.js';
import { Subject } from 'rxjs';
import { concat } from '../replay/frames.js';

const dir = mkdtempSync(join(tmpdir(), 'gn-replay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A demo game of 2 players for 120 ticks, its checksums every tick, one corrupted if asked. */
function demoReplay(name: string, badTick?: number): string {
  const frames$ = new Subject<ConfirmedFrame>();
  const reports$ = new Subject<ReplayReport>();
  const pieces: Uint8Array[] = [];
  frames$
    .pipe(recordReplay({ tickRate: 60, inputSize: 2, maxPlayers: 4, reports$, chunkFrames: 50 }))
    .subscribe((p) => pieces.push(p));
  const sim = new Simulation(4);
  const bots = [new Controller(1, 2), new Controller(2, 2)];
  for (let tick = 0; tick < 120; tick++) {
    const joined =
      tick === 0
        ? [
            { playerId: 0, username: 'ann' },
            { playerId: 1, username: 'bob' },
          ]
        : [];
    const left = tick === 100 ? [{ playerId: 1, username: 'bob', reason: 'timeout' as const }] : [];
    const frame = confirmedFrame(
      tick,
      [bots[0].next(), tick < 100 ? bots[1].next() : null, null, null],
      joined,
      left,
    );
    frames$.next(frame);
    sim.step(frame);
    const checksum = tick === badTick ? 1234 : sim.checksum();
    reports$.next({ type: 'checksum', playerId: 0, tick, checksum });
  }
  frames$.complete();
  const path = join(dir, name);
  writeFileSync(path, concat(pieces));
  return path;
}

function io() {
  return { stdout: new BufferOutput(), stderr: new BufferOutput() };
}
const run = (argv: string[], out = io()) =>
  main(argv, out, new AbortController().signal).then((code) => ({
    code,
    out: out.stdout.text,
    err: out.stderr.text,
  }));

describe('game-network replay FILE', () => {
  const good = demoReplay('good.gnreplay');

  it('prints the header and a summary: duration, players, desyncs', async () => {
    const r = await run(['replay', good]);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/tick rate +60 Hz/);
    expect(r.out).toMatch(/input size +2 bytes/);
    expect(r.out).toMatch(/max players +4/);
    expect(r.out).toMatch(/frames +120 \(ticks 0\.\.119\)/);
    expect(r.out).toMatch(/duration +2\.0 s/);
    expect(r.out).toMatch(/0 ann +ticks 0\.\.119/);
    expect(r.out).toMatch(/1 bob +ticks 0\.\.99, left at 100 \(timeout\)/);
    expect(r.out).toMatch(/checksums +120/);
    expect(r.out).toMatch(/desyncs +none/);
  });

  it('--verify re-runs the simulation: every checksum matches, exit 0', async () => {
    const r = await run(['replay', good, '--verify']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/compared +120 checksums/);
    expect(r.out).toContain('every recorded checksum matches');
  });

  it('--verify names a recorded checksum the simulation does not give, exit 1', async () => {
    const r = await run(['replay', demoReplay('bad.gnreplay', 77), '--verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 mismatch\n/);
    expect(r.out).toMatch(/tick 77 player 0: recorded 0x000004d2, simulated 0x[0-9a-f]{8}/);
  });

  it('--frames A..B prints those frames with their inputs, joins and leaves', async () => {
    const r = await run(['replay', good, '--frames', '99..101']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n').filter((l) => /^ +\d+ {2}/.test(l));
    expect(lines.map((l) => Number(l.trim().split(' ')[0]))).toEqual([99, 100, 101]);
    expect(lines[1]).toMatch(/ - - - {2}-1:bob\(timeout\)$/);
    expect((await run(['replay', good, '--frames', '118..'])).out).toMatch(/frames 118\.\.119:/);
  });

  it('a corrupted or truncated file is refused with the byte offset, exit 1', async () => {
    const path = join(dir, 'cut.gnreplay');
    const bytes = new Uint8Array(await import('node:fs').then((fs) => fs.readFileSync(good)));
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    const r = await run(['replay', path]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cut\.gnreplay: .*at byte \d+\) \[truncated\]/);
    const missing = await run(['replay', join(dir, 'none.gnreplay')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/none\.gnreplay: .*ENOENT/);
  });
});

describe('game-network replay: bad flags exit 2 naming the flag', () => {
  function usage(argv: string[]): UsageError {
    try {
      parseCommandLine(argv);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return err as UsageError;
    }
    throw new Error('no usage error');
  }

  it('parses FILE, --verify and --frames', () => {
    expect(parseCommandLine(['replay', 'a.gnreplay', '--verify', '--frames=5..9'])).toEqual({
      command: 'replay',
      options: { file: 'a.gnreplay', verify: true, frames: { from: 5, to: 9 } },
    });
    expect(parseCommandLine(['replay', 'a.gnreplay'])).toEqual({
      command: 'replay',
      options: { file: 'a.gnreplay', verify: false },
    });
  });

  it('refuses a missing FILE, two files, an unknown flag and a bad --frames', async () => {
    expect(usage(['replay']).message).toMatch(/FILE is required/);
    expect(usage(['replay', 'a', 'b']).message).toMatch(/unexpected argument 'b'/);
    expect(usage(['replay', 'a', '--speed', '2']).message).toMatch(/unknown option --speed/);
    expect(usage(['replay', 'a', '--frames', '9..5']).message).toMatch(/--frames must be A\.\.B/);
    expect(usage(['replay', 'a', '--frames', 'x']).message).toMatch(/--frames/);
    expect(usage(['replay', 'a', '--frames']).message).toMatch(/--frames needs a value/);
    expect(usage(['replay', 'a', '--verify=yes']).message).toMatch(/--verify takes no value/);
    const r = await run(['replay', 'a', '--frames', 'x']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toMatch(
      /^game-network replay: --frames must be A\.\.B.*\nRun 'game-network replay --help' for usage\.\n$/,
    );
  });

  it('--help prints the command help', async () => {
    const r = await run(['replay', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: game-network replay FILE/);
  });
});
