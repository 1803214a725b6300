// The memory transport's two peers of one connection: the server's offers a datagram end, the client's claims it.
import { Subject } from 'rxjs';
import { ConnectionError } from '../../errors.js';
import { WarningCode } from '../../events.js';
import { MAX_EARLY_SIGNALS, SignalInbox } from '../signalInbox.js';
import type {
  DatagramChannel,
  MessageConnection,
  SendSignal,
  TransportPeer,
  TransportWarning,
} from '../Transport.js';
import { datagramEnd, linkEnds, type FlightBudget } from './datagramLink.js';
import { OFFER_ID_BYTES, type OfferBoard } from './offerBoard.js';

/** What the two peers of one memory connection share. */
export interface MemoryConnectionContext {
  /** The connection's identity, for the offer check. */
  readonly connection: object;
  readonly board: OfferBoard;
  readonly budget: FlightBudget;
  /** Resolves once the connection has closed at both ends. */
  readonly closed: Promise<void>;
  /** The address each side reports for the other. */
  readonly remoteAddress: string;
}

const encodeId = (id: number): Uint8Array => {
  const bytes = new Uint8Array(OFFER_ID_BYTES);
  new DataView(bytes.buffer).setUint32(0, id, false);
  return bytes;
};

/**
 * The server's peer: `openDatagrams` posts a datagram end on the board, signals its id and
 * resolves at once; sends are dropped until the client has claimed it. Closing the channel or
 * the connection withdraws the offer. Signals from the client are warnings (none is expected).
 *
 * @param onChannel Told of each channel opened, so the listener can close it.
 */
export function memoryServerPeer(
  messages: MessageConnection,
  context: MemoryConnectionContext & { readonly maxDatagramBytes: number },
  onChannel: (channel: DatagramChannel) => void,
): TransportPeer {
  const warnings = new Subject<TransportWarning>();
  const warn = (w: TransportWarning): void => {
    if (!warnings.closed) warnings.next(w);
  };
  let opened = false;
  let connectionClosed = false;
  let channel: DatagramChannel | undefined;
  void context.closed.then(() => {
    connectionClosed = true;
    channel?.close();
    warnings.complete();
  });
  return {
    remoteAddress: context.remoteAddress,
    messages,
    warnings$: warnings.asObservable(),
    openDatagrams(signal: SendSignal): Promise<DatagramChannel> {
      if (opened) return Promise.reject(new Error('openDatagrams was called already'));
      opened = true;
      if (connectionClosed)
        return Promise.reject(
          new ConnectionError('the connection closed before its datagrams were opened'),
        );
      let id = 0;
      const end = datagramEnd({
        maxDatagramBytes: context.maxDatagramBytes,
        budget: context.budget,
        warn,
        onClose: () => context.board.withdraw(id, end),
      });
      id = context.board.post({ end, connection: context.connection });
      channel = end.channel;
      onChannel(channel);
      try {
        signal(encodeId(id));
      } catch (err) {
        channel.close();
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return Promise.resolve(channel);
    },
    signal(data: Uint8Array): void {
      warn({
        code: WarningCode.UnexpectedMessage,
        message: `a signal of ${data.length} bytes: the memory transport's server expects none`,
      });
    },
  };
}

/**
 * The client's peer: `openDatagrams` waits for the server's signal (kept if it came first),
 * claims the offer it names (it must be an id of this connection's: anything else is a warning
 * and a rejection), and resolves with the linked channel. It rejects if the connection closes
 * first; the connection closing closes the channel too.
 */
export function memoryClientPeer(
  messages: MessageConnection,
  context: MemoryConnectionContext & { readonly maxDatagramBytes: number },
): TransportPeer {
  const warnings = new Subject<TransportWarning>();
  const warn = (w: TransportWarning): void => {
    if (!warnings.closed) warnings.next(w);
  };
  const inbox = new SignalInbox(MAX_EARLY_SIGNALS, (data) =>
    warn({
      code: WarningCode.BufferFull,
      message: `a signal of ${data.length} bytes dropped: ${MAX_EARLY_SIGNALS} are waiting already`,
    }),
  );
  let state: 'idle' | 'waiting' | 'open' | 'failed' | 'closed' = 'idle';
  let channel: DatagramChannel | undefined;
  let fail: ((err: Error) => void) | undefined;
  void context.closed.then(() => {
    const was = state;
    state = 'closed';
    inbox.clear();
    if (was === 'waiting')
      fail?.(new ConnectionError('the connection closed before the datagram channel opened'));
    channel?.close();
    warnings.complete();
  });

  const open = (
    data: Uint8Array,
    resolve: (c: DatagramChannel) => void,
    reject: (e: Error) => void,
  ): void => {
    const refuse = (
      code: typeof WarningCode.DecodeError | typeof WarningCode.BadToken,
      why: string,
    ): void => {
      state = 'failed';
      warn({ code, message: why });
      reject(new ConnectionError(`a bad signal from the server: ${why}`));
    };
    if (data.length !== OFFER_ID_BYTES) {
      refuse(WarningCode.DecodeError, `a signal is ${OFFER_ID_BYTES} bytes, got ${data.length}`);
      return;
    }
    const id = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, false);
    const offer = context.board.claim(id, context.connection);
    if (typeof offer === 'string') {
      refuse(WarningCode.BadToken, offer);
      return;
    }
    state = 'open';
    const end = datagramEnd({
      maxDatagramBytes: context.maxDatagramBytes,
      budget: context.budget,
      warn,
    });
    linkEnds(end, offer.end);
    channel = end.channel;
    resolve(channel);
  };

  return {
    remoteAddress: context.remoteAddress,
    messages,
    warnings$: warnings.asObservable(),
    openDatagrams(): Promise<DatagramChannel> {
      if (state !== 'idle')
        return Promise.reject(
          new ConnectionError(
            state === 'closed' ? 'the connection is closed' : 'openDatagrams was called already',
          ),
        );
      state = 'waiting';
      return new Promise<DatagramChannel>((resolve, reject) => {
        fail = reject;
        inbox.read((data) => {
          if (state === 'waiting') open(data, resolve, reject);
          else
            warn({
              code: WarningCode.UnexpectedMessage,
              message: `a signal of ${data.length} bytes after the first`,
            });
        });
      });
    },
    signal(data: Uint8Array): void {
      if (state === 'idle' || state === 'waiting') inbox.push(data);
      else if (state !== 'closed')
        warn({
          code: WarningCode.UnexpectedMessage,
          message: `a signal of ${data.length} bytes after the first`,
        });
    },
  };
}
