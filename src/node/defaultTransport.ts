// The transport Node's `connect` and `listRooms` use: the one given, the web transport for a `url`, else the Node transport.
import type { Transport } from '../transport/Transport.js';
import { nodeTransport } from '../transport/nodeTransport.js';
import { nodeWebTransport } from '../transport/web/nodeWebTransport.js';

/** `options.transport`, or with `url` the web transport over `ws` and node-datachannel, else `nodeTransport`. */
export function nodeDefaultTransport(options: { transport?: Transport; url?: string }): Transport {
  if (options.transport) return options.transport;
  if (options.url !== undefined) return nodeWebTransport({ client: { url: options.url } });
  return nodeTransport;
}

/** The Node web transport to `url` (a redirect to another process's web endpoint). */
export function nodeWebTransportTo(url: string): Transport {
  return nodeWebTransport({ client: { url } });
}
