// The memory transport's two peers of one connection: the server's offers a datagram end, the client's claims it.
import { WarningCode } from '../../events.js';
import type { PeerConnection } from '../peerConnection.js';
import { signalledClientPeer } from '../signalledClientPeer.js';
import { signallingServerPeer } from '../signallingServerPeer.js';
import type { DatagramChannel, MessageConnection, TransportPeer } from '../Transport.js';
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

/** What either peer stands on: the messages, the address, and the connection closing (no address on warnings). */
const connectionOf = (
  messages: MessageConnection,
  context: MemoryConnectionContext,
): PeerConnection => ({
  remoteAddress: context.remoteAddress,
  messages,
  onClose: (closed) => void context.closed.then(closed),
});

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
  return signallingServerPeer({
    ...connectionOf(messages, context),
    expectsNoSignal: "the memory transport's server expects none",
    open: (warn) => {
      let id = 0;
      const end = datagramEnd({
        maxDatagramBytes: context.maxDatagramBytes,
        budget: context.budget,
        warn,
        onClose: () => context.board.withdraw(id, end),
      });
      id = context.board.post({ end, connection: context.connection });
      onChannel(end.channel);
      return { channel: end.channel, signal: encodeId(id) };
    },
  });
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
  return signalledClientPeer({
    ...connectionOf(messages, context),
    open: (data, warn) => {
      if (data.length !== OFFER_ID_BYTES)
        return {
          refused: WarningCode.DecodeError,
          why: `a signal is ${OFFER_ID_BYTES} bytes, got ${data.length}`,
        };
      const id = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, false);
      const offer = context.board.claim(id, context.connection);
      if (typeof offer === 'string') return { refused: WarningCode.BadToken, why: offer };
      const end = datagramEnd({
        maxDatagramBytes: context.maxDatagramBytes,
        budget: context.budget,
        warn,
      });
      linkEnds(end, offer.end);
      return end.channel;
    },
  });
}
