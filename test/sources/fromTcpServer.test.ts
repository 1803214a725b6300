import * as net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import { connectTcp, fromTcpServer, listenTcp } from '../../src/sources/fromTcpServer.js';
import { fromTcpSocket, writeMessage } from '../../src/sources/fromTcpSocket.js';
import { Resources } from '../helpers/resources.js';
import { waitForComplete, waitForError, waitForEvent, waitForValues } from '../helpers/waitFor.js';

const HOST = '127.0.0.1';
const resources = new Resources();
afterEach(() => resources.closeAll());

const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;
const EVENTS = ['connection', 'error', 'close'] as const;
const listenerCounts = (server: net.Server): number[] => EVENTS.map((e) => server.listenerCount(e));

/** Expects `promise` to reject with a ConnectionError whose cause has `code`. */
async function expectConnectionError(promise: Promise<unknown>, code: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectionError);
  expect((err as ConnectionError).cause).toMatchObject({ code });
}

describe('listenTcp', () => {
  it('resolves with a server listening on a port the OS chose', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    expect(server.listening).toBe(true);
    expect(server.address()).toMatchObject({ address: HOST });
    expect(portOf(server)).toBeGreaterThan(0);
    expect(server.listenerCount('error')).toBe(0); // its own listener is gone
  });

  it('rejects with ConnectionError (cause EADDRINUSE) on a port in use', async () => {
    const first = resources.add(await listenTcp({ host: HOST }));
    await expectConnectionError(listenTcp({ host: HOST, port: portOf(first) }), 'EADDRINUSE');
  });

  it('rejects with ConnectionError on a bad port instead of throwing', async () => {
    await expectConnectionError(listenTcp({ host: HOST, port: 70_000 }), 'ERR_SOCKET_BAD_PORT');
  });
});

describe('connectTcp', () => {
  it('resolves with a connected socket, Nagle off', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    const accepted = waitForEvent<[net.Socket]>(server, 'connection');
    const setNoDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      const socket = resources.add(await connectTcp({ host: HOST, port: portOf(server) }));
      expect(socket.remotePort).toBe(portOf(server));
      expect(socket.pending).toBe(false);
      expect(setNoDelay.mock.contexts).toContain(socket);
      expect(setNoDelay.mock.calls[setNoDelay.mock.contexts.indexOf(socket)]).toEqual([true]);
      expect(socket.listenerCount('error')).toBe(0);
      await accepted;
    } finally {
      setNoDelay.mockRestore();
    }
  });

  it('rejects with ConnectionError (cause ECONNREFUSED) on a closed port', async () => {
    const server = await listenTcp({ host: HOST });
    const port = portOf(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expectConnectionError(connectTcp({ host: HOST, port }), 'ECONNREFUSED');
  });

  it('rejects with ConnectionError on a bad port instead of throwing', async () => {
    await expectConnectionError(connectTcp({ host: HOST, port: -1 }), 'ERR_SOCKET_BAD_PORT');
  });

  it('rejects with ConnectionError (cause ETIMEDOUT) and aborts when it takes too long', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    // Fake only the timer, and let it expire before the event loop can complete the connect.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const connecting = connectTcp({ host: HOST, port: portOf(server), timeoutMs: 1000 });
      vi.advanceTimersByTime(1000);
      await expectConnectionError(connecting, 'ETIMEDOUT');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('fromTcpServer', () => {
  it('emits each accepted connection', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    const accepted = waitForValues(fromTcpServer(server), 2);
    const a = resources.add(await connectTcp({ host: HOST, port: portOf(server) }));
    const b = resources.add(await connectTcp({ host: HOST, port: portOf(server) }));
    const sockets = await accepted;
    expect(sockets).toHaveLength(2);
    expect(sockets.map((s) => s.remotePort).sort()).toEqual([a.localPort, b.localPort].sort());
    for (const s of sockets) expect(s).toBeInstanceOf(net.Socket);
  });

  it('gives sockets that carry messages', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    const connection = waitForValues(fromTcpServer(server), 1);
    const client = resources.add(await connectTcp({ host: HOST, port: portOf(server) }));
    const [accepted] = await connection;
    const received = waitForValues(fromTcpSocket(accepted), 1);
    writeMessage(client, Uint8Array.of(42));
    expect(await received).toEqual([Uint8Array.of(42)]);
  });

  it('completes when the server closes', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    const done = waitForComplete(fromTcpServer(server));
    server.close();
    expect(await done).toEqual([]);
  });

  it('errors with ConnectionError (cause: the Node error) on a server error', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    const error = waitForError(fromTcpServer(server));
    const cause = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
    server.emit('error', cause);
    const err = await error;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ name: 'ConnectionError', cause });
  });

  it('teardown removes exactly its listeners and leaves the server listening', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    const before = listenerCounts(server);
    const a = fromTcpServer(server).subscribe();
    const b = fromTcpServer(server).subscribe();
    expect(listenerCounts(server)).toEqual(before.map((n) => n + 2));
    a.unsubscribe();
    b.unsubscribe();
    expect(listenerCounts(server)).toEqual(before);
    expect(server.listening).toBe(true);
    // Still accepting.
    const accepted = waitForValues(fromTcpServer(server), 1);
    resources.add(await connectTcp({ host: HOST, port: portOf(server) }));
    expect(await accepted).toHaveLength(1);
  });
});
