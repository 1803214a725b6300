// `game-network replay FILE`: a replay file's header and summary, `--verify` and `--frames A..B`.
import { readFileSync } from 'node:fs';
import { readReplay, type ReplayFile } from '../replay/readReplay.js';
import { ReplayError } from '../replay/ReplayError.js';
import type { ReplayCommandOptions } from './args.js';
import { formatBytes, formatChecksum, formatSeconds, plural, type CliIO } from './format.js';
import { verifyReplay } from './replayVerify.js';

/** One player's time in the match, from the header and the frames. */
interface Stint {
  readonly playerId: number;
  readonly username: string;
  readonly from: number;
  to?: number;
  reason?: string;
}

/**
 * Runs `game-network replay`: prints the header and summary; with `--verify`, the check of
 * the recorded checksums; with `--frames`, those frames.
 * @returns 0, or 1 for a file that cannot be read or a checksum mismatch.
 */
export function runReplayCommand(options: ReplayCommandOptions, io: CliIO): number {
  const out = (line = ''): void => io.stdout.write(`${line}\n`);
  let bytes: Uint8Array;
  let replay: ReplayFile;
  try {
    bytes = new Uint8Array(readFileSync(options.file));
    replay = readReplay(bytes);
  } catch (err) {
    const why =
      err instanceof ReplayError
        ? `${err.message} [${err.code}]`
        : err instanceof Error
          ? err.message
          : String(err);
    io.stderr.write(`game-network replay: ${options.file}: ${why}\n`);
    return 1;
  }
  const h = replay.header;
  const stints: Stint[] = h.players.map((p) => ({ ...p, from: h.startTick }));
  const open = new Map<number, Stint>(stints.map((s) => [s.playerId, s]));
  for (const frame of replay.frames()) {
    for (const p of frame.joined ?? []) {
      const s: Stint = { ...p, from: frame.tick };
      stints.push(s);
      open.set(p.playerId, s);
    }
    for (const p of frame.left ?? []) {
      const s = open.get(p.playerId);
      if (s) {
        s.to = frame.tick;
        s.reason = p.reason;
        open.delete(p.playerId);
      }
    }
  }
  const checksums = replay.reports.filter((r) => r.type === 'checksum').length;
  const desyncs = replay.reports.filter((r) => r.type === 'desync');
  const snapshots = replay.reports.filter((r) => r.type === 'snapshot').length;
  out(`replay ${options.file} (${formatBytes(bytes.length)})`);
  out(`  format version    ${h.formatVersion}, protocol version ${h.protocolVersion}`);
  out(`  tick rate         ${h.tickRate} Hz`);
  out(`  input size        ${h.inputSize} bytes`);
  out(`  max players       ${h.maxPlayers}`);
  out(`  start tick        ${h.startTick}`);
  out(`  metadata          ${h.metadata.length} bytes`);
  out(
    `  frames            ${replay.frameCount}` +
      (replay.frameCount > 0 ? ` (ticks ${h.startTick}..${replay.lastTick})` : ''),
  );
  out(`  duration          ${formatSeconds((replay.frameCount * 1000) / h.tickRate)}`);
  out(
    `  bytes per frame   ${replay.frameCount > 0 ? (bytes.length / replay.frameCount).toFixed(2) : '-'}`,
  );
  out(`  players           ${stints.length}`);
  for (const s of stints)
    out(
      `    ${String(s.playerId).padStart(3)} ${s.username.padEnd(20)} ticks ${s.from}..` +
        (s.to === undefined ? `${replay.lastTick}` : `${s.to - 1}, left at ${s.to} (${s.reason})`),
    );
  out(`  checksums         ${checksums}`);
  out(`  snapshots         ${snapshots}`);
  out(`  desyncs           ${desyncs.length === 0 ? 'none' : desyncs.length}`);
  for (const d of desyncs)
    out(
      `    tick ${d.tick}: ` +
        d.checksums.map((c) => `player ${c.playerId} ${formatChecksum(c.checksum)}`).join(', '),
    );

  let exitCode = 0;
  if (options.verify) {
    const v = verifyReplay(replay);
    out();
    out(`verify: the demo's simulation over ${plural(replay.frameCount, 'frame')}`);
    out(`  final checksum    ${formatChecksum(v.finalChecksum)}`);
    out(`  compared          ${plural(v.compared, 'checksum')}`);
    if (v.outside > 0) out(`  not compared      ${v.outside} (ticks with no frame)`);
    if (v.mismatches.length === 0) out('  result            every recorded checksum matches');
    else {
      exitCode = 1;
      out(
        `  result            ${v.mismatches.length === 1 ? '1 mismatch' : `${v.mismatches.length} mismatches`}`,
      );
      for (const m of v.mismatches.slice(0, 10))
        out(
          `    tick ${m.tick} player ${m.playerId}: recorded ${formatChecksum(m.recorded)}, ` +
            `simulated ${formatChecksum(m.simulated)}`,
        );
    }
  }

  if (options.frames) {
    const { from, to } = options.frames;
    out();
    out(`frames ${from}..${Math.min(to, replay.lastTick)}:`);
    for (const frame of replay.frames(from)) {
      if (frame.tick > to) break;
      const inputs = frame.inputs
        .map((input) => (input === null ? '-' : Buffer.from(input).toString('hex')))
        .join(' ');
      const events = [
        ...(frame.joined ?? []).map((p) => `+${p.playerId}:${p.username}`),
        ...(frame.left ?? []).map((p) => `-${p.playerId}:${p.username}(${p.reason})`),
      ];
      out(
        `  ${String(frame.tick).padStart(8)}  ${inputs}${events.length ? `  ${events.join(' ')}` : ''}`,
      );
    }
  }
  return exitCode;
}
