// The receive side of a datagram channel, the same on the server and the client: condition, decode, warn.
import type { Subscription } from 'rxjs';
import type { WarningCode, WarningEvent } from '../events.js';
import { conditionLink, type LinkConditionerOptions } from '../operators/conditionLink.js';
import type { DatagramChannel } from '../transport/Transport.js';

/** Reports a warning: the code, a message, and what is known of where it came from. */
export type Warn = (
  code: WarningCode,
  message: string,
  details?: Omit<WarningEvent, 'type' | 'code' | 'message'>,
) => void;

/**
 * Services one datagram channel: datagrams (through the link conditioner, if any) are
 * decoded, and whatever does not decode becomes a `decode-error` warning and is dropped.
 *
 * @returns The subscription; unsubscribe to stop servicing.
 */
export function serviceDatagrams<M>(options: {
  channel: DatagramChannel;
  conditioner: LinkConditionerOptions | undefined;
  decode: (bytes: Uint8Array) => M;
  /** A message that decoded, and the size of its datagram. */
  onMessage: (message: M, bytes: number) => void;
  /** The channel itself failed. */
  onFailure: (err: Error) => void;
  /** Reports a datagram that did not decode. */
  onDecodeError: (err: Error) => void;
}): Subscription {
  const { channel, conditioner, decode, onMessage, onFailure, onDecodeError } = options;
  const datagrams$ = conditioner
    ? channel.datagrams$.pipe(conditionLink(conditioner))
    : channel.datagrams$;
  return datagrams$.subscribe({
    next: (data) => {
      let message: M;
      try {
        message = decode(data);
      } catch (err) {
        onDecodeError(err as Error);
        return;
      }
      onMessage(message, data.length);
    },
    error: (err: Error) => onFailure(err),
  });
}
