// The transport the core's `connect` and `listRooms` use: the one given, or the web transport for a `url`.
import { ConnectionError } from '../errors.js';
import type { Transport } from '../transport/Transport.js';
import { createWebTransport } from '../transport/ws/webClientTransport.js';

/**
 * `options.transport`, or with only `url` the web transport (a WebSocket and a WebRTC data
 * channel: what a browser has).
 * @throws ConnectionError when neither is given (the core has no default).
 */
export function coreTransport(options: { transport?: Transport; url?: string }): Transport {
  if (options.transport) return options.transport;
  if (options.url !== undefined) return createWebTransport({ url: options.url });
  throw new ConnectionError('no transport: pass options.transport (this build has no default)');
}

/** The web transport to `url` (a redirect to another process's web endpoint). */
export function webTransportTo(url: string): Transport {
  return createWebTransport({ url });
}
