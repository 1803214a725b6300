import fc from 'fast-check';
import * as net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionError, MessageTooLargeError, TruncatedMessageError } from '../../src/errors.js';
import { connectTcp, fromTcpServer, listenTcp } from '../../src/sources/fromTcpServer.js';
import {
  frameMessage,
  fromTcpSocket,
  writeMessage,
  writeMessages,
} from '../../src/sources/fromTcpSocket.js';
import { Resources } from '../helpers/resources.js';
import {
  waitForComplete,
  waitForError,
  waitForEvent,
  waitForOutcome,
  waitForValues,
} from '../helpers/waitFor.js';

const HOST = '127.0.0.1';
const resources = new Resources();
afterEach(() => resources.closeAll());

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Concatenates byte arrays into a plain Uint8Array (so toEqual compares it with others). */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** The events fromTcpSocket listens to, for listener-count checks. */
const EVENTS = ['data', 'end', 'close', 'error'] as const;
const listenerCounts = (socket: net.Socket): number[] => EVENTS.map((e) => socket.listenerCount(e));

/**
 * A listening server, a client connected to it, and the server's side of that connection.
 * Everything is registered for teardown.
 */
async function connectedPair(
  server?: net.Server,
): Promise<{ server: net.Server; client: net.Socket; accepted: net.Socket }> {
  const srv = server ?? resources.add(await listenTcp({ host: HOST }));
  const { port } = srv.address() as net.AddressInfo;
  const acceptedP = waitForEvent<[net.Socket]>(srv, 'connection');
  const client = resources.add(await connectTcp({ host: HOST, port }));
  const [accepted] = await acceptedP;
  return { server: srv, client, accepted };
}

describe('fromTcpSocket, driven by emitted events (any chunking)', () => {
  /** An unconnected net.Socket: its events are emitted by hand. */
  const fakeSocket = (): net.Socket => resources.add(new net.Socket());

  it('emits each message of any split of a stream, then completes on end + close', () => {
    const payloads = fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 15 });
    const input = payloads.chain((messages) => {
      const stream = concat(messages.map(frameMessage));
      return fc
        .uniqueArray(fc.nat({ max: stream.length }), { maxLength: 30 })
        .map((cuts) => ({ messages, stream, cuts: [...cuts].sort((a, b) => a - b) }));
    });
    fc.assert(
      fc.property(input, ({ messages, stream, cuts }) => {
        const socket = new net.Socket();
        const out: Uint8Array[] = [];
        let completed = false;
        let error: unknown;
        fromTcpSocket(socket, { maxMessageBytes: 200 }).subscribe({
          next: (m) => out.push(m),
          error: (e: unknown) => (error = e),
          complete: () => (completed = true),
        });
        let start = 0;
        for (const cut of [...cuts, stream.length]) {
          socket.emit('data', stream.subarray(start, cut));
          start = cut;
        }
        socket.emit('end');
        socket.emit('close', false);
        expect(error).toBeUndefined();
        expect(out).toEqual(messages);
        expect(completed).toBe(true);
        expect(socket.listenerCount('data')).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('errors with TruncatedMessageError on end in the middle of a message', () => {
    const socket = fakeSocket();
    const seen: Uint8Array[] = [];
    let error: unknown;
    fromTcpSocket(socket).subscribe({
      next: (m) => seen.push(m),
      error: (e: unknown) => (error = e),
    });
    socket.emit(
      'data',
      concat([frameMessage(bytes(1)), frameMessage(bytes(1, 2, 3)).subarray(0, 6)]),
    );
    socket.emit('end');
    expect(seen).toEqual([bytes(1)]);
    expect(error).toBeInstanceOf(TruncatedMessageError);
    expect(error).toMatchObject({ receivedBytes: 6, expectedBytes: 7 });
  });

  it('errors with TruncatedMessageError on close (local destroy) in the middle of a prefix', () => {
    const socket = fakeSocket();
    let error: unknown;
    fromTcpSocket(socket).subscribe({ error: (e: unknown) => (error = e) });
    socket.emit('data', bytes(0, 0, 0));
    socket.emit('close', false);
    expect(error).toMatchObject({ name: 'TruncatedMessageError', receivedBytes: 3 });
  });

  it('completes on close without end at a boundary, and at once on an already closed socket', async () => {
    const socket = fakeSocket();
    let completed = false;
    fromTcpSocket(socket).subscribe({ complete: () => (completed = true) });
    socket.emit('close', false);
    expect(completed).toBe(true);

    const closed = fakeSocket();
    closed.destroy();
    await waitForEvent(closed, 'close');
    expect(await waitForComplete(fromTcpSocket(closed))).toEqual([]);
  });

  it('errors with ConnectionError (cause: the Node error) on a socket error', () => {
    const socket = fakeSocket();
    let error: unknown;
    fromTcpSocket(socket).subscribe({ error: (e: unknown) => (error = e) });
    const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    socket.emit('error', cause);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ name: 'ConnectionError', cause });
  });

  it('on a length over the limit: MessageTooLargeError, socket destroyed, later chunks ignored', () => {
    const socket = fakeSocket();
    const before = listenerCounts(socket);
    const seen: Uint8Array[] = [];
    let error: unknown;
    fromTcpSocket(socket, { maxMessageBytes: 8 }).subscribe({
      next: (m) => seen.push(m),
      error: (e: unknown) => (error = e),
    });
    socket.emit('data', concat([frameMessage(bytes(5)), bytes(0, 0, 0, 9)]));
    expect(seen).toEqual([bytes(5)]);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ length: 9, maxMessageBytes: 8 });
    expect(socket.destroyed).toBe(true);
    expect(listenerCounts(socket)).toEqual(before);
  });

  it('teardown removes exactly its listeners and leaves the socket open', () => {
    const socket = fakeSocket();
    const before = listenerCounts(socket);
    const a = fromTcpSocket(socket).subscribe();
    const b = fromTcpSocket(socket).subscribe();
    expect(listenerCounts(socket)).toEqual(before.map((n) => n + 2));
    a.unsubscribe();
    expect(listenerCounts(socket)).toEqual(before.map((n) => n + 1));
    b.unsubscribe();
    expect(listenerCounts(socket)).toEqual(before);
    expect(socket.destroyed).toBe(false);
  });

  it('stops emitting when unsubscribed from inside next', () => {
    const socket = fakeSocket();
    const seen: Uint8Array[] = [];
    const subscription = fromTcpSocket(socket).subscribe((m) => {
      seen.push(m);
      subscription.unsubscribe();
    });
    socket.emit('data', concat([frameMessage(bytes(1)), frameMessage(bytes(2))]));
    expect(seen).toEqual([bytes(1)]);
    expect(socket.listenerCount('data')).toBe(0);
  });

  it('rejects a bad maxMessageBytes at call time', () => {
    const socket = fakeSocket();
    expect(() => fromTcpSocket(socket, { maxMessageBytes: -1 })).toThrow(RangeError);
    expect(() => fromTcpSocket(socket, { maxMessageBytes: 2 ** 32 })).toThrow(RangeError);
  });
});

