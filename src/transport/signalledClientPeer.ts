// A client's TransportPeer whose datagram channel opens from the server's first signal, whatever the transport.
import { ConnectionError } from '../errors.js';
import { WarningCode } from '../events.js';
import type { PeerConnection } from './peerConnection.js';
import { PeerWarnings } from './peerWarnings.js';
import { MAX_EARLY_SIGNALS, SignalInbox } from './signalInbox.js';
import type { DatagramChannel, TransportPeer, TransportWarning } from './Transport.js';

/** A first signal that opens no channel: the warning it makes, and why (also the rejection's reason). */
export interface SignalRefusal {
  readonly refused: WarningCode;
  readonly why: string;
}

/** What a transport makes of the server's first signal: a channel now, one later (a socket to bind first), or a refusal. */
export type SignalOpening = DatagramChannel | Promise<DatagramChannel> | SignalRefusal;

/** Options of {@link signalledClientPeer}. */
export interface SignalledClientPeerOptions extends PeerConnection {
  /**
   * Opens the datagram channel from the server's first signal, or refuses the signal. Called
   * once at most. A promise that rejects fails `openDatagrams` with its error; a channel it
   * resolves with after the connection closed is closed at once.
   *
   * @param warn Where the channel's own warnings go (the peer's `warnings$`).
   */
  readonly open: (signal: Uint8Array, warn: (warning: TransportWarning) => void) => SignalOpening;
}

/** The states of a {@link signalledClientPeer}. */
export const ClientPeerState = {
  /** `openDatagrams` not called yet: signals are kept (a few). */
  Idle: 'idle',
  /** `openDatagrams` called: waiting for the server's first signal. */
  Waiting: 'waiting',
  /** The first signal came; the channel is being opened (a socket being bound). */
  Binding: 'binding',
  /** The channel is open: later signals are warnings. */
  Open: 'open',
  /** The first signal was refused, or the channel could not be opened. */
  Failed: 'failed',
  /** The connection closed. */
  Closed: 'closed',
} as const;
export type ClientPeerState = (typeof ClientPeerState)[keyof typeof ClientPeerState];

/** How `openDatagrams` is answered, once the channel opens or cannot. */
interface Settle {
  readonly resolve: (channel: DatagramChannel) => void;
  readonly reject: (error: Error) => void;
}

type State =
  | {
      readonly name:
        typeof ClientPeerState.Idle | typeof ClientPeerState.Failed | typeof ClientPeerState.Closed;
    }
  | {
      readonly name: typeof ClientPeerState.Waiting | typeof ClientPeerState.Binding;
      readonly settle: Settle;
    }
  | { readonly name: typeof ClientPeerState.Open; readonly channel: DatagramChannel };

/**
 * The client's {@link TransportPeer} for a transport whose server signals first (a UDP port and
 * token, an offer's id) and expects no signal back.
 *
 * `openDatagrams` sends no signal: it waits for the server's first (kept if it came first, up to
 * {@link MAX_EARLY_SIGNALS}; one more is a `buffer-full` warning), hands it to `open` and
 * resolves with the channel `open` makes. A refused signal is a warning of the refusal's code
 * and a rejection. It rejects if the connection closes first; the connection closing closes the
 * channel too. A signal after the first is an `unexpected-message` warning; a second call of
 * `openDatagrams` rejects.
 *
 * @example
 * const peer = signalledClientPeer({
 *   remoteAddress,
 *   messages,
 *   onClose: (closed) => socket.once('close', closed),
 *   open: (signal, warn) => (signal.length === 4 ? channelFor(signal, warn) : { refused: WarningCode.DecodeError, why: 'not 4 bytes' }),
 * });
 */
export function signalledClientPeer(options: SignalledClientPeerOptions): TransportPeer {
  const { open, isClosed = () => false } = options;
  const warnings = new PeerWarnings(options.warningAddress);
  const inbox = new SignalInbox(MAX_EARLY_SIGNALS, (data) =>
    warnings.report(
      WarningCode.BufferFull,
      `a signal of ${data.length} bytes dropped: ${MAX_EARLY_SIGNALS} are waiting already`,
    ),
  );
  const later = (data: Uint8Array): void =>
    warnings.report(
      WarningCode.UnexpectedMessage,
      `a signal of ${data.length} bytes after the first`,
    );
  let state: State = { name: ClientPeerState.Idle };

  options.onClose(() => {
    const was = state;
    state = { name: ClientPeerState.Closed };
    inbox.clear();
    if (was.name === ClientPeerState.Waiting || was.name === ClientPeerState.Binding)
      was.settle.reject(
        new ConnectionError('the connection closed before the datagram channel opened'),
      );
    else if (was.name === ClientPeerState.Open) was.channel.close();
    warnings.complete();
  });

  /** Waiting, the first signal comes: to open, binding, or failed. */
  const first = (data: Uint8Array, settle: Settle): void => {
    const opening = open(data, warnings.warn);
    if (opening instanceof Promise) {
      const binding: State = { name: ClientPeerState.Binding, settle };
      state = binding;
      opening.then(
        (channel) => {
          if (state !== binding) {
            channel.close(); // the connection closed meanwhile (and rejected)
            return;
          }
          state = { name: ClientPeerState.Open, channel };
          settle.resolve(channel);
        },
        (err: unknown) => {
          if (state !== binding) return;
          state = { name: ClientPeerState.Failed };
          settle.reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    } else if ('refused' in opening) {
      state = { name: ClientPeerState.Failed };
      warnings.report(opening.refused, opening.why);
      settle.reject(new ConnectionError(`a bad signal from the server: ${opening.why}`));
    } else {
      state = { name: ClientPeerState.Open, channel: opening };
      settle.resolve(opening);
    }
  };

  return {
    remoteAddress: options.remoteAddress,
    messages: options.messages,
    warnings$: warnings.warnings$,
    openDatagrams(): Promise<DatagramChannel> {
      if (state.name !== ClientPeerState.Idle)
        return Promise.reject(
          new ConnectionError(
            state.name === ClientPeerState.Closed
              ? 'the connection is closed'
              : 'openDatagrams was called already',
          ),
        );
      if (isClosed()) return Promise.reject(new ConnectionError('the connection is closed'));
      return new Promise<DatagramChannel>((resolve, reject) => {
        const settle: Settle = { resolve, reject };
        const waiting: State = { name: ClientPeerState.Waiting, settle };
        state = waiting;
        inbox.read((data) => {
          if (state === waiting) first(data, settle);
          else later(data);
        });
      });
    },
    signal(data: Uint8Array): void {
      if (state.name === ClientPeerState.Idle || state.name === ClientPeerState.Waiting)
        inbox.push(data);
      else if (state.name !== ClientPeerState.Closed) later(data);
    },
  };
}
