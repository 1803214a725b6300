// The one UDP port every WebRTC data channel of a web listener shares: node-datachannel's ICE UDP mux, held open.
import * as dgram from 'node:dgram';
import type { IceUdpMuxListener, PeerConnection, RtcConfig } from 'node-datachannel';
import { ConnectionError } from '../../errors.js';
import type { IceServerConfig } from '../webrtc/RtcLike.js';

/** The shared port, and the configuration each peer connection is made with. */
export interface RtcMux {
  readonly port: number;
  /** The configuration of a peer connection on this port. */
  readonly config: RtcConfig;
  /** node-datachannel's class, loaded when the first web listener opens (not with the package). */
  readonly PeerConnection: typeof PeerConnection;
  /** Frees the port (peer connections still open keep working until they close). */
  close(): void;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** A free UDP port on `host`, as the system picks one. */
function freeUdpPort(host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', (err) => {
      socket.close();
      reject(err);
    });
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be bound on `host` now (false: someone holds it). */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/**
 * ICE servers in node-datachannel's form: `stun:host:port`, `turn:user:password@host:port`.
 */
export function ndcIceServers(servers: readonly IceServerConfig[]): string[] {
  const out: string[] = [];
  for (const s of servers)
    for (const url of typeof s.urls === 'string' ? [s.urls] : s.urls) {
      const m = /^(stuns?|turns?):(.*)$/.exec(url);
      if (!m) throw new RangeError(`not a STUN or TURN URL: ${url}`);
      const creds =
        s.username !== undefined
          ? `${encodeURIComponent(s.username)}:${encodeURIComponent(s.credential ?? '')}@`
          : '';
      out.push(`${m[1]}:${creds}${m[2]}`);
    }
  return out;
}

/**
 * Opens the shared WebRTC port: an ICE UDP mux listener on `host` and `port` (0: a free one),
 * which every peer connection made with `config` shares, so a server behind a firewall opens
 * one UDP port for all its browser players, not a range. Gathers on `host` only (all
 * interfaces for a wildcard), UDP only (no ICE-TCP).
 *
 * @throws {ConnectionError} (as a rejection) if the port cannot be held.
 */
export async function openRtcMux(options: {
  readonly host: string;
  readonly port: number;
  readonly iceServers: readonly IceServerConfig[];
}): Promise<RtcMux> {
  const { host } = options;
  const iceServers = ndcIceServers(options.iceServers);
  // Loaded here, not at import: the Node entry does not load the native module unless asked.
  const ndc = await import('node-datachannel');
  const bindHost = WILDCARDS.has(host) ? (host.includes(':') ? '::' : '0.0.0.0') : host;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port !== 0 ? options.port : await freeUdpPort(bindHost);
    let listener: IceUdpMuxListener;
    try {
      listener = new ndc.IceUdpMuxListener(port, WILDCARDS.has(host) ? undefined : host);
    } catch (err) {
      if (options.port !== 0)
        throw new ConnectionError(`cannot open the WebRTC port ${port}: ${String(err)}`, {
          cause: err,
        });
      continue;
    }
    listener.onUnhandledStunRequest(() => undefined); // a stranger's STUN: not a peer of ours
    if (await bindable(bindHost, port)) {
      // The mux did not get the port (someone took it between the probe and now).
      listener.stop();
      if (options.port !== 0) throw new ConnectionError(`cannot open the WebRTC port ${port}`);
      continue;
    }
    let closed = false;
    return {
      port,
      PeerConnection: ndc.PeerConnection,
      config: {
        iceServers,
        ...(WILDCARDS.has(host) ? {} : { bindAddress: host }),
        enableIceUdpMux: true,
        enableIceTcp: false,
        portRangeBegin: port,
        portRangeEnd: port,
      },
      close: () => {
        if (closed) return;
        closed = true;
        listener.stop();
      },
    };
  }
  throw new ConnectionError('cannot find a free UDP port for WebRTC');
}