describe('fromTcpSocket over real sockets', () => {
  it('receives messages written one at a time', async () => {
    const { client, accepted } = await connectedPair();
    const received = waitForValues(fromTcpSocket(accepted), 3);
    expect(writeMessage(client, text('hello'))).toBe(true);
    writeMessage(client, bytes());
    writeMessage(client, text('world'));
    expect(await received).toEqual([text('hello'), bytes(), text('world')]);
  });

  it('receives a message written one byte per write', async () => {
    const { client, accepted } = await connectedPair();
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i % 251);
    const received = waitForValues(fromTcpSocket(accepted), 2);
    const frames = concat([frameMessage(payload), frameMessage(text('next'))]);
    for (const byte of frames) client.write(bytes(byte));
    expect(await received).toEqual([payload, text('next')]);
  });

  it('receives many messages written in one chunk', async () => {
    const { client, accepted } = await connectedPair();
    const messages = Array.from({ length: 200 }, (_, i) => text(`message ${i}`));
    const received = waitForValues(fromTcpSocket(accepted), messages.length);
    client.write(concat(messages.map(frameMessage)));
    expect(await received).toEqual(messages);
  });

  it('receives a message larger than a socket read (split over many chunks)', async () => {
    const { client, accepted } = await connectedPair();
    const big = Uint8Array.from({ length: 1_000_000 }, (_, i) => (i * 7) % 256);
    const received = waitForValues(fromTcpSocket(accepted, { maxMessageBytes: 1_000_000 }), 1);
    writeMessage(client, big);
    const [got] = await received;
    expect(got.length).toBe(big.length);
    expect(Buffer.compare(got, big)).toBe(0);
  });

  it('works in both directions', async () => {
    const { client, accepted } = await connectedPair();
    const atClient = waitForValues(fromTcpSocket(client), 1);
    const atServer = waitForValues(fromTcpSocket(accepted), 1);
    writeMessage(client, text('ping'));
    writeMessage(accepted, text('pong'));
    expect(await atServer).toEqual([text('ping')]);
    expect(await atClient).toEqual([text('pong')]);
  });

  it('completes on a clean close at a message boundary', async () => {
    const { client, accepted } = await connectedPair();
    const all = waitForComplete(fromTcpSocket(accepted));
    writeMessages(client, [text('a'), text('b')]);
    client.end();
    expect(await all).toEqual([text('a'), text('b')]);
  });

  it('errors with TruncatedMessageError when the peer closes in the middle of a message', async () => {
    const { client, accepted } = await connectedPair();
    const outcome = waitForOutcome(fromTcpSocket(accepted));
    client.write(
      concat([frameMessage(text('whole')), frameMessage(text('0123456789')).subarray(0, 7)]),
    );
    client.end();
    const result = await outcome;
    expect(result.values).toEqual([text('whole')]);
    expect(result).toMatchObject({ kind: 'error' });
    expect(result.kind === 'error' && result.error).toBeInstanceOf(TruncatedMessageError);
    expect(result.kind === 'error' && result.error).toMatchObject({
      receivedBytes: 7,
      expectedBytes: 14,
    });
  });

  it('errors with ConnectionError when the peer resets the connection', async () => {
    const { client, accepted } = await connectedPair();
    const error = waitForError(fromTcpSocket(accepted));
    client.resetAndDestroy();
    const err = await error;
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).cause).toMatchObject({ code: 'ECONNRESET' });
  });

  it('a 4 GB length prefix destroys only that socket; another connection keeps working', async () => {
    const server = resources.add(await listenTcp({ host: HOST }));
    const messages$ = new Map<net.Socket, ReturnType<typeof fromTcpSocket>>();
    const subscription = fromTcpServer(server).subscribe((socket) => {
      messages$.set(socket, fromTcpSocket(socket));
    });
    const bad = await connectedPair(server);
    const good = await connectedPair(server);
    const badError = waitForError(messages$.get(bad.accepted)!);
    const goodMessages = waitForValues(messages$.get(good.accepted)!, 2);

    writeMessage(good.client, text('before'));
    bad.client.write(bytes(0xff, 0xff, 0xff, 0xff, 1, 2, 3));
    const err = await badError;
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect(err).toMatchObject({ length: 0xffff_ffff, maxMessageBytes: 65_536 });
    expect(bad.accepted.destroyed).toBe(true);
    await waitForEvent(bad.client, 'close'); // the peer sees its connection go

    writeMessage(good.client, text('after'));
    expect(await goodMessages).toEqual([text('before'), text('after')]);
    expect(good.accepted.destroyed).toBe(false);
    subscription.unsubscribe();
  });

  it('teardown leaves the socket open and usable', async () => {
    const { client, accepted } = await connectedPair();
    const before = listenerCounts(accepted);
    const first = waitForValues(fromTcpSocket(accepted), 1);
    writeMessage(client, text('one'));
    expect(await first).toEqual([text('one')]);
    expect(listenerCounts(accepted)).toEqual(before);
    expect(accepted.destroyed).toBe(false);
    const second = waitForValues(fromTcpSocket(accepted), 1);
    writeMessage(client, text('two'));
    expect(await second).toEqual([text('two')]);
  });
});

