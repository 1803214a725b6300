import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionError } from '../../src/errors.js';
import {
  bindUdpSocket,
  DEFAULT_UDP_RECV_BUFFER_BYTES,
  DEFAULT_UDP_SEND_BUFFER_BYTES,
  fromUdpSocket,
  udpSender,
  type Datagram,
} from '../../src/sources/fromUdpSocket.js';
import { Resources } from '../helpers/resources.js';
import { waitForComplete, waitForError, waitForEvent, waitForValues } from '../helpers/waitFor.js';

const HOST = '127.0.0.1';
const resources = new Resources();
afterEach(() => resources.closeAll());

const bind = async (options: Parameters<typeof bindUdpSocket>[0] = { host: HOST }) =>
  resources.add(await bindUdpSocket(options));
const portOf = (socket: dgram.Socket): number => socket.address().port;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (d: Datagram): string => new TextDecoder().decode(d.data);

const EVENTS = ['message', 'error', 'close'] as const;
const listenerCounts = (socket: dgram.Socket): number[] =>
  EVENTS.map((e) => socket.listenerCount(e));

/** A Linux sysctl as a number, or undefined elsewhere. */
function sysctl(path: string): number | undefined {
  try {
    return Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Resolves with the error passed to the callback, failing after the default timeout. */
function nextError(): { onError: (err: Error) => void; error: Promise<Error> } {
  let onError: (err: Error) => void = () => {};
  const error = new Promise<Error>((resolve) => (onError = resolve));
  return { onError, error };
}

describe('fromUdpSocket', () => {
  it('emits a datagram with its bytes and the sender address and port', async () => {
    const receiver = await bind();
    const sender = await bind();
    const received = waitForValues(fromUdpSocket(receiver), 1);
    sender.send(text('hello'), portOf(receiver), HOST);
    const [datagram] = await received;
    expect(decode(datagram)).toBe('hello');
    expect(datagram.data).toBeInstanceOf(Uint8Array);
    expect(datagram).toMatchObject({ address: HOST, port: portOf(sender) });
  });

  it('emits every datagram sent over loopback', async () => {
    const receiver = await bind();
    const sender = await bind();
    const sent = Array.from({ length: 50 }, (_, i) => `datagram ${i}`);
    const received = waitForValues(fromUdpSocket(receiver), sent.length);
    const send = udpSender(sender);
    for (const s of sent) send(text(s), portOf(receiver), HOST);
    const got = (await received).map(decode);
    // UDP does not promise order, even on loopback: compare as sets.
    expect([...got].sort()).toEqual([...sent].sort());
  });

  it('gives every datagram to each of several subscribers', async () => {
    const receiver = await bind();
    const sender = await bind();
    const a = waitForValues(fromUdpSocket(receiver), 2);
    const b = waitForValues(fromUdpSocket(receiver), 2);
    sender.send(text('one'), portOf(receiver), HOST);
    sender.send(text('two'), portOf(receiver), HOST);
    expect((await a).map(decode).sort()).toEqual(['one', 'two']);
    expect((await b).map(decode).sort()).toEqual(['one', 'two']);
  });

  it('completes when the socket closes', async () => {
    const socket = await bind();
    const done = waitForComplete(fromUdpSocket(socket));
    socket.close();
    expect(await done).toEqual([]);
  });

  it('errors with ConnectionError (cause: the Node error) on a socket error', async () => {
    const socket = await bind();
    const error = waitForError(fromUdpSocket(socket));
    const cause = Object.assign(new Error('recvmsg ENOBUFS'), { code: 'ENOBUFS' });
    socket.emit('error', cause);
    const err = await error;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ name: 'ConnectionError', cause });
  });

  it('teardown removes exactly its listeners and never closes the socket', async () => {
    const socket = await bind();
    const before = listenerCounts(socket);
    const a = fromUdpSocket(socket).subscribe();
    const b = fromUdpSocket(socket).subscribe();
    expect(listenerCounts(socket)).toEqual(before.map((n) => n + 2));
    a.unsubscribe();
    expect(listenerCounts(socket)).toEqual(before.map((n) => n + 1));
    b.unsubscribe();
    expect(listenerCounts(socket)).toEqual(before);
    expect(() => socket.address()).not.toThrow(); // still bound
    // A new subscription still receives.
    const sender = await bind();
    const received = waitForValues(fromUdpSocket(socket), 1);
    sender.send(text('again'), portOf(socket), HOST);
    expect((await received).map(decode)).toEqual(['again']);
  });

  it('removes its listeners after an error or completion', async () => {
    const socket = await bind();
    const before = listenerCounts(socket);
    const error = waitForError(fromUdpSocket(socket));
    socket.emit('error', new Error('boom'));
    await error;
    expect(listenerCounts(socket)).toEqual(before);
  });
});

