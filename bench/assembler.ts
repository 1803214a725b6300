// Bench child: the lockstep assembler alone, against a plain-loop reference, in one fresh
// process. Both are fed the same events (8 players x N ticks of held-button inputs), made
// as they go, tick by tick.
//
//   node --import tsx bench/assembler.ts '{"players":8,"ticks":200000,"reps":3}'

import { Subject } from 'rxjs';
import { lockstep, type ConfirmedFrame, type LockstepEvent } from '../src/node.js';
import { INPUT_SIZE, childConfig, createController } from './common.js';
import { PlainAssembler, type PlainEvent } from './plainAssembler.js';

export interface AssemblerConfig {
  readonly players: number;
  readonly ticks: number;
  readonly reps: number;
}

export interface AssemblerRun {
  readonly ms: number;
  readonly eventsPerSec: number;
  readonly frames: number;
  readonly checksum: number;
}

export interface AssemblerResult {
  readonly players: number;
  readonly ticks: number;
  readonly reps: number;
  /** The operator as the server configures it (a 2000 ms disconnect timeout). */
  readonly lockstep: AssemblerRun[];
  /** The operator with the timeout off (disconnectTimeoutMs: Infinity). */
  readonly lockstepNoTimeout: AssemblerRun[];
  readonly plain: AssemblerRun[];
  /** The plain loop fed through a Subject, as the operator is: what the plumbing costs. */
  readonly plainViaSubject: AssemblerRun[];
}

const MAX_TICKS_AHEAD = 128;

/** Each player's inputs, a held-buttons pattern, cycled (kept by reference downstream). */
function inputTable(players: number): Uint8Array[][] {
  return Array.from({ length: players }, (_, p) => {
    const next = createController('held', 7 + p);
    return Array.from({ length: 1024 }, () => next());
  });
}

function checksumOf(frame: { tick: number; inputs: readonly (Uint8Array | null)[] }): number {
  const input = frame.inputs[frame.tick % frame.inputs.length];
  return input ? input[0] * 31 + input[1] : 0;
}

function runLockstep(cfg: AssemblerConfig, table: Uint8Array[][], timeout: boolean): AssemblerRun {
  const { players, ticks } = cfg;
  const events = new Subject<LockstepEvent>();
  let frames = 0;
  let checksum = 0;
  const sub = events
    .pipe(
      lockstep({
        maxPlayers: players,
        inputSize: INPUT_SIZE,
        maxTicksAhead: MAX_TICKS_AHEAD,
        disconnectTimeoutMs: timeout ? 2000 : Infinity,
      }),
    )
    .subscribe((frame: ConfirmedFrame) => {
      frames++;
      checksum = (checksum + checksumOf(frame)) | 0;
    });
  for (let p = 0; p < players; p++)
    events.next({ type: 'join', playerId: p, username: `p${p}`, tick: 0 });
  const t0 = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    for (let p = 0; p < players; p++)
      events.next({ type: 'input', playerId: p, tick, input: table[p][tick & 1023] });
  }
  const ms = performance.now() - t0;
  events.complete();
  sub.unsubscribe();
  return { ms, eventsPerSec: (players * ticks) / (ms / 1000), frames, checksum };
}

function runPlain(cfg: AssemblerConfig, table: Uint8Array[][], viaSubject: boolean): AssemblerRun {
  const { players, ticks } = cfg;
  let frames = 0;
  let checksum = 0;
  const asm = new PlainAssembler(players, INPUT_SIZE, MAX_TICKS_AHEAD, (frame) => {
    frames++;
    checksum = (checksum + checksumOf(frame)) | 0;
  });
  const subject = new Subject<PlainEvent>();
  subject.subscribe((e) => asm.push(e));
  const push = viaSubject
    ? (e: PlainEvent): void => subject.next(e)
    : (e: PlainEvent): void => asm.push(e);
  for (let p = 0; p < players; p++) push({ type: 'join', playerId: p, username: `p${p}`, tick: 0 });
  const t0 = performance.now();
  for (let tick = 0; tick < ticks; tick++) {
    for (let p = 0; p < players; p++)
      push({ type: 'input', playerId: p, tick, input: table[p][tick & 1023] });
  }
  const ms = performance.now() - t0;
  subject.complete();
  return { ms, eventsPerSec: (players * ticks) / (ms / 1000), frames, checksum };
}

export function runAssembler(cfg: AssemblerConfig): AssemblerResult {
  const table = inputTable(cfg.players);
  // Warm-up: let the JIT see all four.
  const warm = { ...cfg, ticks: Math.min(cfg.ticks, 20_000) };
  runLockstep(warm, table, true);
  runLockstep(warm, table, false);
  runPlain(warm, table, false);
  runPlain(warm, table, true);
  const result: AssemblerResult = {
    players: cfg.players,
    ticks: cfg.ticks,
    reps: cfg.reps,
    lockstep: [],
    lockstepNoTimeout: [],
    plain: [],
    plainViaSubject: [],
  };
  // Interleaved, so that a noisy neighbour hits all four alike.
  for (let r = 0; r < cfg.reps; r++) {
    result.lockstep.push(runLockstep(cfg, table, true));
    result.lockstepNoTimeout.push(runLockstep(cfg, table, false));
    result.plain.push(runPlain(cfg, table, false));
    result.plainViaSubject.push(runPlain(cfg, table, true));
  }
  const all = [
    ...result.lockstep,
    ...result.lockstepNoTimeout,
    ...result.plain,
    ...result.plainViaSubject,
  ];
  if (!all.every((r) => r.frames === cfg.ticks && r.checksum === all[0].checksum))
    throw new Error('assembler bench: the implementations disagree on the frames');
  return result;
}

if (process.send) {
  try {
    process.send({ type: 'result', result: runAssembler(childConfig<AssemblerConfig>()) });
  } catch (err) {
    process.send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  }
  process.disconnect();
}
