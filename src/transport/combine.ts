// One listener over two: a server that takes Node (UDP + TCP) players and web players at once.
import { merge } from 'rxjs';
import type { ListenerAddress, MessageListener } from './Transport.js';

/**
 * A {@link MessageListener} that accepts the peers of both `primary` and `secondary`, and
 * reports the warnings of both. Its address is the primary's (`tcpPort`, `udpPort`) with the
 * secondary's `webPort` and `rtcPort` beside it. `connections$` completes once both have;
 * `close()` closes both.
 *
 * @example
 * const listener = combineListeners(await nodeTransport.listen(o), await listenWeb({ ...o, port: 8080 }));
 */
export function combineListeners(
  primary: MessageListener,
  secondary: MessageListener,
): MessageListener {
  const { webPort, rtcPort } = secondary.address;
  const address: ListenerAddress = {
    ...primary.address,
    ...(webPort !== undefined ? { webPort } : {}),
    ...(rtcPort !== undefined ? { rtcPort } : {}),
  };
  let closed: Promise<void> | undefined;
  return {
    address,
    connections$: merge(primary.connections$, secondary.connections$),
    warnings$: merge(primary.warnings$, secondary.warnings$),
    close: () =>
      (closed ??= Promise.all([primary.close(), secondary.close()]).then(() => undefined)),
  };
}
