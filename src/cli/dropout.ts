// A transport that can make one player drop out: its datagrams lost both ways, its TCP cut, no new connection, until it comes back.
import { Observable } from 'rxjs';
import { ConnectionError } from '../errors.js';
import type { DatagramChannel, Transport, TransportPeer } from '../transport/Transport.js';

/** A transport whose client can be taken off the network for a while (the demo's `--dropout`). */
export interface DropoutTransport extends Transport {
  /** Off the network: the TCP connection cut, datagrams lost, connects refused. */
  drop(): void;
  /** Back on the network: the client's own reconnect does the rest. */
  restore(): void;
  readonly down: boolean;
}

/** Wraps `base` (the Node transport in the demo) for one client. */
export function dropoutTransport(base: Transport): DropoutTransport {
  let down = false;
  let current: TransportPeer | undefined;
  const wrapChannel = (channel: DatagramChannel): DatagramChannel => ({
    datagrams$: new Observable<Uint8Array>((subscriber) =>
      channel.datagrams$.subscribe({
        next: (d) => {
          if (!down) subscriber.next(d);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      }),
    ),
    send: (data) => {
      if (!down) channel.send(data);
    },
    close: () => channel.close(),
  });
  return {
    get down() {
      return down;
    },
    drop: () => {
      down = true;
      current?.messages.destroy();
    },
    restore: () => {
      down = false;
    },
    listen: (options) => base.listen(options),
    connect: async (options) => {
      if (down) throw new ConnectionError('the network is down (--dropout)');
      const peer = await base.connect(options);
      current = peer;
      return {
        remoteAddress: peer.remoteAddress,
        messages: peer.messages,
        warnings$: peer.warnings$,
        signal: (data) => peer.signal(data),
        openDatagrams: async (signal) => wrapChannel(await peer.openDatagrams(signal)),
      };
    },
  };
}
