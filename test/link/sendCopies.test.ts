import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Link } from '../../src/link/Link.js';
import { LinkMeter } from '../../src/link/LinkMeter.js';
import { lossCopiesOf, sendCopies } from '../../src/link/sendCopies.js';
import { withSeq } from '../../src/protocol/packetSeq.js';
import { createRandom } from '../../src/operators/random.js';
import {
  MessageType,
  decodeClientUdp,
  decodeServerUdp,
  encodeFramesPacket,
  encodeInputsPacket,
  encodeMessage,
  type CodecContext,
  type FramesPacket,
  type InputsPacket,
} from '../../src/protocol/index.js';
import type { DatagramChannel, DatagramPath } from '../../src/transport/Transport.js';
import { NEVER } from 'rxjs';
import { ChecksumReports } from '../../src/client/ChecksumReports.js';
import type { TickInput } from '../../src/client/ClientInputs.js';
import { inputsPacket as clientInputsPacket } from '../../src/client/inputsPacket.js';

const ctx: CodecContext = { inputSize: 2, maxPlayers: 4 };

/** A datagram channel that keeps what is sent. */
function recorder(path?: DatagramPath): DatagramChannel & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return { sent, datagrams$: NEVER, send: (d) => void sent.push(d), close: () => {}, path };
}

function newLink(): Link<number> {
  return new Link<number>({
    key: (t) => t,
    capacity: 64,
    sendFrom: 0,
    receiveFrom: 0,
    resendAfterMs: 25,
    now: () => 0,
  });
}

/** The next Inputs packet of `link`, counted as sent, as the client makes it. */
function inputsOf(link: Link<number>, firstTick = 10): Uint8Array {
  const { bytes } = encodeInputsPacket(
    {
      type: MessageType.Inputs,
      seq: link.meter.takeSeq(),
      frameAck: 3,
      rxLoss: 0,
      firstTick,
      inputs: [Uint8Array.of(1, 2), Uint8Array.of(1, 2), Uint8Array.of(3, 4)],
      checksums: [],
    },
    ctx,
  );
  link.sent(bytes.length);
  return bytes;
}

/** A loss report from the peer, as a packet carries it (0..255). */
function reportLoss<T>(link: Link<T>, byte: number): void {
  link.meter.onPeerLoss(byte);
}

const input = fc.uint8Array({ minLength: 2, maxLength: 2 });

const inputsPacket = fc.record({
  type: fc.constant(MessageType.Inputs),
  seq: fc.integer({ min: 0, max: 127 }),
  frameAck: fc.integer({ min: -1, max: 1000 }),
  rxLoss: fc.integer({ min: 0, max: 255 }),
  firstTick: fc.integer({ min: 1001, max: 5000 }),
  inputs: fc.array(input, { maxLength: 20 }),
  checksums: fc.constant([]),
  sentAt: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
}) satisfies fc.Arbitrary<InputsPacket>;

const framesPacket = fc
  .tuple(
    fc.record({
      seq: fc.integer({ min: 0, max: 127 }),
      echoSentAt: fc.integer({ min: 0, max: 0xffff }),
      echoDelayMs: fc.integer({ min: 0, max: 0xffff }),
      inputAck: fc.integer({ min: -1, max: 100_000 }),
      rxLoss: fc.integer({ min: 0, max: 255 }),
      checksumAck: fc.integer({ min: -1, max: 100_000 }),
      inputLead: fc.option(fc.integer({ min: -32768, max: 32767 }), { nil: undefined }),
    }),
    fc.integer({ min: 0, max: 100_000 }),
    fc.array(fc.array(fc.option(input, { nil: null }), { minLength: 4, maxLength: 4 }), {
      maxLength: 12,
    }),
  )
  .map(([fields, first, frames]): FramesPacket => ({
    type: MessageType.Frames,
    ...fields,
    frames: frames.map((inputs, i) => ({ tick: first + i, inputs })),
  }));

