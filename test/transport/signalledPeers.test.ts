// The two transport-independent peers: the client's channel opened by the server's first signal, the server's opened at once.
import { EMPTY } from 'rxjs';
import { describe, expect, it, vi, type Mock } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { WarningCode } from '../../src/events.js';
import type { PeerConnection } from '../../src/transport/peerConnection.js';
import { MAX_EARLY_SIGNALS } from '../../src/transport/signalInbox.js';
import {
  signalledClientPeer,
  type SignalOpening,
} from '../../src/transport/signalledClientPeer.js';
import { signallingServerPeer } from '../../src/transport/signallingServerPeer.js';
import type {
  DatagramChannel,
  MessageConnection,
  TransportPeer,
  TransportWarning,
} from '../../src/transport/Transport.js';

const messages: MessageConnection = {
  messages$: EMPTY,
  send: () => true,
  end: () => undefined,
  destroy: () => undefined,
  bufferedBytes: 0,
};

/** A connection closed by hand, and what the peer saw of it. */
function fakeConnection(extra: Partial<PeerConnection> = {}): {
  connection: PeerConnection;
  close: () => void;
} {
  let closed: (() => void) | undefined;
  return {
    connection: {
      remoteAddress: 'somewhere',
      messages,
      onClose: (callback) => (closed = callback),
      ...extra,
    },
    close: () => closed?.(),
  };
}

/** A channel that does nothing; `closes` counts its `close` calls. */
const fakeChannel = (): DatagramChannel & { readonly closes: Mock<() => void> } => {
  const closes = vi.fn<() => void>();
  return { datagrams$: EMPTY, send: () => undefined, close: closes, closes };
};

/** Every warning of `peer`, and whether they completed. */
function watch(peer: TransportPeer): { warnings: TransportWarning[]; completed: () => boolean } {
  const warnings: TransportWarning[] = [];
  let completed = false;
  peer.warnings$.subscribe({ next: (w) => warnings.push(w), complete: () => (completed = true) });
  return { warnings, completed: () => completed };
}

const noSignal = (): void => undefined;
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe("a client peer opened by the server's signal", () => {
  it('opens from a signal that came before openDatagrams, and warns of any later one', async () => {
    const channel = fakeChannel();
    const open = vi.fn((_signal: Uint8Array): SignalOpening => channel);
    const { connection } = fakeConnection();
    const peer = signalledClientPeer({ ...connection, open });
    const { warnings } = watch(peer);
    peer.signal(bytes(1));
    peer.signal(bytes(2));
    await expect(peer.openDatagrams(noSignal)).resolves.toBe(channel);
    expect(open).toHaveBeenCalledOnce();
    expect(open.mock.calls[0]?.[0]).toEqual(bytes(1));
    peer.signal(bytes(3, 3));
    expect(warnings).toStrictEqual([
      { code: WarningCode.UnexpectedMessage, message: 'a signal of 1 bytes after the first' },
      { code: WarningCode.UnexpectedMessage, message: 'a signal of 2 bytes after the first' },
    ]);
  });

  it('keeps a few early signals and drops the rest with a warning carrying its address', () => {
    const { connection } = fakeConnection({ warningAddress: '10.0.0.1' });
    const peer = signalledClientPeer({ ...connection, open: () => fakeChannel() });
    const { warnings } = watch(peer);
    for (let i = 0; i <= MAX_EARLY_SIGNALS; i++) peer.signal(bytes(i));
    expect(warnings).toStrictEqual([
      {
        code: WarningCode.BufferFull,
        message: `a signal of 1 bytes dropped: ${MAX_EARLY_SIGNALS} are waiting already`,
        address: '10.0.0.1',
      },
    ]);
  });

  it('rejects a refused signal with a warning of its code', async () => {
    const { connection } = fakeConnection();
    const peer = signalledClientPeer({
      ...connection,
      open: () => ({ refused: WarningCode.BadToken, why: 'not ours' }),
    });
    const { warnings } = watch(peer);
    const opening = peer.openDatagrams(noSignal);
    peer.signal(bytes(1));
    await expect(opening).rejects.toThrow(
      new ConnectionError('a bad signal from the server: not ours'),
    );
    expect(warnings).toStrictEqual([{ code: WarningCode.BadToken, message: 'not ours' }]);
    await expect(peer.openDatagrams(noSignal)).rejects.toThrow('openDatagrams was called already');
  });

  it('rejects with the error of a channel that cannot open', async () => {
    const { connection } = fakeConnection();
    const failure = new Error('bind failed');
    const peer = signalledClientPeer({ ...connection, open: () => Promise.reject(failure) });
    const opening = peer.openDatagrams(noSignal);
    peer.signal(bytes(1));
    await expect(opening).rejects.toBe(failure);
  });

  it('rejects when the connection closes while waiting, and completes its warnings', async () => {
    const { connection, close } = fakeConnection();
    const peer = signalledClientPeer({ ...connection, open: () => fakeChannel() });
    const { completed } = watch(peer);
    const opening = peer.openDatagrams(noSignal);
    close();
    await expect(opening).rejects.toThrow(
      'the connection closed before the datagram channel opened',
    );
    expect(completed()).toBe(true);
    await expect(peer.openDatagrams(noSignal)).rejects.toThrow('the connection is closed');
  });

  it('closes a channel that opens after the connection closed', async () => {
    const { connection, close } = fakeConnection();
    const channel = fakeChannel();
    let bound: (c: DatagramChannel) => void = () => undefined;
    const peer = signalledClientPeer({
      ...connection,
      open: () => new Promise<DatagramChannel>((resolve) => (bound = resolve)),
    });
    const opening = peer.openDatagrams(noSignal);
    peer.signal(bytes(1));
    close();
    await expect(opening).rejects.toBeInstanceOf(ConnectionError);
    bound(channel);
    await vi.waitFor(() => expect(channel.closes).toHaveBeenCalledOnce());
  });

  it('closes its channel when the connection closes', async () => {
    const { connection, close } = fakeConnection();
    const channel = fakeChannel();
    const peer = signalledClientPeer({ ...connection, open: () => Promise.resolve(channel) });
    peer.signal(bytes(1));
    await expect(peer.openDatagrams(noSignal)).resolves.toBe(channel);
    close();
    expect(channel.closes).toHaveBeenCalledOnce();
  });

  it('rejects at once over a connection known closed before its close event', async () => {
    const { connection } = fakeConnection({ isClosed: () => true });
    const peer = signalledClientPeer({ ...connection, open: () => fakeChannel() });
    await expect(peer.openDatagrams(noSignal)).rejects.toThrow('the connection is closed');
  });
});

