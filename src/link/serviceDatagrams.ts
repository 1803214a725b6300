import type { Subscription } from 'rxjs';
import type { WarningCode, WarningEvent } from '../events.js';
import { conditionLink, type LinkConditionerOptions } from '../operators/conditionLink.js';
import type { Datagram } from '../sources/fromUdpSocket.js';
import type { DatagramEndpoint } from '../transport/Transport.js';

/** Reports a warning: the code, a message, and what is known of where it came from. */
export type Warn = (
  code: WarningCode,
  message: string,
  details?: Omit<WarningEvent, 'type' | 'code' | 'message'>,
) => void;

/**
 * The receive side of a UDP servicer, the same on the server and the client: datagrams
 * (through the link conditioner, if any) are decoded, and whatever does not decode becomes
 * a `decode-error` warning for that sender and is dropped; send failures become warnings.
 *
 * @returns The subscription; unsubscribe to stop servicing.
 */
export function serviceDatagrams<M>(options: {
  endpoint: DatagramEndpoint;
  conditioner: LinkConditionerOptions | undefined;
  /** Checked before decoding: a datagram it refuses is neither decoded nor reported. */
  admit?: (datagram: Datagram) => boolean;
  decode: (bytes: Uint8Array) => M;
  onMessage: (message: M, datagram: Datagram) => void;
  /** The endpoint itself failed. */
  onFailure: (err: Error) => void;
  warn: Warn;
}): Subscription {
  const { endpoint, conditioner, admit, decode, onMessage, onFailure, warn } = options;
  const datagrams$ = conditioner
    ? endpoint.datagrams$.pipe(conditionLink(conditioner))
    : endpoint.datagrams$;
  const sub = datagrams$.subscribe({
    next: (d) => {
      if (admit && !admit(d)) return;
      let message: M;
      try {
        message = decode(d.data);
      } catch (err) {
        const error = err as Error;
        warn('decode-error', `bad datagram: ${error.message}`, {
          address: d.address,
          port: d.port,
          error,
        });
        return;
      }
      onMessage(message, d);
    },
    error: (err: Error) => onFailure(err),
  });
  sub.add(
    endpoint.sendErrors$.subscribe((err) =>
      warn('socket-error', `UDP send failed: ${err.message}`, { error: err }),
    ),
  );
  return sub;
}
