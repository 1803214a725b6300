import type * as net from 'node:net';
import { Observable } from 'rxjs';
import { ConnectionError, MessageTooLargeError } from '../errors.js';
import { FrameDecoder, LENGTH_PREFIX_BYTES, MAX_FRAME_LENGTH } from './FrameDecoder.js';

/** Options of {@link fromTcpSocket}. */
export interface TcpMessageOptions {
  /**
   * The largest message payload accepted, in bytes. A peer announcing more gets its socket
   * destroyed and the Observable errors with {@link MessageTooLargeError}.
   * Default: 65536 (64 KiB).
   */
  maxMessageBytes?: number;
}

/** Default of {@link TcpMessageOptions.maxMessageBytes}: 64 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;

/**
 * Turns a connected TCP socket into an Observable of whole length-prefixed messages.
 *
 * TCP delivers a byte stream, not messages: one `'data'` chunk may hold half a message, or
 * many. Each message on the wire is a 4-byte big-endian unsigned length followed by that many
 * payload bytes (see {@link frameMessage}); this source reassembles them and emits each payload
 * once it is whole, in order. Zero-length messages are allowed. Each payload is a fresh buffer
 * (never reused), so it may be kept.
 *
 * - `next`: one whole payload.
 * - `complete`: the socket closed at a message boundary (`'end'` then `'close'`, or a local
 *   `destroy()` between messages). Subscribing to an already closed socket completes at once.
 * - `error` {@link MessageTooLargeError}: a length prefix over `maxMessageBytes`. The socket is
 *   destroyed at once (only this socket), and the announced body is never buffered.
 * - `error` {@link TruncatedMessageError}: the stream ended in the middle of a message (byte
 *   counts include the 4-byte prefix).
 * - `error` {@link ConnectionError}: the socket emitted `'error'` (the Node error is `cause`).
 *
 * Teardown removes the listeners this subscription added and leaves the socket open: whoever
 * opened it closes it. Each subscription frames the stream on its own from the moment it
 * starts, and bytes that arrive while nobody listens are lost, so subscribe once per socket
 * (right after connecting or accepting) and `share()` the result if several consumers need it.
 * Once this Observable has stopped, Node throws socket `'error'`s that no listener takes: keep
 * a listener of your own if the socket outlives the subscription. The socket must not have an
 * encoding set (`setEncoding`): chunks must be Buffers.
 *
 * @example
 * const socket = await connectTcp({ host: '127.0.0.1', port });
 * fromTcpSocket(socket, { maxMessageBytes: 4096 }).subscribe({
 *   next: (payload) => console.log('message of', payload.length, 'bytes'),
 *   error: (err) => console.error(err), // MessageTooLargeError, TruncatedMessageError, ConnectionError
 *   complete: () => console.log('closed'),
 * });
 * writeMessage(socket, new TextEncoder().encode('hello'));
 *
 * @param socket A connected (or connecting) TCP socket, in binary mode.
 * @param options `maxMessageBytes` (default 65536).
 * @returns A cold Observable of message payloads; each subscription adds its own listeners.
 */
export function fromTcpSocket(
  socket: net.Socket,
  options: TcpMessageOptions = {},
): Observable<Uint8Array> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (
    !Number.isInteger(maxMessageBytes) ||
    maxMessageBytes < 0 ||
    maxMessageBytes > MAX_FRAME_LENGTH
  ) {
    throw new RangeError(
      `maxMessageBytes must be an integer from 0 to ${MAX_FRAME_LENGTH}, got ${maxMessageBytes}`,
    );
  }
  return new Observable<Uint8Array>((subscriber) => {
    if (socket.closed) {
      subscriber.complete();
      return undefined;
    }
    const decoder = new FrameDecoder(maxMessageBytes);
    const emit = (payload: Uint8Array): void => subscriber.next(payload);
    const onData = (chunk: Buffer): void => {
      try {
        decoder.push(chunk, emit);
      } catch (err) {
        // Only MessageTooLargeError can come out of push: this peer cannot be trusted any more.
        socket.destroy();
        subscriber.error(err);
      }
    };
    const onEnd = (): void => {
      // No more bytes will come: a half-received message can never be completed.
      const truncated = decoder.end();
      if (truncated !== undefined) subscriber.error(truncated);
    };
    const onClose = (): void => {
      const truncated = decoder.end();
      if (truncated !== undefined) subscriber.error(truncated);
      else subscriber.complete();
    };
    const onError = (err: Error): void => {
      subscriber.error(new ConnectionError(`TCP socket error: ${err.message}`, { cause: err }));
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', onClose);
    socket.on('error', onError);
    return () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
  });
}

