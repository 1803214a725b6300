// What a transport's peer is built on: its reliable connection, where it is, and how to know the connection closed.
import type { MessageConnection } from './Transport.js';

/** The connection under a {@link signalledClientPeer} or a {@link signallingServerPeer}. */
export interface PeerConnection {
  /** Where the other side is, as the transport names it (the peer's `remoteAddress`). */
  readonly remoteAddress: string;
  /** The reliable channel (the peer's `messages`). */
  readonly messages: MessageConnection;
  /** Registers what to do once the connection has closed; the peer calls it once, at once. */
  readonly onClose: (closed: () => void) => void;
  /**
   * Whether the connection is closed already, before `onClose` has fired (a destroyed socket
   * whose `close` event is still to come). Default: never.
   */
  readonly isClosed?: () => boolean;
  /** The address put on the peer's own warnings. Default: none (the warnings have no address). */
  readonly warningAddress?: string;
}
