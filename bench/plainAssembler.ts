// The reference of the assembler figure: the same assembly as the lockstep operator, as a
// plain loop (a Map of per-tick arrays, emit when complete), with the same checks on the
// way in, and none of RxJS.

export interface PlainFrame {
  readonly tick: number;
  readonly inputs: (Uint8Array | null)[];
  readonly joined?: { playerId: number; username: string }[];
}

interface Pending {
  readonly inputs: (Uint8Array | null)[];
  count: number;
}

export type PlainEvent =
  | { type: 'input'; playerId: number; tick: number; input: Uint8Array }
  | { type: 'join'; playerId: number; username: string; tick: number };

export class PlainAssembler {
  private head = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly players: ({ playerId: number; username: string; joinTick: number } | null)[];
  private active = 0;

  constructor(
    private readonly maxPlayers: number,
    private readonly inputSize: number,
    private readonly maxTicksAhead: number,
    private readonly onFrame: (frame: PlainFrame) => void,
  ) {
    this.players = new Array<null>(maxPlayers).fill(null);
  }

  push(event: PlainEvent): void {
    if (event.type === 'join') this.join(event.playerId, event.username, event.tick);
    else this.input(event.playerId, event.tick, event.input);
  }

  private join(playerId: number, username: string, tick: number): void {
    if (!Number.isInteger(playerId) || playerId < 0 || playerId >= this.maxPlayers) return;
    if (this.players[playerId] !== null || tick !== this.head) return;
    this.players[playerId] = { playerId, username, joinTick: tick };
    this.active++;
  }

  private input(playerId: number, tick: number, input: Uint8Array): void {
    if (tick < this.head) return;
    if (!Number.isSafeInteger(tick) || tick >= this.head + this.maxTicksAhead) return;
    const player = Number.isInteger(playerId) ? this.players[playerId] : undefined;
    if (!player || tick < player.joinTick || input.length !== this.inputSize) return;
    let frame = this.pending.get(tick);
    if (frame === undefined) {
      frame = { inputs: new Array<Uint8Array | null>(this.maxPlayers).fill(null), count: 0 };
      this.pending.set(tick, frame);
    }
    if (frame.inputs[playerId] !== null) return; // a duplicate
    frame.inputs[playerId] = input;
    frame.count++;
    while ((frame = this.pending.get(this.head)) !== undefined && frame.count === this.active) {
      this.pending.delete(this.head);
      const tick = this.head++;
      const joined = this.players.filter(
        (p): p is { playerId: number; username: string; joinTick: number } =>
          p !== null && p.joinTick === tick,
      );
      this.onFrame(
        joined.length > 0 ? { tick, inputs: frame.inputs, joined } : { tick, inputs: frame.inputs },
      );
    }
  }
}
