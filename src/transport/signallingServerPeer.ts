// A server's TransportPeer that opens its datagram channel at once and signals the client how to reach it, whatever the transport.
import { ConnectionError } from '../errors.js';
import { WarningCode } from '../events.js';
import type { PeerConnection } from './peerConnection.js';
import { PeerWarnings } from './peerWarnings.js';
import type { DatagramChannel, SendSignal, TransportPeer, TransportWarning } from './Transport.js';

/** A channel the server opened, and the one signal that tells its client how to reach it. */
export interface ServerOpening {
  readonly channel: DatagramChannel;
  readonly signal: Uint8Array;
}

/** Options of {@link signallingServerPeer}. */
export interface SignallingServerPeerOptions extends PeerConnection {
  /**
   * Why a signal from the client is a warning, after `a signal of N bytes: ` (for example
   * `"the Node transport's server expects none"`).
   */
  readonly expectsNoSignal: string;
  /**
   * Opens the datagram channel and says what to signal. Called once at most, unless the
   * connection has closed. If it throws, `openDatagrams` rejects with what it threw.
   *
   * @param warn Where the channel's own warnings go (the peer's `warnings$`).
   */
  readonly open: (warn: (warning: TransportWarning) => void) => ServerOpening;
}

/** The states of a {@link signallingServerPeer}. */
export const ServerPeerState = {
  /** `openDatagrams` not called yet. */
  Idle: 'idle',
  /** The connection closed before `openDatagrams` was called. */
  Closed: 'closed',
  /** `openDatagrams` was called (the channel, if it opened, closes with the connection). */
  Called: 'called',
} as const;
export type ServerPeerState = (typeof ServerPeerState)[keyof typeof ServerPeerState];

type State =
  | { readonly name: typeof ServerPeerState.Idle | typeof ServerPeerState.Closed }
  | { readonly name: typeof ServerPeerState.Called; readonly channel?: DatagramChannel };

const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/**
 * The server's {@link TransportPeer} for a transport whose server signals first and expects no
 * signal back.
 *
 * `openDatagrams` opens the channel with `open`, signals what `open` says and resolves at once
 * (a signal that throws closes the channel and rejects). It rejects if the connection has
 * closed already; the connection closing closes the channel too. A signal from the client is
 * an `unexpected-message` warning; a second call of `openDatagrams` rejects.
 *
 * @example
 * const peer = signallingServerPeer({
 *   remoteAddress,
 *   messages,
 *   onClose: (closed) => socket.once('close', closed),
 *   expectsNoSignal: "the Node transport's server expects none",
 *   open: (warn) => ({ channel: sessionChannel(warn), signal: encodeUdpSignal(where) }),
 * });
 */
export function signallingServerPeer(options: SignallingServerPeerOptions): TransportPeer {
  const { open, isClosed = () => false } = options;
  const warnings = new PeerWarnings(options.warningAddress);
  let state: State = { name: ServerPeerState.Idle };

  options.onClose(() => {
    if (state.name === ServerPeerState.Called) state.channel?.close();
    else state = { name: ServerPeerState.Closed };
    warnings.complete();
  });

  return {
    remoteAddress: options.remoteAddress,
    messages: options.messages,
    warnings$: warnings.warnings$,
    openDatagrams(signal: SendSignal): Promise<DatagramChannel> {
      if (state.name === ServerPeerState.Called)
        return Promise.reject(new Error('openDatagrams was called already'));
      const closed = state.name === ServerPeerState.Closed || isClosed();
      state = { name: ServerPeerState.Called };
      if (closed)
        return Promise.reject(
          new ConnectionError('the connection closed before its datagrams were opened'),
        );
      let opening: ServerOpening;
      try {
        opening = open(warnings.warn);
      } catch (err) {
        return Promise.reject(toError(err));
      }
      const { channel } = opening;
      state = { name: ServerPeerState.Called, channel };
      try {
        signal(opening.signal);
      } catch (err) {
        channel.close();
        return Promise.reject(toError(err));
      }
      return Promise.resolve(channel);
    },
    signal(data: Uint8Array): void {
      warnings.report(
        WarningCode.UnexpectedMessage,
        `a signal of ${data.length} bytes: ${options.expectsNoSignal}`,
      );
    },
  };
}
