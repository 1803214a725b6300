// Sends one Inputs or Frames datagram of a link as many times as the peer's reported loss calls for, each copy with a sequence number of its own.
import { hasSeqByte, withSeq } from '../protocol/packetSeq.js';
import type { DatagramChannel } from '../transport/Transport.js';
import type { Link } from './Link.js';
import { LossCopies } from './LossCopies.js';

/**
 * The copy decision of `link` (made at its first use, with `maxCopies`).
 * @internal
 */
export function lossCopiesOf<T>(link: Link<T>, maxCopies: number): LossCopies {
  // Kept on the link, for as long as it lives (a new link starts at one copy).
  return (link.copies ??= new LossCopies({ maxCopies, now: link.clock }));
}

/**
 * Sends the Inputs or Frames packet `bytes` of `link` (counted as sent already, with the
 * sequence number `link.meter` gave it) on `channel`, then as many copies more as the loss
 * the peer reports calls for (see {@link LossCopies}; at most `maxCopies` in all). Each copy
 * takes the next sequence number and is counted as a datagram sent, so the peer's loss
 * count, and its report back, is of datagrams on the path: a copy is neither a loss nor a
 * duplicate there, and the report does not fall because the copies get through.
 *
 * With no loss reported it is `channel.send(bytes)`. No copies on a reliable path (the
 * WebSocket fallback), nor for bytes that are not an Inputs or Frames packet.
 *
 * @returns The datagrams sent: 1 + the copies.
 * @internal
 */
export function sendCopies<T>(
  channel: DatagramChannel,
  bytes: Uint8Array,
  link: Link<T>,
  maxCopies: number,
): number {
  channel.send(bytes);
  if (maxCopies <= 1) return 1;
  const { meter } = link;
  const loss = meter.lossOut;
  let decision = link.copies;
  if (decision === undefined) {
    if (!loss) return 1; // never a loss reported on this link: no decision to keep
    decision = lossCopiesOf(link, maxCopies);
  }
  const k = decision.copies(loss);
  if (k === 1 || channel.path === 'websocket' || !hasSeqByte(bytes)) return 1;
  for (let i = 1; i < k; i++) {
    const copy = withSeq(bytes, meter.takeSeq());
    meter.onSent(copy.length);
    channel.send(copy);
  }
  return k;
}
