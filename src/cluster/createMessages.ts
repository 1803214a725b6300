// The messages of a create request between processes over Redis pub/sub, and their checks: a message read from Redis is trusted only once it has the right shape.
import { Limits } from '../protocol/index.js';
import type { CreateAsk, RoomListing } from '../rooms/RoomDirectory.js';
import { RedisReplyError } from './errors.js';
import { parseRoom } from './redisReplies.js';

/** A request to make a room, sent on the channel of the process asked. */
export interface CreateRequest {
  /** The request's id, given back in the reply. */
  readonly id: string;
  /** What to make. */
  readonly ask: CreateAsk;
  /** The channel the reply is published on. */
  readonly replyTo: string;
}

/** The reply to a create request. */
export interface CreateReply {
  /** The request's id. */
  readonly id: string;
  /** The room made, or undefined when the process would not make one. */
  readonly listing: RoomListing | undefined;
}

/** Longest request id read. */
const ID_LENGTH = 64;
/** Longest address of the asker read (as a transport names it). */
const ADDRESS_LENGTH = 512;
/** Longest reply channel read. */
const CHANNEL_LENGTH = 1_024;

/** A create request as JSON. */
export function encodeCreateRequest(request: CreateRequest): string {
  const { mode, size, username, address } = request.ask;
  return JSON.stringify({
    id: request.id,
    ask: { mode, size, username, address },
    replyTo: request.replyTo,
  });
}

/** A reply as JSON (its listing as a room's field pairs, as Redis keeps a room). */
export function encodeCreateReply(reply: CreateReply): string {
  return JSON.stringify({
    id: reply.id,
    listing: reply.listing === undefined ? null : roomFields(reply.listing),
  });
}

/** A room's listing as the flat `[name, value, ...]` list `parseRoom` reads. */
function roomFields(listing: RoomListing): string[] {
  return [
    'roomId',
    listing.roomId,
    'processId',
    listing.processId,
    'mode',
    listing.mode,
    'maxPlayers',
    String(listing.maxPlayers),
    'players',
    String(listing.players),
    'open',
    listing.open ? '1' : '0',
    'metadata',
    JSON.stringify(listing.metadata),
    'order',
    String(listing.order),
  ];
}

/**
 * A create request read from Redis.
 * @throws RedisReplyError when it is not one (not JSON, a field missing or out of bounds).
 */
export function parseCreateRequest(message: string): CreateRequest {
  const value = record(parseJson(message));
  const id = text(value.id, 'id', ID_LENGTH);
  const replyTo = text(value.replyTo, 'replyTo', CHANNEL_LENGTH);
  const ask = record(value.ask);
  const size = ask.size;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > Limits.maxPlayers)
    throw bad(`size ${JSON.stringify(size)} is not 1 .. ${Limits.maxPlayers}`);
  const mode = text(ask.mode, 'mode', Limits.roomModeLength);
  if (mode === '') throw bad('the mode is empty');
  return {
    id,
    replyTo,
    ask: {
      mode,
      size,
      username: text(ask.username, 'username', Limits.usernameLength),
      address: text(ask.address, 'address', ADDRESS_LENGTH),
    },
  };
}

/**
 * A reply read from Redis.
 * @throws RedisReplyError when it is not one.
 */
export function parseCreateReply(message: string): CreateReply {
  const value = record(parseJson(message));
  const id = text(value.id, 'id', ID_LENGTH);
  if (value.listing === null) return { id, listing: undefined };
  return { id, listing: parseRoom('askCreate', value.listing) };
}

function parseJson(message: string): unknown {
  try {
    return JSON.parse(message) as unknown;
  } catch (err) {
    throw new RedisReplyError('askCreate', 'a create message is not JSON', { cause: err });
  }
}

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('not an object');
  return value as Record<string, unknown>;
}

function text(value: unknown, name: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length > maxLength)
    throw bad(`${name} is not a string of at most ${maxLength} characters`);
  return value;
}

function bad(message: string): RedisReplyError {
  return new RedisReplyError('askCreate', `a create message: ${message}`);
}