describe('withSeq', () => {
  it('gives an Inputs packet that decodes as the same one with the new seq (property)', () => {
    fc.assert(
      fc.property(inputsPacket, fc.integer({ min: 0, max: 127 }), (p, seq) => {
        const { bytes } = encodeInputsPacket(p, ctx);
        const copy = withSeq(bytes, seq);
        expect(copy).not.toBe(bytes);
        expect(decodeClientUdp(copy, ctx)).toEqual({ ...p, seq });
        expect(decodeClientUdp(bytes, ctx)).toEqual(p); // the original is left as it was
      }),
    );
  });

  it('gives a Frames packet that decodes as the same one with the new seq (property)', () => {
    fc.assert(
      fc.property(framesPacket, fc.integer({ min: 0, max: 127 }), (p, seq) => {
        const { bytes } = encodeFramesPacket(p, ctx);
        expect(decodeServerUdp(withSeq(bytes, seq), ctx)).toEqual(
          decodeServerUdp(encodeFramesPacket({ ...p, seq }, ctx).bytes, ctx),
        );
      }),
    );
  });

  it('refuses what is not an Inputs or Frames packet, and a seq over 7 bits', () => {
    const world = encodeMessage({ type: MessageType.WorldState, seq: 1, data: Uint8Array.of(1) });
    expect(() => withSeq(world, 2)).toThrow(RangeError);
    expect(() => withSeq(Uint8Array.of(1, 2), 2)).toThrow(RangeError);
    expect(() => withSeq(inputsOf(newLink()), 128)).toThrow(RangeError);
  });
});

describe('sendCopies', () => {
  it('sends the packet once while the peer reports no loss', () => {
    const link = newLink();
    const channel = recorder('udp');
    const bytes = inputsOf(link);
    expect(sendCopies(channel, bytes, link, 4)).toBe(1); // no report yet
    reportLoss(link, 0);
    const next = inputsOf(link);
    expect(sendCopies(channel, next, link, 4)).toBe(1);
    expect(channel.sent).toEqual([bytes, next]);
    expect(channel.sent[0]).toBe(bytes); // the bytes themselves: no copy made
    expect(link.meter.packetsSent).toBe(2);
  });

  it('sends copies under loss, each with the next seq, each counted as sent', () => {
    const link = newLink();
    const channel = recorder();
    reportLoss(link, 13); // 5.1%: three copies
    const bytes = inputsOf(link);
    expect(sendCopies(channel, bytes, link, 4)).toBe(3);
    const sent = channel.sent.map((d) => decodeClientUdp(d, ctx));
    expect(sent.map((p) => p.seq)).toEqual([0, 1, 2]);
    for (const p of sent) expect({ ...p, seq: 0 }).toEqual(sent[0]);
    expect(link.meter.packetsSent).toBe(3);
    expect(link.meter.bytesSent).toBe(3 * bytes.length);
    // The next packet goes on from there.
    expect(decodeClientUdp(inputsOf(link), ctx).seq).toBe(3);
  });

  it('sends at most maxCopies, whatever the peer claims', () => {
    const link = newLink();
    const channel = recorder();
    reportLoss(link, 255); // every datagram lost, it says
    expect(sendCopies(channel, inputsOf(link), link, 4)).toBe(4);
    const other = newLink();
    reportLoss(other, 255);
    expect(sendCopies(channel, inputsOf(other), other, 1)).toBe(1);
    expect(channel.sent).toHaveLength(5);
  });

  it('sends no copies on a reliable path (the WebSocket fallback)', () => {
    const link = newLink();
    const channel = recorder('websocket');
    reportLoss(link, 51);
    expect(sendCopies(channel, inputsOf(link), link, 4)).toBe(1);
    expect(channel.sent).toHaveLength(1);
  });

  it('keeps one decision per link: a new link starts at one copy', () => {
    const link = newLink();
    reportLoss(link, 51);
    expect(sendCopies(recorder(), inputsOf(link), link, 5)).toBe(5);
    expect(lossCopiesOf(link, 5).current).toBe(5);
    const fresh = newLink();
    reportLoss(fresh, 0);
    expect(sendCopies(recorder(), inputsOf(fresh), fresh, 5)).toBe(1);
  });
});