describe('bindUdpSocket', () => {
  it('binds a udp4 socket on a port the OS chose', async () => {
    const socket = await bind();
    expect(socket.address()).toMatchObject({ address: HOST, family: 'IPv4' });
    expect(portOf(socket)).toBeGreaterThan(0);
    expect(socket.listenerCount('error')).toBe(0); // its own listener is gone
  });

  it('binds a udp6 socket for an IPv6 host', async (ctx) => {
    let socket: dgram.Socket;
    try {
      socket = await bind({ host: '::1' });
    } catch (err) {
      // No IPv6 loopback here (some containers): nothing to test.
      if (err instanceof ConnectionError) return ctx.skip(`no IPv6 loopback: ${err.message}`);
      throw err;
    }
    expect(socket.address()).toMatchObject({ address: '::1', family: 'IPv6' });
  });

  it('asks for 4 MiB / 1 MiB kernel buffers by default and gets what the OS allows', async () => {
    const plain = resources.add(dgram.createSocket('udp4'));
    await new Promise<void>((resolve) => plain.bind(0, HOST, resolve));
    const socket = await bind();
    const recv = socket.getRecvBufferSize();
    const send = socket.getSendBufferSize();
    // Never less than an untouched socket gets.
    expect(recv).toBeGreaterThanOrEqual(plain.getRecvBufferSize());
    expect(send).toBeGreaterThanOrEqual(plain.getSendBufferSize());
    // On Linux, at least min(asked, cap): the kernel caps at rmem_max / wmem_max (and reports
    // double what it grants, for its bookkeeping).
    const rmemMax = sysctl('/proc/sys/net/core/rmem_max');
    const wmemMax = sysctl('/proc/sys/net/core/wmem_max');
    if (rmemMax !== undefined) {
      expect(recv).toBeGreaterThanOrEqual(Math.min(DEFAULT_UDP_RECV_BUFFER_BYTES, rmemMax));
    }
    if (wmemMax !== undefined) {
      expect(send).toBeGreaterThanOrEqual(Math.min(DEFAULT_UDP_SEND_BUFFER_BYTES, wmemMax));
    }
  });

  it('asks for the buffer sizes given', async () => {
    const socket = await bind({ host: HOST, recvBufferBytes: 65_536, sendBufferBytes: 32_768 });
    expect(socket.getRecvBufferSize()).toBeGreaterThanOrEqual(65_536);
    expect(socket.getSendBufferSize()).toBeGreaterThanOrEqual(32_768);
  });

  it('ignores a buffer size the OS refuses', async () => {
    const socket = await bind({ host: HOST, recvBufferBytes: -1, sendBufferBytes: 2 ** 40 });
    expect(socket.getRecvBufferSize()).toBeGreaterThan(0);
    expect(portOf(socket)).toBeGreaterThan(0);
  });

  it('rejects with ConnectionError (cause EADDRINUSE) on a port in use', async () => {
    const first = await bind();
    const err = await bindUdpSocket({ host: HOST, port: portOf(first) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).cause).toMatchObject({ code: 'EADDRINUSE' });
  });

  it.each([70_000, -1, 1.5, Number.NaN])(
    'rejects with ConnectionError on the bad port %s (which dgram would wrap silently)',
    async (port) => {
      const err = await bindUdpSocket({ host: HOST, port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as ConnectionError).cause).toMatchObject({ code: 'ERR_SOCKET_BAD_PORT' });
    },
  );

  it('rejects with ConnectionError (cause EADDRNOTAVAIL) on an address not on this host', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a local interface.
    const err = await bindUdpSocket({ host: '192.0.2.1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).cause).toMatchObject({ code: 'EADDRNOTAVAIL' });
  });
});

describe('udpSender', () => {
  it('sends datagrams', async () => {
    const receiver = await bind();
    const sender = await bind();
    const received = waitForValues(fromUdpSocket(receiver), 1);
    udpSender(sender)(text('hi'), portOf(receiver), HOST);
    const [datagram] = await received;
    expect(decode(datagram)).toBe('hi');
    expect(datagram.port).toBe(portOf(sender));
  });

  it('reports a send on a closed socket to onError, later, without throwing', async () => {
    const receiver = await bind();
    const sender = await bind();
    sender.close();
    await waitForEvent(sender, 'close');
    const { onError, error } = nextError();
    let reportedDuringSend = false;
    let sending = true;
    const send = udpSender(sender, (err) => {
      reportedDuringSend = sending;
      onError(err);
    });
    expect(() => send(text('lost'), portOf(receiver), HOST)).not.toThrow();
    sending = false;
    const err = await error;
    expect(reportedDuringSend).toBe(false);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.cause).toMatchObject({ code: 'ERR_SOCKET_DGRAM_NOT_RUNNING' });
  });

  it('reports an asynchronous send failure (EMSGSIZE) to onError', async () => {
    const receiver = await bind();
    const sender = await bind();
    const { onError, error } = nextError();
    udpSender(sender, onError)(new Uint8Array(70_000), portOf(receiver), HOST);
    const err = await error;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.cause).toMatchObject({ code: 'EMSGSIZE' });
  });

  it('drops failures silently without onError (no throw, nothing unhandled)', async () => {
    const receiver = await bind();
    const sender = await bind();
    const send = udpSender(sender);
    send(new Uint8Array(70_000), portOf(receiver), HOST); // fails later
    sender.close();
    await waitForEvent(sender, 'close');
    expect(() => send(text('x'), portOf(receiver), HOST)).not.toThrow(); // fails at once
    // Let both failures be reported (to nobody): a microtask and an I/O callback.
    await new Promise<void>((resolve) => setImmediate(resolve));
  });
});
