// TLS on the Node transport's reliable channel: the client's dial and the server's wrap of each accepted socket.
import * as net from 'node:net';
import * as tls from 'node:tls';
import { ConnectionError } from '../../errors.js';
import { dialSocket } from '../../sources/dialSocket.js';
import type { TlsClientOptions, TlsServerOptions } from '../Transport.js';

type Pem = string | Uint8Array;
const HANDSHAKE_FAILED = 'the TLS handshake failed';
const pem = (value: Pem): string | Buffer =>
  typeof value === 'string' ? value : Buffer.from(value);

/**
 * What the server does to each accepted TCP socket when it serves TLS: wraps it in a server
 * {@link tls.TLSSocket} (one secure context, made once). Without `options`, the socket as it is.
 *
 * A client that does not speak TLS fails the handshake: its socket errors (`the TLS handshake
 * failed (a client without TLS?): ...`, on the peer's `messages$`) and closes, before any
 * message is read.
 *
 * @throws {ConnectionError} at once if the key or certificate cannot be used (then nothing is opened).
 */
export function serverTls(
  options: TlsServerOptions | undefined,
): (socket: net.Socket) => net.Socket {
  if (!options) return (socket) => socket;
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext({ key: pem(options.key), cert: pem(options.cert) });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConnectionError(`cannot serve TLS with this key and certificate: ${reason}`, {
      cause: err,
    });
  }
  return (socket) => {
    const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
    secure.setNoDelay(true);
    let established = false;
    secure.once('secure', () => (established = true));
    // Said plainly on the warning the peer's error becomes: OpenSSL's reason alone is cryptic.
    secure.prependListener('error', (err: Error) => {
      if (!established && !err.message.startsWith(HANDSHAKE_FAILED))
        err.message = `${HANDSHAKE_FAILED} (a client without TLS?): ${err.message.trim()}`;
    });
    return secure;
  };
}

/** Options of {@link connectTls}. */
export interface TlsConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly tls: TlsClientOptions;
}

/**
 * Dials the server over TLS and resolves once the handshake is done and the certificate
 * checked (against `ca`, or the system's roots; for `servername`, default the host when it is
 * a name). Nagle is turned off.
 *
 * @throws {ConnectionError} (as a rejection) if the connection or the handshake fails (a
 * server that does not speak TLS, a certificate that does not verify: the Node error is
 * `cause`), or takes longer than `timeoutMs` (the attempt is aborted).
 */
export function connectTls(options: TlsConnectOptions): Promise<net.Socket> {
  const { host, port, timeoutMs } = options;
  const { ca, rejectUnauthorized = true, servername } = options.tls;
  return new Promise<net.Socket>((resolve, reject) => {
    const rejectWith = (err: unknown): void => {
      const reason = err instanceof Error ? err.message : String(err);
      reject(
        new ConnectionError(`cannot connect over TLS to ${host}:${port}: ${reason}`, {
          cause: err,
        }),
      );
    };
    dialSocket(
      () =>
        tls.connect({
          host,
          port,
          ca: ca === undefined ? undefined : Array.isArray(ca) ? ca.map(pem) : pem(ca as Pem),
          rejectUnauthorized,
          servername: servername ?? (net.isIP(host) ? undefined : host),
        }),
      {
        connectEvent: 'secureConnect',
        timeoutMs,
        timeoutMessage: `TLS connect ETIMEDOUT after ${timeoutMs} ms`,
        closedMessage: 'the server closed the connection during the TLS handshake',
      },
      resolve,
      rejectWith,
    );
  });
}
