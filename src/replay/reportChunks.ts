// The payloads of the report chunks: Checksums, Desync and Snapshot.
import { disagreeingPlayers } from '../match/Desync.js';
import type { DesyncEvent, SnapshotEvent } from '../events.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { ReplayLimits } from './format.js';
import type { ChecksumEvent } from './types.js';

/** Checksums: `count u16`, then per entry `tick u32, playerId u8, checksum u32` (9 bytes). */
export function encodeChecksums(list: readonly ChecksumEvent[]): Uint8Array {
  const w = new ByteWriter(2 + list.length * 9);
  w.u16(list.length);
  for (const c of list) {
    w.u32(c.tick);
    w.u8(c.playerId);
    w.u32(c.checksum);
  }
  return w.toBytes();
}

export function decodeChecksums(r: ByteReader, maxPlayers: number): ChecksumEvent[] {
  const count = r.u16('checksum count');
  if (count * 9 !== r.remaining)
    r.fail(`${count} checksums need ${count * 9} bytes, the chunk has ${r.remaining}`);
  const out: ChecksumEvent[] = [];
  for (let i = 0; i < count; i++) {
    const tick = r.u32('checksum tick');
    const at = r.offset;
    const playerId = r.ranged(r.u8('playerId'), 0, maxPlayers - 1, 'playerId', at);
    out.push({ type: 'checksum', playerId, tick, checksum: r.u32('checksum') });
  }
  return out;
}

/** Desync: `tick u32, count u16`, then per player `playerId u8, checksum u32`. */
export function encodeDesync(event: DesyncEvent): Uint8Array {
  const w = new ByteWriter(6 + event.checksums.length * 5);
  w.u32(event.tick);
  w.u16(event.checksums.length);
  for (const c of event.checksums) {
    w.u8(c.playerId);
    w.u32(c.checksum);
  }
  return w.toBytes();
}

export function decodeDesync(r: ByteReader, maxPlayers: number): DesyncEvent {
  const tick = r.u32('desync tick');
  let at = r.offset;
  const count = r.ranged(r.u16('desync count'), 0, maxPlayers, 'desync count', at);
  if (count * 5 !== r.remaining)
    r.fail(`${count} desync entries need ${count * 5} bytes, the chunk has ${r.remaining}`);
  const checksums: { playerId: number; checksum: number }[] = [];
  for (let i = 0; i < count; i++) {
    at = r.offset;
    const playerId = r.ranged(r.u8('playerId'), 0, maxPlayers - 1, 'playerId', at);
    checksums.push({ playerId, checksum: r.u32('checksum') });
  }
  return { type: 'desync', tick, checksums, disagreeing: disagreeingPlayers(checksums) };
}

/** Snapshot: `playerId u8, tick u32, length u32, data` (the state after frame `tick`). */
export function encodeSnapshot(event: SnapshotEvent): Uint8Array {
  const w = new ByteWriter(9 + event.data.length);
  w.u8(event.playerId);
  w.u32(event.tick);
  w.u32(event.data.length);
  w.bytes(event.data);
  return w.toBytes();
}

export function decodeSnapshot(r: ByteReader, maxPlayers: number): SnapshotEvent {
  let at = r.offset;
  const playerId = r.ranged(r.u8('playerId'), 0, maxPlayers - 1, 'playerId', at);
  const tick = r.u32('snapshot tick');
  at = r.offset;
  const length = r.ranged(
    r.u32('snapshot length'),
    0,
    ReplayLimits.maxChunkBytes,
    'snapshot length',
    at,
  );
  const data = r.bytesOf(length, 'snapshot data').slice();
  r.expectEnd('the Snapshot chunk');
  return { type: 'snapshot', playerId, tick, data };
}
