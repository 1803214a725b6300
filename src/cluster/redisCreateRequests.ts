// Create requests between processes over Redis pub/sub: askCreate publishes one and waits for its reply, serveCreate makes the room and answers.
import { randomUUID } from 'node:crypto';
import type { RedisOptions } from 'ioredis';
import type { CreateAsk, RoomListing } from '../rooms/RoomDirectory.js';
import {
  encodeCreateReply,
  encodeCreateRequest,
  parseCreateReply,
  parseCreateRequest,
} from './createMessages.js';
import { RedisReplyError } from './errors.js';
import type { RedisConnection } from './redisConnection.js';
import { RedisSubscriber } from './redisSubscriber.js';
import {
  RedisDirectoryWarningCode,
  asError,
  connectionWarning,
  type WarnRedis,
} from './redisWarnings.js';

/** Makes a room for a create request: its listing, or undefined when none was made. */
export type Make = (ask: CreateAsk) => Promise<RoomListing | undefined>;

/** What the create requests work with: the directory's Redis, its prefix and its warnings. */
export interface CreateRequestsHost {
  /** The directory's connection (it publishes requests and replies). */
  readonly connection: RedisConnection;
  /** The Redis server, for the pub/sub connection made at the first need. */
  readonly server: string | RedisOptions;
  /** The start of every key and channel. */
  readonly prefix: string;
  /** Reports a warning on the directory's `warnings$`. */
  readonly warn: WarnRedis;
}

/** A create request sent and not answered yet. */
interface PendingAsk {
  /** The process asked (the room it answers with must be its own). */
  readonly processId: string;
  /** Settles the request (once). */
  readonly finish: (listing: RoomListing | undefined) => void;
}

/**
 * The directory's create requests (`P create:<processId>` and `P reply:<uuid>` channels, on a
 * second, subscriber connection made when first needed). A request no one receives, or not
 * answered in time, is answered undefined; a reply that is bad, or names a room of another
 * process, is a warning.
 */
export class RedisCreateRequests {
  /** The pub/sub connection, made by the first serve or ask. */
  private subscriber: RedisSubscriber | undefined;
  /** This directory's reply channel. */
  private readonly replyChannel: string;
  private readonly asks = new Map<string, PendingAsk>();
  private readonly makers = new Map<string, Make>();
  private closed = false;

  /** @param host The connection, the prefix and the warnings. */
  constructor(private readonly host: CreateRequestsHost) {
    this.replyChannel = `${host.prefix}reply:${randomUUID()}`;
  }

  /** Asks `processId` to make a room for `ask` (see `RoomDirectory.askCreate`). */
  ask(processId: string, ask: CreateAsk, timeoutMs: number): Promise<RoomListing | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const id = randomUUID();
    return new Promise((resolve) => {
      const finish = (listing: RoomListing | undefined): void => {
        if (!this.asks.delete(id)) return;
        clearTimeout(timer);
        resolve(listing);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.asks.set(id, { processId, finish });
      void (async () => {
        try {
          await this.channels().subscribe(this.replyChannel, (message) => this.onReply(message));
          if (!this.asks.has(id)) return; // timed out meanwhile: nothing sent
          const request = encodeCreateRequest({ id, ask, replyTo: this.replyChannel });
          const receivers = await this.host.connection.call('askCreate', (redis) =>
            redis.publish(this.createChannel(processId), request),
          );
          // No one serves that process (it died, or does not make rooms): no answer will come.
          if (receivers === 0) finish(undefined);
        } catch (err) {
          this.host.warn(connectionWarning(`asking ${processId} for a room`, err));
          finish(undefined);
        }
      })();
    });
  }

  /** Answers the create requests to `processId` with `make` (see `RoomDirectory.serveCreate`). */
  serve(processId: string, make: Make): () => void {
    const channel = this.createChannel(processId);
    this.makers.set(processId, make);
    if (!this.closed)
      this.channels()
        .subscribe(channel, (message) => void this.onRequest(processId, message))
        .catch((err: unknown) =>
          this.host.warn(connectionWarning(`serving ${processId}'s requests`, err)),
        );
    return () => {
      if (this.makers.get(processId) !== make) return;
      this.makers.delete(processId);
      this.subscriber?.unsubscribe(channel);
    };
  }

  /** Stops: every pending ask is answered undefined, and no request is served any more. */
  stop(): void {
    this.closed = true;
    for (const ask of [...this.asks.values()]) ask.finish(undefined);
    this.makers.clear();
  }

  /** Closes the pub/sub connection, if one was made. */
  async close(): Promise<void> {
    await this.subscriber?.close();
  }

  /** The pub/sub connection, made at the first need. */
  private channels(): RedisSubscriber {
    this.subscriber ??= new RedisSubscriber(this.host.server, (error) =>
      this.host.warn(connectionWarning('Redis subscriber connection', error)),
    );
    return this.subscriber;
  }

  private createChannel(processId: string): string {
    return `${this.host.prefix}create:${processId}`;
  }

  /** A create request for a process this directory serves: made, and answered. */
  private async onRequest(processId: string, message: string): Promise<void> {
    let request;
    try {
      request = parseCreateRequest(message);
      if (!request.replyTo.startsWith(`${this.host.prefix}reply:`))
        throw new RedisReplyError(
          'serveCreate',
          `reply channel ${request.replyTo} is not a directory's`,
        );
    } catch (err) {
      this.badMessage(`a create request to ${processId}`, err);
      return;
    }
    const make = this.makers.get(processId);
    if (!make) return;
    let listing: RoomListing | undefined;
    try {
      listing = await make(request.ask);
    } catch (err) {
      const error = asError(err);
      this.host.warn({
        code: RedisDirectoryWarningCode.CreateFailed,
        message: `making a room for a request to ${processId}: ${error.message}`,
        error,
      });
      listing = undefined;
    }
    if (this.closed) return;
    try {
      await this.host.connection.call('serveCreate', (redis) =>
        redis.publish(request.replyTo, encodeCreateReply({ id: request.id, listing })),
      );
    } catch (err) {
      this.host.warn(connectionWarning(`answering a create request to ${processId}`, err));
    }
  }

  /** A reply to one of this directory's create requests. */
  private onReply(message: string): void {
    let reply;
    try {
      reply = parseCreateReply(message);
    } catch (err) {
      this.badMessage('a create reply', err);
      return;
    }
    const ask = this.asks.get(reply.id);
    if (!ask) return; // too late: the asker went on without it
    if (reply.listing && reply.listing.processId !== ask.processId) {
      this.badMessage(
        'a create reply',
        new RedisReplyError(
          'askCreate',
          `room of ${reply.listing.processId}, not of ${ask.processId}`,
        ),
      );
      ask.finish(undefined);
      return;
    }
    ask.finish(reply.listing);
  }

  private badMessage(what: string, err: unknown): void {
    const error = asError(err);
    this.host.warn({
      code: RedisDirectoryWarningCode.BadMessage,
      message: `${what} ignored: ${error.message}`,
      error,
    });
  }
}