/**
 * Frames one message: the 4-byte big-endian length prefix followed by the payload, in one
 * buffer.
 *
 * The wire format {@link fromTcpSocket} reads. Use it to build a frame by hand (to batch
 * frames, or in tests); {@link writeMessage} frames and writes in one go.
 *
 * @example
 * frameMessage(Uint8Array.of(7, 8)); // Uint8Array [0, 0, 0, 2, 7, 8]
 *
 * @param payload The message bytes (copied, not kept).
 * @returns A new buffer of `4 + payload.length` bytes.
 * @throws {MessageTooLargeError} if the payload is longer than a 4-byte prefix can say
 * (0xFFFFFFFF bytes).
 */
export function frameMessage(payload: Uint8Array): Uint8Array {
  const length = payload.length;
  if (length > MAX_FRAME_LENGTH) throw new MessageTooLargeError(length, MAX_FRAME_LENGTH);
  const frame = new Uint8Array(LENGTH_PREFIX_BYTES + length);
  new DataView(frame.buffer).setUint32(0, length, false);
  frame.set(payload, LENGTH_PREFIX_BYTES);
  return frame;
}

/**
 * Whether a write would be taken: not destroyed, not ended, and connected or connecting (a
 * write on a socket that never connected fails with an `'error'` event, ERR_SOCKET_CLOSED).
 */
function canWrite(socket: net.Socket): boolean {
  return !socket.destroyed && socket.writable && (!socket.pending || socket.connecting);
}

/**
 * Writes one framed message to a TCP socket, as one `write` of {@link frameMessage}`(payload)`.
 *
 * Safe to call on a socket that is already destroyed, ended or was never connected: it writes
 * nothing and returns `false` instead of throwing or raising an `'error'` event (such as
 * `'write after end'`). Writes made while the socket is still connecting are queued by Node.
 *
 * @example
 * if (!writeMessage(socket, payload)) await once(socket, 'drain'); // only if still writable
 *
 * @param socket The TCP socket to write to.
 * @param payload The message bytes (copied into the frame, so the caller may reuse them).
 * @returns What `socket.write` returned (`false` means the write buffer is over its high-water
 * mark: wait for `'drain'` before writing much more), or `false` if the socket is not writable.
 */
export function writeMessage(socket: net.Socket, payload: Uint8Array): boolean {
  if (!canWrite(socket)) return false;
  return socket.write(frameMessage(payload));
}

/**
 * Writes several framed messages to a TCP socket as one batch (corked: one `writev`).
 *
 * Cheaper than several {@link writeMessage} calls when sending many small messages at once
 * (one system call and usually one TCP segment instead of one each). Does nothing if the
 * socket is already destroyed or ended, or if `payloads` is empty.
 *
 * @example
 * writeMessages(socket, [encode(chat1), encode(chat2), encode(chat3)]);
 *
 * @param socket The TCP socket to write to.
 * @param payloads The messages, in order (each copied into its frame).
 */
export function writeMessages(socket: net.Socket, payloads: readonly Uint8Array[]): void {
  if (payloads.length === 0 || !canWrite(socket)) return;
  const frames = payloads.map(frameMessage);
  socket.cork();
  try {
    for (const frame of frames) socket.write(frame);
  } finally {
    socket.uncork();
  }
}
