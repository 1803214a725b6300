// The client's Inputs datagram: the unacknowledged inputs, acks, checksums and link report.
import type { Link } from '../link/Link.js';
import { MessageType, encodeInputsPacket, type CodecContext } from '../protocol/index.js';
import type { ChecksumReports } from './ChecksumReports.js';
import type { TickInput } from './ClientInputs.js';

/** Now and then (every 32nd packet), this side's RTT for the server's statistics. */
function linkReport(link: Link<TickInput>): { rttMs: number; jitterMs: number } | undefined {
  const m = link.meter;
  if ((link.packetsMade & 31) !== 0 || m.srttMs === null || m.rttVarMs === null) return undefined;
  return {
    rttMs: Math.min(0xffff, Math.ceil(m.srttMs)),
    jitterMs: Math.min(0xffff, Math.ceil(m.rttVarMs)),
  };
}

/**
 * The next Inputs packet on `link`, counted as sent: every input not acknowledged yet
 * (from `nextTick` when there is none), the frame ack and the pending checksums. @internal
 */
export function inputsPacket(
  link: Link<TickInput>,
  nextTick: number,
  checksums: ChecksumReports,
  ctx: CodecContext,
  datagramBytes: number,
): Uint8Array {
  const batch = link.outgoing();
  const { bytes } = encodeInputsPacket(
    {
      type: MessageType.Inputs,
      seq: link.meter.takeSeq(),
      // A timestamp in every fourth packet is plenty for the round-trip time.
      sentAt: (link.packetsMade & 3) === 0 ? link.meter.clock16() : undefined,
      frameAck: link.received,
      rxLoss: link.meter.rxLossByte(),
      firstTick: batch.length > 0 ? batch[0].tick : nextTick,
      inputs: batch.map((i) => i.input),
      checksums: checksums.pending,
      linkReport: linkReport(link),
    },
    ctx,
    datagramBytes,
  );
  link.sent(bytes.length);
  return bytes;
}