describe('frameMessage / writeMessage / writeMessages', () => {
  it('frameMessage prefixes the big-endian length', () => {
    expect(frameMessage(bytes(7, 8))).toEqual(bytes(0, 0, 0, 2, 7, 8));
    expect(frameMessage(bytes())).toEqual(bytes(0, 0, 0, 0));
    expect(frameMessage(new Uint8Array(0x0102_03))).toEqual(
      concat([bytes(0, 1, 2, 3), new Uint8Array(0x0102_03)]),
    );
  });

  it('frameMessage copies the payload', () => {
    const payload = bytes(1, 2);
    const frame = frameMessage(payload);
    payload[0] = 9;
    expect(frame).toEqual(bytes(0, 0, 0, 2, 1, 2));
  });

  it('writeMessage returns false, without throwing or an error event, on an unwritable socket', async () => {
    const { client } = await connectedPair();
    client.end();
    expect(writeMessage(client, text('late'))).toBe(false);
    expect(() => writeMessages(client, [text('late')])).not.toThrow();
    client.destroy();
    expect(writeMessage(client, text('later'))).toBe(false);
    expect(() => writeMessages(client, [text('later')])).not.toThrow();
    const neverConnected = new net.Socket();
    expect(writeMessage(neverConnected, text('never connected'))).toBe(false);
    expect(() => writeMessages(neverConnected, [text('never connected')])).not.toThrow();
  });

  it('writeMessages corks: the frames go out as one writev batch, in order', async () => {
    const { client, accepted } = await connectedPair();
    const cork = vi.spyOn(client, 'cork');
    const uncork = vi.spyOn(client, 'uncork');
    const writev = vi.spyOn(client, '_writev');
    const received = waitForValues(fromTcpSocket(accepted), 3);
    writeMessages(client, [text('x'), bytes(), text('zz')]);
    expect(cork).toHaveBeenCalledTimes(1);
    expect(uncork).toHaveBeenCalledTimes(1);
    expect(writev).toHaveBeenCalledTimes(1);
    expect(writev.mock.calls[0][0]).toHaveLength(3);
    expect(await received).toEqual([text('x'), bytes(), text('zz')]);
  });

  it('writeMessages with no payloads writes nothing', async () => {
    const { client } = await connectedPair();
    const write = vi.spyOn(client, 'write');
    writeMessages(client, []);
    expect(write).not.toHaveBeenCalled();
  });
});
