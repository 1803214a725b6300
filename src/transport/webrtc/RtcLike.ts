// The part of the WebRTC API the web transport's client uses: a browser's RTCPeerConnection, or node-datachannel's polyfill in Node.

/** An ICE server, as `RTCPeerConnection` takes it (`stun:host:port`, `turn:host:port?transport=udp`). */
export interface IceServerConfig {
  /** The server's URLs (`stun:host:port`, `turn:host:port`). */
  readonly urls: string | readonly string[];
  /** The TURN user name. */
  readonly username?: string;
  /** The TURN password. */
  readonly credential?: string;
}

/** An event of a peer connection or a data channel, with what the web transport reads of it. */
export interface RtcEventLike {
  /** `message`: the bytes. */
  readonly data?: unknown;
  /** `icecandidate`: the candidate, null at the end of gathering. */
  readonly candidate?: { readonly candidate: string; readonly sdpMid?: string | null } | null;
}

/** An `RTCDataChannel`, as the web transport uses it. */
export interface RtcDataChannelLike {
  binaryType: string;
  readonly readyState: string;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(): void;
  addEventListener(
    type: 'open' | 'close' | 'message' | 'error',
    listener: (event: RtcEventLike) => void,
  ): void;
}

/** An `RTCPeerConnection`, as the web transport uses it. */
export interface RtcPeerConnectionLike {
  createDataChannel(
    label: string,
    init: { negotiated: boolean; id: number; ordered: boolean; maxRetransmits: number },
  ): RtcDataChannelLike;
  setRemoteDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<void>;
  createAnswer(): Promise<{ readonly type: string; readonly sdp?: string }>;
  setLocalDescription(description: { type: 'answer'; sdp: string }): Promise<void>;
  addIceCandidate(candidate: { candidate: string; sdpMid: string }): Promise<void>;
  addEventListener(type: 'icecandidate', listener: (event: RtcEventLike) => void): void;
  close(): void;
}

/** What makes a peer connection of the shape the web transport uses: the global `RTCPeerConnection` in a browser. */
export type RtcPeerConnectionFactory = new (config: {
  iceServers: IceServerConfig[];
}) => RtcPeerConnectionLike;

/** The label and the fixed id (negotiated out of band: no in-band open message) of the game's data channel. */
export const DATA_CHANNEL = { label: 'game-network', id: 0 } as const;

/** Datagrams are dropped (as a full socket buffer drops them) while this much is queued on the data channel. */
export const MAX_QUEUED_DATA_CHANNEL_BYTES = 64 * 1024;