describe('copies at the receiving meter', () => {
  /**
   * `packets` Inputs packets from a link whose peer reports `reportedByte`, over a path that
   * loses each datagram with probability `loss` (seeded); the receiver's meter is fed what
   * arrives. Returns the datagrams sent, the loss the meter counts, the path's loss over the
   * datagrams from the first received to the last (what a receiver can know of), and how
   * many packets (distinct ticks) got through.
   */
  function overPath(
    packets: number,
    reportedByte: number,
    loss: number,
    seed: number,
  ): { sent: number; counted: number; pathLoss: number; receivedPackets: number } {
    const link = newLink();
    reportLoss(link, reportedByte);
    const channel = recorder();
    const receiver = new LinkMeter(() => 0);
    const random = createRandom(seed);
    const distinct = new Set<number>();
    let index = 0;
    let first = -1;
    let last = -1;
    let received = 0;
    for (let i = 0; i < packets; i++) {
      channel.sent.length = 0;
      sendCopies(channel, inputsOf(link, 10 + i), link, 5);
      for (const d of channel.sent) {
        const at = index++;
        if (random() < loss) continue;
        if (first < 0) first = at;
        last = at;
        received++;
        const p = decodeClientUdp(d, ctx);
        distinct.add(p.firstTick);
        receiver.onReceived(d.length, p.seq, p.sentAt);
      }
    }
    return {
      sent: link.meter.packetsSent,
      counted: receiver.takeReceiveLoss(),
      pathLoss: first < 0 ? 0 : 1 - received / (last - first + 1),
      receivedPackets: distinct.size,
    };
  }

  it('counts no copy as a loss or a duplicate on a clean path', () => {
    for (const byte of [0, 3, 13, 51, 255]) {
      const r = overPath(300, byte, 0, 1);
      expect(r.counted).toBe(0);
      expect(r.receivedPackets).toBe(300);
    }
  });

  it('counts the loss of the path, datagram by datagram, not what the copies leave (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.integer(),
        (byte, loss, seed) => {
          const r = overPath(200, byte, loss, seed);
          expect(r.counted).toBeCloseTo(r.pathLoss, 12);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads 20% loss as 20% with five copies, which deliver nearly every packet', () => {
    const r = overPath(2000, 51, 0.2, 7);
    expect(r.sent).toBe(10_000);
    expect(r.counted).toBeGreaterThan(0.18);
    expect(r.counted).toBeLessThan(0.22);
    // 0.2^5: about 0.6 of 2000 packets lose every copy.
    expect(r.receivedPackets).toBeGreaterThanOrEqual(1995);
  });
});

describe('what every n-th packet carries, under copies', () => {
  it('puts sentAt in every 4th packet made and a link report in every 32nd, whatever the copies', () => {
    const link = new Link<TickInput>({
      key: (i) => i.tick,
      capacity: 64,
      sendFrom: 0,
      receiveFrom: 0,
      resendAfterMs: 25,
      now: () => 1000,
    });
    link.meter.onEcho(link.meter.clock16() - 20, 0); // an RTT measured: link reports can go
    const channel = recorder();
    const checksums = new ChecksumReports();
    const made: InputsPacket[] = [];
    for (let i = 0; i < 64; i++) {
      // 2% loss reported: two copies of each packet (k even: a count of datagrams would skip
      // every multiple of 4 from an odd start).
      reportLoss(link, 5);
      const bytes = clientInputsPacket(link, i, checksums, ctx, 1200);
      made.push(decodeClientUdp(bytes, ctx));
      sendCopies(channel, bytes, link, 5);
      if (i === 0) link.meter.onSent(1); // an odd start
    }
    expect(channel.sent.length).toBeGreaterThan(100); // the copies went out
    made.forEach((p, i) => {
      expect(p.sentAt !== undefined).toBe(i % 4 === 0);
      expect(p.linkReport !== undefined).toBe(i % 32 === 0);
    });
  });
});
