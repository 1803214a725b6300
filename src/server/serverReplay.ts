// The server's replay file (option `recordReplays`): every frame, accepted checksum, desync and snapshot.
import { filter, map, merge, type Observable } from 'rxjs';
import { join } from 'node:path';
import { recordReplayFile, type ReplayFileRecording } from '../replay/recordReplayFile.js';
import type { ReplayReport } from '../replay/types.js';
import type { ServerNetworkEvent, SnapshotEvent } from '../events.js';
import type { Warn } from '../link/serviceDatagrams.js';
import type { Match } from '../match/Match.js';
import type { ResolvedServerOptions } from './options.js';

/** Records every frame, accepted checksum, desync and snapshot of the match to a file. */
export function recordServerReplay(
  match: Match,
  options: ResolvedServerOptions,
  events$: Observable<ServerNetworkEvent>,
  warn: Warn,
): ReplayFileRecording | undefined {
  const record = options.recordReplays;
  if (record === undefined) return undefined;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = `match-${stamp}-${Math.random().toString(36).slice(2, 8)}.gnreplay`;
  const reports$: Observable<ReplayReport> = merge(
    match.checksums$.pipe(map((c) => ({ type: 'checksum' as const, ...c }))),
    match.desync$,
    events$.pipe(filter((e): e is SnapshotEvent => e.type === 'snapshot')),
  );
  const recording = recordReplayFile(match.frames$, join(record.dir, name), {
    tickRate: options.tickRate,
    inputSize: options.inputSize,
    maxPlayers: options.maxPlayers,
    ...(record.metadata === undefined ? {} : { metadata: record.metadata }),
    reports$,
  });
  recording.closed.catch((err: unknown) =>
    warn('socket-error', `replay file ${recording.path}: ${String(err)}`),
  );
  return recording;
}
