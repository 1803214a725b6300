// The web transport's datagram channel: over the WebRTC data channel once it is open, over the WebSocket until then (or for good).
import { Subject } from 'rxjs';
import { WarningCode } from '../../events.js';
import type { DatagramChannel, DatagramPath, TransportWarning } from '../Transport.js';
import type { WsLink } from './wsLink.js';

/** A data channel, as {@link webChannel} uses it (a browser's `RTCDataChannel` or node-datachannel's, adapted). */
export interface DatagramPipe {
  /** Sends one datagram; may drop it (a full buffer). */
  send(data: Uint8Array): void;
  /** Closes it. Safe to call twice. */
  close(): void;
}

/** A {@link DatagramChannel} that can change path, and what feeds it. */
export interface WebChannel {
  readonly channel: DatagramChannel & { readonly path: DatagramPath };
  /** A datagram that came over either path (checked against the limit here). */
  readonly deliver: (data: Uint8Array) => void;
  /** The data channel opened: send over it from now on. */
  useDataChannel(pipe: DatagramPipe): void;
  /** The data channel closed or failed: back to the WebSocket. */
  dropDataChannel(pipe: DatagramPipe): void;
  readonly closed: boolean;
}

/**
 * Makes the datagram channel of one web peer. It sends over the data channel while one is
 * open, else in `Datagram` frames over the WebSocket (reliable and ordered, so a lost packet
 * holds back those behind it: slower under loss, but it works where UDP is blocked). It
 * receives from both. `path` says which one it sends on.
 *
 * @param onClose Called once, when the channel closes (its `close()`, or the WebSocket closing).
 */
export function webChannel(
  link: WsLink,
  options: {
    readonly maxDatagramBytes: number;
    readonly warn: (warning: TransportWarning) => void;
    readonly onClose?: () => void;
  },
): WebChannel {
  const inbox = new Subject<Uint8Array>();
  let pipe: DatagramPipe | undefined;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    pipe?.close();
    pipe = undefined;
    link.onDatagram = undefined;
    inbox.complete();
    options.onClose?.();
  };
  const deliver = (data: Uint8Array): void => {
    if (closed) return;
    if (data.length > options.maxDatagramBytes) {
      options.warn({
        code: WarningCode.DecodeError,
        message: `a datagram of ${data.length} bytes (at most ${options.maxDatagramBytes})`,
      });
      return;
    }
    inbox.next(data);
  };
  link.onDatagram = deliver;
  void link.closed.then(close);
  return {
    channel: {
      datagrams$: inbox.asObservable(),
      send: (data) => {
        if (closed) return;
        if (pipe) pipe.send(data);
        else link.sendDatagram(data);
      },
      close,
      get path(): DatagramPath {
        return pipe ? 'webrtc' : 'websocket';
      },
    },
    deliver,
    useDataChannel: (p) => {
      if (closed) p.close();
      else pipe = p;
    },
    dropDataChannel: (p) => {
      if (pipe === p) pipe = undefined;
    },
    get closed() {
      return closed;
    },
  };
}
