// The web transport's client half of WebRTC: answers the server's offer and opens the game's data channel.
import { WarningCode } from '../../events.js';
import type { SendSignal, TransportWarning } from '../Transport.js';
import type { DatagramPipe } from '../ws/webChannel.js';
import { usableRemoteCandidate } from './candidate.js';
import {
  DATA_CHANNEL,
  MAX_QUEUED_DATA_CHANNEL_BYTES,
  type IceServerConfig,
  type RtcPeerConnectionFactory,
  type RtcPeerConnectionLike,
} from './RtcLike.js';
import { decodeRtcSignal, encodeRtcSignal, RtcSignalKind } from './rtcSignal.js';

/** Candidates taken from the server at most; more are warnings. */
export const MAX_REMOTE_CANDIDATES = 16;

/** Options of {@link clientRtc}. */
export interface ClientRtcOptions {
  readonly RTCPeerConnection: RtcPeerConnectionFactory;
  readonly iceServers: readonly IceServerConfig[];
  readonly signal: SendSignal;
  readonly warn: (warning: TransportWarning) => void;
  /** The data channel opened: datagrams may go over it. */
  readonly onOpen: (pipe: DatagramPipe) => void;
  /** It closed (after it opened, or while it was setting up): back to the WebSocket. */
  readonly onClose: (pipe: DatagramPipe) => void;
  /** A datagram from the server over the data channel. */
  readonly onDatagram: (data: Uint8Array) => void;
}

/** The client's WebRTC session: fed the server's signals, closed with the peer. */
export interface ClientRtc {
  /** A signal from the server (offer or candidate). */
  receive(data: Uint8Array): void;
  close(): void;
}

/**
 * Makes the client's peer connection and its data channel (unordered, no retransmission,
 * negotiated with a fixed id), then waits for the server's offer: answers it, and signals
 * each of its own UDP candidates. Every signal is checked: one that is not valid, an offer
 * after the first, a candidate before the offer or past {@link MAX_REMOTE_CANDIDATES} is a
 * warning and is ignored.
 */
export function clientRtc(options: ClientRtcOptions): ClientRtc {
  const { signal, warn } = options;
  const pc: RtcPeerConnectionLike = new options.RTCPeerConnection({
    iceServers: options.iceServers.map((s) => ({ ...s })),
  });
  const dc = pc.createDataChannel(DATA_CHANNEL.label, {
    negotiated: true,
    id: DATA_CHANNEL.id,
    ordered: false,
    maxRetransmits: 0,
  });
  dc.binaryType = 'arraybuffer';
  let closed = false;
  let offered = false;
  let described: Promise<void> | undefined;
  let candidates = 0;
  // Own candidates gathered before the answer is signalled wait for it (the server takes none before).
  let answerSent = false;
  const waiting: Uint8Array[] = [];
  const pipe: DatagramPipe = {
    send: (data) => {
      if (dc.readyState === 'open' && dc.bufferedAmount <= MAX_QUEUED_DATA_CHANNEL_BYTES)
        dc.send(data);
    },
    close: () => close(),
  };
  const bad = (message: string): void => warn({ code: WarningCode.DecodeError, message });
  const close = (): void => {
    if (closed) return;
    closed = true;
    options.onClose(pipe);
    try {
      dc.close();
      pc.close();
    } catch {
      // closing twice, or mid-setup: nothing to free
    }
  };
  dc.addEventListener('open', () => {
    if (!closed) options.onOpen(pipe);
  });
  dc.addEventListener('close', () => close());
  dc.addEventListener('message', (event) => {
    const data = event.data;
    if (data instanceof ArrayBuffer) options.onDatagram(new Uint8Array(data));
    else if (ArrayBuffer.isView(data))
      options.onDatagram(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else bad('a text message on the data channel');
  });
  pc.addEventListener('icecandidate', (event) => {
    const c = event.candidate;
    if (closed || !c || !c.candidate) return;
    if (!/ udp /i.test(c.candidate)) return; // the server gathers UDP only: a TCP one is of no use
    let bytes: Uint8Array;
    try {
      bytes = encodeRtcSignal({
        kind: RtcSignalKind.Candidate,
        mid: c.sdpMid ?? '0',
        candidate: c.candidate.startsWith('a=') ? c.candidate.slice(2) : c.candidate,
      });
    } catch {
      return; // over the bounds: not sent (the server finds this client from its checks anyway)
    }
    if (answerSent) signal(bytes);
    else if (waiting.length < MAX_REMOTE_CANDIDATES) waiting.push(bytes);
  });
  const failed = (what: string) => (err: unknown) => {
    warn({
      code: WarningCode.SocketError,
      message: `WebRTC ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
      error: err instanceof Error ? err : undefined,
    });
    close();
  };

  return {
    receive(data) {
      if (closed) return;
      const s = decodeRtcSignal(data);
      if (typeof s === 'string') return bad(`a bad signal from the server: ${s}`);
      if (s.kind === RtcSignalKind.Offer) {
        if (offered) return bad('a second offer from the server');
        offered = true;
        described = pc
          .setRemoteDescription({ type: 'offer', sdp: s.sdp })
          .then(() => pc.createAnswer())
          .then(async (answer) => {
            const sdp = answer.sdp ?? '';
            await pc.setLocalDescription({ type: 'answer', sdp });
            if (closed) return;
            signal(encodeRtcSignal({ kind: RtcSignalKind.Answer, sdp }));
            answerSent = true;
            for (const bytes of waiting.splice(0)) signal(bytes);
          });
        described.catch(failed('answer'));
      } else if (s.kind === RtcSignalKind.Candidate) {
        if (!described) return bad('a candidate before the offer');
        if (++candidates > MAX_REMOTE_CANDIDATES)
          return bad(`more than ${MAX_REMOTE_CANDIDATES} candidates from the server`);
        if (!usableRemoteCandidate(s.candidate)) return;
        void described
          .then(() => pc.addIceCandidate({ candidate: s.candidate, sdpMid: s.mid }))
          .catch(() => bad('a candidate the browser refused'));
      } else bad('a signal only a client sends');
    },
    close,
  };
}
