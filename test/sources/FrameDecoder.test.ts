import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageTooLargeError, TruncatedMessageError } from '../../src/errors.js';
import { FrameDecoder } from '../../src/sources/FrameDecoder.js';
import { frameMessage } from '../../src/sources/fromTcpSocket.js';

/** Concatenates byte arrays. */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Cuts `bytes` at the given (sorted, in-range) positions. */
function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** Feeds every chunk to a fresh decoder and returns what it emitted. */
function decodeAll(chunks: readonly Uint8Array[], maxMessageBytes = 65_536): Uint8Array[] {
  const decoder = new FrameDecoder(maxMessageBytes);
  const out: Uint8Array[] = [];
  for (const chunk of chunks) decoder.push(chunk, (m) => out.push(m));
  return out;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('FrameDecoder', () => {
  it('decodes one message in one chunk', () => {
    expect(decodeAll([frameMessage(bytes(1, 2, 3))])).toEqual([bytes(1, 2, 3)]);
  });

  it('decodes many messages in one chunk, zero-length ones included', () => {
    const messages = [bytes(1), bytes(), bytes(2, 3), bytes(), bytes()];
    expect(decodeAll([concat(messages.map(frameMessage))])).toEqual(messages);
  });

  it('decodes a message fed one byte at a time, prefix included', () => {
    const frame = frameMessage(bytes(9, 8, 7, 6, 5));
    const chunks = Array.from(frame, (b) => bytes(b));
    expect(decodeAll(chunks)).toEqual([bytes(9, 8, 7, 6, 5)]);
  });

  it('decodes a prefix split across chunks followed by the body and the next message', () => {
    const stream = concat([frameMessage(bytes(1, 2)), frameMessage(bytes(3))]);
    // [0 0] [0 2 1] [2 0 0 0 1 3]
    expect(decodeAll(splitAt(stream, [2, 5]))).toEqual([bytes(1, 2), bytes(3)]);
  });

  it('ignores empty chunks', () => {
    const frame = frameMessage(bytes(4));
    expect(decodeAll([bytes(), frame.subarray(0, 2), bytes(), frame.subarray(2), bytes()])).toEqual(
      [bytes(4)],
    );
  });

  it('reads the length as unsigned big-endian', () => {
    const decoder = new FrameDecoder(0x100);
    decoder.push(bytes(0, 0, 1, 0), () => undefined); // 256: at the limit, accepted
    expect(decoder.pendingBytes).toBe(4);
    const big = new FrameDecoder(0xffff_fffe);
    // toThrow(error) compares messages, which carry the length read: 4294967295, not -1.
    expect(() => big.push(bytes(0xff, 0xff, 0xff, 0xff), () => {})).toThrow(
      new MessageTooLargeError(0xffff_ffff, 0xffff_fffe),
    );
  });

  it('emits fresh buffers that do not alias the chunk or each other', () => {
    const chunk = concat([frameMessage(bytes(1, 2)), frameMessage(bytes(3, 4))]);
    const out = decodeAll([chunk]);
    chunk.fill(0);
    expect(out).toEqual([bytes(1, 2), bytes(3, 4)]);
    expect(out[0].buffer).not.toBe(out[1].buffer);
    expect(out[0].buffer).not.toBe(chunk.buffer);
  });

  it('does not alias the buffer of a message assembled over several chunks', () => {
    const stream = concat([frameMessage(bytes(1, 2, 3)), frameMessage(bytes(4, 5, 6))]);
    const out = decodeAll(splitAt(stream, [5, 9]));
    expect(out).toEqual([bytes(1, 2, 3), bytes(4, 5, 6)]);
    expect(out[0].buffer).not.toBe(out[1].buffer);
  });

  it('has its state up to date when it calls onMessage (re-entrancy)', () => {
    const decoder = new FrameDecoder(100);
    const seen: number[] = [];
    const stream = concat([frameMessage(bytes(1)), frameMessage(bytes(2, 3))]);
    decoder.push(stream.subarray(0, 8), () => seen.push(decoder.pendingBytes));
    expect(seen).toEqual([0]);
    expect(decoder.pendingBytes).toBe(3); // 3 bytes of the second frame's prefix
  });

  describe('a length over maxMessageBytes', () => {
    it('throws MessageTooLargeError as soon as the prefix is read, before the body', () => {
      const decoder = new FrameDecoder(10);
      const seen: Uint8Array[] = [];
      // A good message, then a prefix announcing 11 bytes, then some of its body.
      const chunk = concat([frameMessage(bytes(1)), bytes(0, 0, 0, 11, 1, 2, 3)]);
      let thrown: unknown;
      try {
        decoder.push(chunk, (m) => seen.push(m));
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(MessageTooLargeError);
      expect(thrown).toMatchObject({
        name: 'MessageTooLargeError',
        length: 11,
        maxMessageBytes: 10,
      });
      expect(seen).toEqual([bytes(1)]); // the message before it was delivered
      expect(decoder.pendingBytes).toBe(0); // nothing of the body was kept
      expect(() => decoder.push(bytes(4), () => {})).toThrow(MessageTooLargeError); // for good
    });

    it('never allocates for a 4 GB prefix split across chunks', () => {
      const decoder = new FrameDecoder(65_536);
      decoder.push(bytes(0xff, 0xff), () => {});
      expect(() => decoder.push(bytes(0xff, 0xff, 0, 0), () => {})).toThrow(
        new MessageTooLargeError(0xffff_ffff, 65_536),
      );
    });

    it('accepts a length equal to the limit, and a limit of 0 allows only empty messages', () => {
      expect(decodeAll([frameMessage(new Uint8Array(16))], 16)).toEqual([new Uint8Array(16)]);
      expect(decodeAll([frameMessage(bytes())], 0)).toEqual([bytes()]);
      expect(() => decodeAll([frameMessage(bytes(1))], 0)).toThrow(MessageTooLargeError);
    });
  });

  describe('end()', () => {
    it('is undefined at a message boundary', () => {
      const decoder = new FrameDecoder(100);
      expect(decoder.end()).toBeUndefined();
      decoder.push(frameMessage(bytes(1, 2)), () => {});
      expect(decoder.end()).toBeUndefined();
    });

    it('reports a truncated body, counting the prefix', () => {
      const decoder = new FrameDecoder(100);
      decoder.push(frameMessage(bytes(1, 2, 3, 4, 5, 6)).subarray(0, 7), () => {});
      const err = decoder.end();
      expect(err).toBeInstanceOf(TruncatedMessageError);
      expect(err).toMatchObject({ receivedBytes: 7, expectedBytes: 10 });
    });

    it('reports a truncated prefix', () => {
      const decoder = new FrameDecoder(100);
      decoder.push(bytes(0, 0), () => {});
      expect(decoder.end()).toMatchObject({ receivedBytes: 2, expectedBytes: 4 });
    });
  });

  it('rejects a bad maxMessageBytes', () => {
    expect(() => new FrameDecoder(-1)).toThrow(RangeError);
    expect(() => new FrameDecoder(1.5)).toThrow(RangeError);
    expect(() => new FrameDecoder(Number.NaN)).toThrow(RangeError);
  });

  describe('properties', () => {
    const payloads = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 });
    /** A stream of framed payloads and sorted cut positions within it. */
    const splitStream = payloads.chain((messages) => {
      const stream = concat(messages.map(frameMessage));
      return fc
        .uniqueArray(fc.nat({ max: stream.length }), { maxLength: 40 })
        .map((cuts) => ({ messages, stream, cuts: [...cuts].sort((a, b) => a - b) }));
    });

    it('any split of a sequence of framed messages yields the same messages', () => {
      fc.assert(
        fc.property(splitStream, ({ messages, stream, cuts }) => {
          const decoder = new FrameDecoder(300);
          const out: Uint8Array[] = [];
          for (const chunk of splitAt(stream, cuts)) decoder.push(chunk, (m) => out.push(m));
          expect(out).toEqual(messages);
          expect(decoder.pendingBytes).toBe(0);
          expect(decoder.end()).toBeUndefined();
        }),
        { numRuns: 500 },
      );
    });

    it('a stream cut short inside a frame ends with TruncatedMessageError, else cleanly', () => {
      fc.assert(
        fc.property(
          payloads.filter((m) => m.length > 0),
          fc.nat(),
          (messages, cutSeed) => {
            const frames = messages.map(frameMessage);
            const stream = concat(frames);
            const cut = cutSeed % (stream.length + 1);
            const boundaries = new Set<number>([0]);
            let total = 0;
            for (const f of frames) boundaries.add((total += f.length));
            const decoder = new FrameDecoder(300);
            decoder.push(stream.subarray(0, cut), () => {});
            const err = decoder.end();
            if (boundaries.has(cut)) expect(err).toBeUndefined();
            else expect(err).toBeInstanceOf(TruncatedMessageError);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
