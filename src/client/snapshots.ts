// The state snapshots a client sends (after a desync; the world the server asks for), bounded in size.
import type { Warn } from '../link/serviceDatagrams.js';
import { Limits, MessageType, type ClientTcpMessage } from '../protocol/index.js';
import type { ResolvedConnectOptions } from './options.js';

/** How a failure to take a snapshot is reported. @internal */
export interface SnapshotWarnings {
  /** The code when the function throws. */
  readonly threwCode: Parameters<Warn>[0];
  /** What threw, for the message (`the snapshot function`). */
  readonly what: string;
  /** The code when the snapshot is over `Limits.maxSnapshotBytes`. */
  readonly tooBigCode: Parameters<Warn>[0];
}

/**
 * The game's snapshot for `tick`, from `give` (if the game gives one): undefined, with a
 * warning, when it throws or is too big to send.
 */
function takeSnapshot(
  give: ((tick: number) => Uint8Array | undefined) | undefined,
  tick: number,
  warn: Warn,
  warnings: SnapshotWarnings,
): Uint8Array | undefined {
  let data: Uint8Array | undefined;
  try {
    data = give?.(tick);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    warn(warnings.threwCode, `${warnings.what} threw: ${error.message}`, { error });
    return undefined;
  }
  if (data && data.length <= Limits.maxSnapshotBytes) return data;
  if (data) warn(warnings.tooBigCode, `snapshot over ${Limits.maxSnapshotBytes} bytes not sent`);
  return undefined;
}

/** The snapshots a client sends: after a desync, and the world the server asked for. @internal */
export class Snapshots {
  /** A snapshot the server asked for: the tick it is of. */
  private asked: number | undefined;

  constructor(
    private readonly options: ResolvedConnectOptions,
    private readonly warn: Warn,
    private readonly sendTcp: (msg: ClientTcpMessage) => void,
  ) {}

  /** After a desync: this player's state snapshot for the desync tick, if the game gives one. */
  desync(tick: number): void {
    const data = takeSnapshot(this.options.snapshot, tick, this.warn, {
      threwCode: 'snapshot-failed',
      what: 'the snapshot function',
      tooBigCode: 'buffer-full',
    });
    if (data) this.sendTcp({ type: MessageType.Snapshot, tick, data });
  }

  /** The server asks for the world before frame `tick` (frame `lastDelivered` is delivered). */
  requested(tick: number, lastDelivered: number): void {
    if (tick > lastDelivered + 1 && this.options.provideSnapshot) this.asked = tick;
  }

  /** Frame `tick` was delivered: the world before `tick + 1` is sent if it was asked for. */
  delivered(tick: number): void {
    if (this.asked === tick + 1) this.sendWorld(tick + 1);
  }

  /** The server asked for the world before frame `tick`: it is now (frame `tick - 1` delivered). */
  private sendWorld(tick: number): void {
    this.asked = undefined;
    const data = takeSnapshot(this.options.provideSnapshot, tick, this.warn, {
      threwCode: 'provide-snapshot-failed',
      what: 'provideSnapshot',
      tooBigCode: 'provide-snapshot-failed',
    });
    if (data) this.sendTcp({ type: MessageType.SnapshotOffer, tick, data });
  }
}
