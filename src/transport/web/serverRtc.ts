// The web transport's server half of WebRTC: one node-datachannel peer connection per player, offering the game's data channel.
import { WarningCode } from '../../events.js';
import type { SendSignal, TransportWarning } from '../Transport.js';
import { advertisedCandidate, parseCandidate, usableRemoteCandidate } from '../webrtc/candidate.js';
import { DATA_CHANNEL, MAX_QUEUED_DATA_CHANNEL_BYTES } from '../webrtc/RtcLike.js';
import { decodeRtcSignal, encodeRtcSignal, RtcSignalKind } from '../webrtc/rtcSignal.js';
import type { DatagramPipe } from '../ws/webChannel.js';
import type { RtcMux } from './rtcMux.js';

/** Candidates taken from one client at most; more are warnings. */
export const MAX_CLIENT_CANDIDATES = 16;

/** Options of {@link serverRtc}. */
export interface ServerRtcOptions {
  /** The shared port (see `openRtcMux`). */
  readonly mux: RtcMux;
  /** The address to advertise in place of the gathered one (a server behind a NAT). */
  readonly publicAddress?: string;
  readonly signal: SendSignal;
  readonly warn: (warning: TransportWarning) => void;
  readonly onOpen: (pipe: DatagramPipe) => void;
  readonly onClose: (pipe: DatagramPipe) => void;
  readonly onDatagram: (data: Uint8Array) => void;
}

/** One player's WebRTC session on the server. */
export interface ServerRtc {
  /** A signal from the client (answer, candidate, decline). */
  receive(data: Uint8Array): void;
  readonly open: boolean;
  close(): void;
}

let sessions = 0;

/** An SDP with its candidate lines advertised (see {@link advertisedCandidate}) or dropped. */
function advertisedSdp(sdp: string, publicAddress: string | undefined, seen: Set<string>): string {
  return sdp
    .split(/\r?\n/)
    .flatMap((line) => {
      if (!line.startsWith('a=candidate:')) return [line];
      const c = usable(line, publicAddress, seen);
      return c === undefined ? [] : [`a=${c}`];
    })
    .join('\r\n');
}

/** A local candidate to signal: UDP, not link-local, each address and port once. */
function usable(
  line: string,
  publicAddress: string | undefined,
  seen: Set<string>,
): string | undefined {
  const advertised = advertisedCandidate(line, publicAddress);
  const c = advertised === undefined ? undefined : parseCandidate(advertised);
  if (advertised === undefined || c === undefined || c.address.startsWith('fe80:'))
    return undefined;
  const key = `${c.address} ${c.port} ${c.type}`;
  if (seen.has(key)) return undefined;
  seen.add(key);
  return advertised;
}

/**
 * Makes the player's peer connection on the shared port, and its data channel (unordered,
 * `maxRetransmits: 0`, negotiated with a fixed id), and signals the offer and each gathered
 * UDP candidate (its address replaced by `publicAddress` if given; each once; none the peer
 * cannot use). Every signal from the client is checked: one that is not valid, a second
 * answer, an offer, a candidate before the answer or past {@link MAX_CLIENT_CANDIDATES} is a
 * warning and is ignored; a TCP or mDNS (`.local`) candidate is ignored. A decline closes it.
 */
export function serverRtc(options: ServerRtcOptions): ServerRtc {
  const { signal, warn, publicAddress } = options;
  const pc = new options.mux.PeerConnection(`gn-${++sessions}`, options.mux.config);
  const seen = new Set<string>();
  let closed = false;
  let isOpen = false;
  let answered = false;
  let candidates = 0;
  const bad = (message: string): void => warn({ code: WarningCode.DecodeError, message });
  const send = (bytes: Uint8Array): void => {
    if (!closed) signal(bytes);
  };
  const pipe: DatagramPipe = {
    send: (data) => {
      if (!isOpen || dc.bufferedAmount() > MAX_QUEUED_DATA_CHANNEL_BYTES) return;
      try {
        dc.sendMessageBinary(data);
      } catch {
        // closing under us: a lost datagram
      }
    },
    close: () => close(),
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    isOpen = false;
    options.onClose(pipe);
    try {
      dc.close();
    } catch {
      // already closed
    }
    pc.close();
  };

  pc.onLocalDescription((sdp, type) => {
    if (type.toLowerCase() !== 'offer') return;
    send(
      encodeRtcSignal({ kind: RtcSignalKind.Offer, sdp: advertisedSdp(sdp, publicAddress, seen) }),
    );
  });
  pc.onLocalCandidate((candidate, mid) => {
    const c = usable(candidate, publicAddress, seen);
    if (c !== undefined)
      send(encodeRtcSignal({ kind: RtcSignalKind.Candidate, mid, candidate: c }));
  });
  // The channel after the callbacks: making it starts the negotiation (the offer) at once.
  const dc = pc.createDataChannel(DATA_CHANNEL.label, {
    negotiated: true,
    id: DATA_CHANNEL.id,
    unordered: true,
    maxRetransmits: 0,
  });
  // Open when it says so, or when it is found open (a message came, or the timeout asks):
  // node-datachannel has been seen to deliver messages without calling onOpen first.
  const checkOpen = (): boolean => {
    if (!isOpen && !closed && dc.isOpen()) {
      isOpen = true;
      options.onOpen(pipe);
    }
    return isOpen;
  };
  dc.onOpen(() => checkOpen());
  dc.onClosed(() => close());
  dc.onError(() => close());
  dc.onMessage((msg) => {
    if (closed) return;
    checkOpen();
    if (typeof msg === 'string') return bad('a text message on the data channel');
    options.onDatagram(
      msg instanceof ArrayBuffer
        ? new Uint8Array(msg)
        : new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength),
    );
  });

  return {
    receive(data) {
      if (closed) return;
      const s = decodeRtcSignal(data);
      if (typeof s === 'string') return bad(`a bad signal: ${s}`);
      switch (s.kind) {
        case RtcSignalKind.Decline:
          close();
          return;
        case RtcSignalKind.Answer:
          if (answered) return bad('a second answer');
          answered = true;
          try {
            pc.setRemoteDescription(s.sdp, 'answer');
          } catch (err) {
            bad(`an answer the peer connection refused: ${String(err)}`);
            close();
          }
          return;
        case RtcSignalKind.Candidate:
          if (!answered) return bad('a candidate before the answer');
          if (++candidates > MAX_CLIENT_CANDIDATES)
            return bad(`more than ${MAX_CLIENT_CANDIDATES} candidates`);
          if (!usableRemoteCandidate(s.candidate)) return;
          try {
            pc.addRemoteCandidate(s.candidate, s.mid);
          } catch {
            bad('a candidate the peer connection refused');
          }
          return;
        default:
          bad('an offer from a client (the server offers)');
      }
    },
    get open() {
      return checkOpen();
    },
    close,
  };
}
