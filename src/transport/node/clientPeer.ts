// The Node transport's client side: a TCP connection, and a UDP socket of its own once the server signals where to send.
import type * as net from 'node:net';
import { Subject } from 'rxjs';
import { ConnectionError } from '../../errors.js';
import { WarningCode } from '../../events.js';
import { MAX_EARLY_SIGNALS, SignalInbox } from '../signalInbox.js';
import type { DatagramChannel, TransportPeer, TransportWarning } from '../Transport.js';
import { clientChannel } from './clientChannel.js';
import { plainAddress } from './plainAddress.js';
import { tcpConnection } from './tcpConnection.js';
import { bindUdpEndpoint } from './udpEndpoint.js';
import { decodeUdpSignal } from './udpSignal.js';

/** Options of {@link clientPeer}. */
export interface ClientPeerOptions {
  readonly maxMessageBytes: number;
  readonly maxDatagramBytes: number;
  /** The address to bind the UDP socket on. Default: {@link defaultLocalHost} of the server's IP. */
  readonly localHost?: string;
}

/**
 * Where a client binds its UDP socket by default: the server's own address if it is a
 * loopback one (so datagrams stay on loopback), `'::'` for an IPv6 server, else `'0.0.0.0'`.
 *
 * @param serverAddress The server's IP, as the TCP connection resolved it.
 */
export function defaultLocalHost(serverAddress: string): string {
  if (serverAddress.startsWith('127.') || serverAddress === '::1') return serverAddress;
  return serverAddress.includes(':') ? '::' : '0.0.0.0';
}

/**
 * The client's {@link TransportPeer} over a connected TCP socket.
 *
 * `openDatagrams` sends no signal: it waits for the server's (kept if it came first), checks
 * it (exactly 6 bytes, a port from 1 to 65535; anything else is a `decode-error` warning and
 * a rejection), binds a UDP socket and resolves with a channel to the server's IP and the
 * signalled port. It rejects if the TCP connection closes first. The TCP connection closing
 * closes the channel too.
 *
 * @param socket The connected socket; the peer owns it from then on.
 */
export function clientPeer(socket: net.Socket, options: ClientPeerOptions): TransportPeer {
  const remoteAddress = plainAddress(socket.remoteAddress ?? '');
  const localHost = options.localHost ?? defaultLocalHost(remoteAddress);
  const warnings = new Subject<TransportWarning>();
  const warn = (warning: TransportWarning): void => {
    if (!warnings.closed) warnings.next(warning);
  };
  const inbox = new SignalInbox(MAX_EARLY_SIGNALS, (data) =>
    warn({
      code: WarningCode.BufferFull,
      message: `a signal of ${data.length} bytes dropped: ${MAX_EARLY_SIGNALS} are waiting already`,
      address: remoteAddress,
    }),
  );
  let state: 'idle' | 'waiting' | 'binding' | 'open' | 'failed' | 'closed' = 'idle';
  let channel: DatagramChannel | undefined;
  let fail: ((err: Error) => void) | undefined;

  socket.once('close', () => {
    const was = state;
    state = 'closed';
    inbox.clear();
    if (was === 'waiting' || was === 'binding')
      fail?.(new ConnectionError('the connection closed before the datagram channel opened'));
    channel?.close();
    warnings.complete();
  });

  const open = (
    data: Uint8Array,
    resolve: (c: DatagramChannel) => void,
    reject: (e: Error) => void,
  ): void => {
    const signal = decodeUdpSignal(data);
    if (typeof signal === 'string') {
      state = 'failed';
      warn({ code: WarningCode.DecodeError, message: signal, address: remoteAddress });
      reject(new ConnectionError(`a bad signal from the server: ${signal}`));
      return;
    }
    state = 'binding';
    bindUdpEndpoint({ host: localHost, port: 0 }).then(
      (endpoint) => {
        if (state !== 'binding') {
          void endpoint.close(); // the connection closed meanwhile (and rejected)
          return;
        }
        state = 'open';
        channel = clientChannel(endpoint, {
          serverAddress: remoteAddress,
          serverPort: signal.port,
          token: signal.token,
          maxDatagramBytes: options.maxDatagramBytes,
          warn,
        });
        resolve(channel);
      },
      (err: Error) => {
        if (state !== 'binding') return;
        state = 'failed';
        reject(err);
      },
    );
  };

  return {
    remoteAddress,
    messages: tcpConnection(socket, options.maxMessageBytes),
    warnings$: warnings.asObservable(),
    openDatagrams(): Promise<DatagramChannel> {
      if (state !== 'idle')
        return Promise.reject(
          new ConnectionError(
            state === 'closed' ? 'the connection is closed' : 'openDatagrams was called already',
          ),
        );
      if (socket.destroyed) return Promise.reject(new ConnectionError('the connection is closed'));
      state = 'waiting';
      return new Promise<DatagramChannel>((resolve, reject) => {
        fail = reject;
        inbox.read((data) => {
          if (state === 'waiting') open(data, resolve, reject);
          else
            warn({
              code: WarningCode.UnexpectedMessage,
              message: `a signal of ${data.length} bytes after the first`,
              address: remoteAddress,
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
          address: remoteAddress,
        });
    },
  };
}
