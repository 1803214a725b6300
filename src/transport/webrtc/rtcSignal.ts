// The web transport's signals: the WebRTC offer, answer and ICE candidates, relayed by the core as opaque bytes.

/** What a signal is, its first byte. */
export const RtcSignalKind = {
  /** Server to client: the session description offering the data channel. */
  Offer: 1,
  /** Client to server: the answer to the offer. */
  Answer: 2,
  /** Either way: one ICE candidate of the sender (trickle ICE). */
  Candidate: 3,
  /** Client to server: this client will open no data channel (datagrams stay on the WebSocket). */
  Decline: 4,
} as const;
export type RtcSignalKind = (typeof RtcSignalKind)[keyof typeof RtcSignalKind];

/** One signal of the web transport. */
export type RtcSignal =
  | {
      readonly kind: typeof RtcSignalKind.Offer | typeof RtcSignalKind.Answer;
      readonly sdp: string;
    }
  | {
      readonly kind: typeof RtcSignalKind.Candidate;
      readonly mid: string;
      readonly candidate: string;
    }
  | { readonly kind: typeof RtcSignalKind.Decline };

/** Bounds of a signal's fields, in UTF-8 bytes. */
export const RtcSignalLimits = {
  /** A session description (a data-channel-only one is well under 1 KB). */
  maxSdpBytes: 4000,
  /** One candidate line. */
  maxCandidateBytes: 512,
  /** A media id (`a=mid`). */
  maxMidBytes: 32,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A signal's bytes: the kind byte, then for an offer or an answer the SDP (UTF-8); for a
 * candidate the mid's length (one byte), the mid, then the candidate line (UTF-8, without
 * `a=`); for a decline nothing.
 *
 * @throws {RangeError} if a field is over its bound (see {@link RtcSignalLimits}).
 */
export function encodeRtcSignal(signal: RtcSignal): Uint8Array {
  if (signal.kind === RtcSignalKind.Decline) return Uint8Array.of(signal.kind);
  if (signal.kind === RtcSignalKind.Candidate) {
    const mid = encoder.encode(signal.mid);
    const line = encoder.encode(signal.candidate);
    if (mid.length > RtcSignalLimits.maxMidBytes || line.length > RtcSignalLimits.maxCandidateBytes)
      throw new RangeError('an ICE candidate or its mid over the bound');
    const bytes = new Uint8Array(2 + mid.length + line.length);
    bytes[0] = signal.kind;
    bytes[1] = mid.length;
    bytes.set(mid, 2);
    bytes.set(line, 2 + mid.length);
    return bytes;
  }
  const sdp = encoder.encode(signal.sdp);
  if (sdp.length > RtcSignalLimits.maxSdpBytes)
    throw new RangeError(
      `a session description of ${sdp.length} bytes (at most ${RtcSignalLimits.maxSdpBytes})`,
    );
  const bytes = new Uint8Array(1 + sdp.length);
  bytes[0] = signal.kind;
  bytes.set(sdp, 1);
  return bytes;
}

const text = (bytes: Uint8Array): string | undefined => {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
};

/** Characters no SDP line or candidate may hold (a NUL, other controls but tab, CR and LF). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Reads a signal, trusting nothing: the kind, every length, UTF-8, an SDP that starts with
 * `v=0` and holds no control character but CR and LF, a candidate line that starts with
 * `candidate:` and is one line, a mid of 1 to 32 bytes.
 *
 * @returns The signal, or a string saying why the bytes are not one.
 */
export function decodeRtcSignal(bytes: Uint8Array): RtcSignal | string {
  if (bytes.length === 0) return 'an empty signal';
  const kind = bytes[0];
  if (kind === RtcSignalKind.Decline)
    return bytes.length === 1 ? { kind } : 'a decline signal with a body';
  if (kind === RtcSignalKind.Offer || kind === RtcSignalKind.Answer) {
    if (bytes.length - 1 > RtcSignalLimits.maxSdpBytes)
      return `a session description of ${bytes.length - 1} bytes (at most ${RtcSignalLimits.maxSdpBytes})`;
    const sdp = text(bytes.subarray(1));
    if (sdp === undefined) return 'a session description that is not UTF-8';
    if (!sdp.startsWith('v=0')) return 'a session description that does not start with v=0';
    if (CONTROL.test(sdp)) return 'a session description with a control character';
    return { kind, sdp };
  }
  if (kind === RtcSignalKind.Candidate) {
    const midBytes = bytes[1] ?? 0;
    if (midBytes < 1 || midBytes > RtcSignalLimits.maxMidBytes)
      return `a candidate's mid of ${midBytes} bytes (1..${RtcSignalLimits.maxMidBytes})`;
    const lineBytes = bytes.length - 2 - midBytes;
    if (lineBytes < 1 || lineBytes > RtcSignalLimits.maxCandidateBytes)
      return `a candidate of ${lineBytes} bytes (1..${RtcSignalLimits.maxCandidateBytes})`;
    const mid = text(bytes.subarray(2, 2 + midBytes));
    const candidate = text(bytes.subarray(2 + midBytes));
    if (mid === undefined || candidate === undefined) return 'a candidate that is not UTF-8';
    if (CONTROL.test(mid) || /[\r\n]/.test(mid))
      return "a candidate's mid with a control character";
    if (!candidate.startsWith('candidate:') || CONTROL.test(candidate) || /[\r\n]/.test(candidate))
      return 'a candidate that is not one "candidate:" line';
    return { kind, mid, candidate };
  }
  return `a signal of unknown kind ${String(kind)}`;
}
