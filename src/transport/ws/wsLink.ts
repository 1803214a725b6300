// One open WebSocket as the web transport's reliable channel, with datagram frames beside it.
import { Observable, type Subscriber } from 'rxjs';
import { ConnectionError, MessageTooLargeError } from '../../errors.js';
import { WarningCode } from '../../events.js';
import type { MessageConnection, TransportWarning } from '../Transport.js';
import { WebSocketState, type WebSocketEventLike, type WebSocketLike } from './WebSocketLike.js';
import { decodeWsFrame, encodeWsFrame, WsFrameKind } from './wsFrame.js';

/** How long `end()` waits for the peer to close before destroying the socket. */
const END_GRACE_MS = 1000;
/** Messages kept at most before `messages$` is subscribed; one more fails the connection. */
export const MAX_EARLY_MESSAGES = 64;
/** Datagrams are dropped (as a full socket buffer drops them) while this much is queued. */
export const MAX_QUEUED_DATAGRAM_BYTES = 64 * 1024;

/** Options of {@link wsLink}. */
export interface WsLinkOptions {
  readonly maxMessageBytes: number;
  readonly maxDatagramBytes: number;
  /** Conditions handled: bad frames, datagrams nobody reads. */
  readonly warn: (warning: TransportWarning) => void;
  /** Closes the socket at once (`ws`'s `terminate`). Default: `close()` (all a browser has). */
  readonly terminate?: () => void;
  /** For the warnings. */
  readonly remoteAddress?: string;
}

/** An open WebSocket, read by the web transport. */
export interface WsLink {
  /** The reliable channel: messages in `Message` frames. */
  readonly messages: MessageConnection;
  /** Sends one datagram in a `Datagram` frame; dropped if the socket is not open or is backed up. */
  sendDatagram(data: Uint8Array): void;
  /** Who reads the `Datagram` frames; until set, each one is an `unexpected-message` warning. */
  onDatagram: ((data: Uint8Array) => void) | undefined;
  /** Resolves once the socket has closed. */
  readonly closed: Promise<void>;
  /** True until the socket closes. */
  readonly open: boolean;
}

const asBytes = (data: unknown): Uint8Array | undefined => {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
};

/**
 * Wraps an open WebSocket: every binary message is a frame (see {@link decodeWsFrame});
 * `Message` frames are the reliable channel's messages, `Datagram` frames go to `onDatagram`.
 * A text message, an empty or unknown frame, or a datagram over the limit is a `decode-error`
 * warning and is dropped; a message over `maxMessageBytes` fails `messages$` and destroys the
 * socket. Messages received before `messages$` is subscribed are kept (64 at most; one more
 * fails the connection). `messages$` completes when the socket closes with 1000, 1001 or no
 * code, and errors on any other close.
 *
 * @param socket An open socket; the link owns it from then on.
 */
export function wsLink(socket: WebSocketLike, options: WsLinkOptions): WsLink {
  const { maxMessageBytes, maxDatagramBytes, warn, remoteAddress } = options;
  const limits = { maxMessageBytes, maxDatagramBytes };
  socket.binaryType = 'arraybuffer';
  const terminate = options.terminate ?? ((): void => socket.close());
  let subscriber: Subscriber<Uint8Array> | undefined;
  let subscribed = false;
  const early: Uint8Array[] = [];
  /** How it ended: undefined while open, null for a clean close, else the error. */
  let ending: Error | null | undefined;
  let failure: Error | undefined;
  let isOpen = socket.readyState === WebSocketState.Open;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));

  const finish = (error: Error | null): void => {
    if (ending !== undefined) return;
    ending = failure ?? error;
    const s = subscriber;
    subscriber = undefined;
    if (s) {
      if (ending) s.error(ending);
      else s.complete();
    }
  };
  const fail = (error: Error): void => {
    failure ??= error;
    terminate();
    finish(error);
  };

  const link: WsLink = {
    onDatagram: undefined,
    closed,
    get open() {
      return isOpen;
    },
    sendDatagram: (data) => {
      if (!isOpen || socket.bufferedAmount > MAX_QUEUED_DATAGRAM_BYTES) return;
      socket.send(encodeWsFrame(WsFrameKind.Datagram, data));
    },
    messages: {
      messages$: new Observable<Uint8Array>((s) => {
        if (subscribed) {
          s.error(new Error('messages$ is subscribed already'));
          return;
        }
        subscribed = true;
        for (const m of early.splice(0)) s.next(m);
        if (ending !== undefined) {
          if (ending) s.error(ending);
          else s.complete();
          return;
        }
        subscriber = s;
        return () => {
          subscriber = undefined;
        };
      }),
      send: (message) => {
        if (!isOpen) return false;
        socket.send(encodeWsFrame(WsFrameKind.Message, message));
        return true;
      },
      end: () => {
        if (!isOpen) return;
        socket.close(1000);
        setTimeout(terminate, END_GRACE_MS);
      },
      destroy: () => {
        if (ending === undefined) terminate();
      },
      get bufferedBytes() {
        return socket.bufferedAmount;
      },
    },
  };

  socket.addEventListener('open', () => {
    isOpen = true;
  });
  socket.addEventListener('message', (event: WebSocketEventLike) => {
    if (ending !== undefined) return;
    const bytes = asBytes(event.data);
    if (bytes === undefined) {
      warn({
        code: WarningCode.DecodeError,
        message: 'a text WebSocket message (the web transport sends binary ones only)',
        address: remoteAddress,
      });
      return;
    }
    const frame = decodeWsFrame(bytes, limits);
    if ('error' in frame) {
      if (frame.tooLarge) fail(new MessageTooLargeError(bytes.length - 1, maxMessageBytes));
      else warn({ code: WarningCode.DecodeError, message: frame.error, address: remoteAddress });
      return;
    }
    if (frame.kind === WsFrameKind.Datagram) {
      if (link.onDatagram) link.onDatagram(frame.payload);
      else
        warn({
          code: WarningCode.UnexpectedMessage,
          message: 'a datagram over the WebSocket before the datagram channel was opened',
          address: remoteAddress,
        });
    } else if (subscriber) subscriber.next(frame.payload);
    else if (!subscribed && early.length < MAX_EARLY_MESSAGES) early.push(frame.payload);
    else if (!subscribed)
      fail(new ConnectionError(`more than ${MAX_EARLY_MESSAGES} messages before anyone read them`));
  });
  socket.addEventListener('error', () => {
    failure ??= new ConnectionError('WebSocket error');
  });
  socket.addEventListener('close', (event: WebSocketEventLike) => {
    isOpen = false;
    const code = event.code ?? 1005;
    finish(
      code === 1000 || code === 1001 || code === 1005
        ? null
        : new ConnectionError(
            `the WebSocket closed with code ${code}${event.reason ? `: ${event.reason}` : ''}`,
          ),
    );
    resolveClosed();
  });
  return link;
}