describe('a server peer that signals first', () => {
  const expectsNoSignal = 'none expected';

  it('opens, signals what open says, resolves, and closes the channel with the connection', async () => {
    const { connection, close } = fakeConnection();
    const channel = fakeChannel();
    const peer = signallingServerPeer({
      ...connection,
      expectsNoSignal,
      open: () => ({ channel, signal: bytes(7, 7) }),
    });
    const { completed } = watch(peer);
    const sent: Uint8Array[] = [];
    await expect(peer.openDatagrams((data) => sent.push(data))).resolves.toBe(channel);
    expect(sent).toEqual([bytes(7, 7)]);
    await expect(peer.openDatagrams(noSignal)).rejects.toThrow('openDatagrams was called already');
    close();
    expect(channel.closes).toHaveBeenCalledOnce();
    expect(completed()).toBe(true);
  });

  it('rejects, opening nothing, once the connection has closed', async () => {
    const { connection, close } = fakeConnection();
    const open = vi.fn(() => ({ channel: fakeChannel(), signal: bytes() }));
    const peer = signallingServerPeer({ ...connection, expectsNoSignal, open });
    close();
    await expect(peer.openDatagrams(noSignal)).rejects.toThrow(
      'the connection closed before its datagrams were opened',
    );
    expect(open).not.toHaveBeenCalled();
    await expect(peer.openDatagrams(noSignal)).rejects.toThrow('openDatagrams was called already');
  });

  it('closes the channel and rejects when the signal cannot be sent', async () => {
    const { connection } = fakeConnection();
    const channel = fakeChannel();
    const peer = signallingServerPeer({
      ...connection,
      expectsNoSignal,
      open: () => ({ channel, signal: bytes() }),
    });
    const failure = new Error('cannot send');
    await expect(
      peer.openDatagrams(() => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(channel.closes).toHaveBeenCalledOnce();
  });

  it('rejects with what open threw', async () => {
    const { connection } = fakeConnection();
    const failure = new ConnectionError('closed listener');
    const peer = signallingServerPeer({
      ...connection,
      expectsNoSignal,
      open: () => {
        throw failure;
      },
    });
    await expect(peer.openDatagrams(noSignal)).rejects.toBe(failure);
  });

  it('warns of a signal from the client', () => {
    const { connection } = fakeConnection({ warningAddress: '10.0.0.2' });
    const peer = signallingServerPeer({
      ...connection,
      expectsNoSignal,
      open: () => ({ channel: fakeChannel(), signal: bytes() }),
    });
    const { warnings } = watch(peer);
    peer.signal(bytes(1, 2));
    expect(warnings).toStrictEqual([
      {
        code: WarningCode.UnexpectedMessage,
        message: 'a signal of 2 bytes: none expected',
        address: '10.0.0.2',
      },
    ]);
  });
});
