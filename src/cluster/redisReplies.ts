// Reading the Redis room directory's replies: each is checked field by field before it is trusted (it came over the network).
import type {
  ProcessAddress,
  ProcessListing,
  RoomListing,
  RoomMetadata,
} from '../rooms/RoomDirectory.js';
import { RedisReplyError } from './errors.js';

/** A room's listing from the flat field list of HGETALL (`[name, value, name, value, ...]`). */
export function parseRoom(operation: string, reply: unknown): RoomListing {
  if (!Array.isArray(reply) || reply.length % 2 !== 0)
    throw new RedisReplyError(operation, `a room's fields are not a list of pairs`);
  const fields = new Map<string, string>();
  for (let i = 0; i < reply.length; i += 2) {
    const name: unknown = reply[i];
    const value: unknown = reply[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string')
      throw new RedisReplyError(operation, `a room's field is not a string`);
    fields.set(name, value);
  }
  const text = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new RedisReplyError(operation, `a room has no ${name}`);
    return value;
  };
  const integer = (name: string, min: number): number => {
    const value = Number(text(name));
    if (!Number.isSafeInteger(value) || value < min)
      throw new RedisReplyError(
        operation,
        `a room's ${name} is ${JSON.stringify(text(name))}, not an integer >= ${min}`,
      );
    return value;
  };
  const open = text('open');
  if (open !== '1' && open !== '0')
    throw new RedisReplyError(operation, `a room's open is ${JSON.stringify(open)}`);
  const order = Number(text('order'));
  if (!Number.isFinite(order))
    throw new RedisReplyError(operation, `a room's order is ${JSON.stringify(text('order'))}`);
  return {
    roomId: text('roomId'),
    processId: text('processId'),
    mode: text('mode'),
    maxPlayers: integer('maxPlayers', 1),
    players: integer('players', 0),
    open: open === '1',
    metadata: parseMetadata(operation, text('metadata')),
    order,
  };
}

/** A room's metadata from its JSON: an object of strings, finite numbers and booleans. */
function parseMetadata(operation: string, json: string): RoomMetadata {
  const value = parseJson(operation, 'metadata', json);
  if (!isRecord(value)) throw new RedisReplyError(operation, "a room's metadata is not an object");
  const metadata: Record<string, string | number | boolean> = {};
  for (const [name, v] of Object.entries(value)) {
    if (
      typeof v !== 'string' &&
      typeof v !== 'boolean' &&
      !(typeof v === 'number' && Number.isFinite(v))
    )
      throw new RedisReplyError(
        operation,
        `a room's metadata ${name} is not a string, number or boolean`,
      );
    metadata[name] = v;
  }
  return metadata;
}

/** A process's listing from its JSON. */
export function parseProcess(operation: string, json: unknown): ProcessListing {
  if (typeof json !== 'string') throw new RedisReplyError(operation, 'a process is not a string');
  const value = parseJson(operation, 'process', json);
  if (!isRecord(value)) throw new RedisReplyError(operation, 'a process is not an object');
  const { processId, address, load } = value;
  if (typeof processId !== 'string')
    throw new RedisReplyError(operation, 'a process has no processId');
  if (typeof load !== 'number' || !Number.isFinite(load) || load < 0)
    throw new RedisReplyError(operation, `process ${processId} has no load`);
  return { processId, address: parseAddress(operation, processId, address), load };
}

/** A process's address: a host, a port, and maybe a web port. */
function parseAddress(operation: string, processId: string, value: unknown): ProcessAddress {
  if (!isRecord(value)) throw new RedisReplyError(operation, `process ${processId} has no address`);
  const { host, port, webPort } = value;
  const isPort = (p: unknown): p is number =>
    typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 65_535;
  if (typeof host !== 'string' || !isPort(port))
    throw new RedisReplyError(operation, `process ${processId} has a bad address`);
  if (webPort === undefined) return { host, port };
  if (!isPort(webPort))
    throw new RedisReplyError(operation, `process ${processId} has a bad web port`);
  return { host, port, webPort };
}

/** A script's 0 or 1. */
export function parseFlag(operation: string, reply: unknown): boolean {
  if (reply !== 0 && reply !== 1)
    throw new RedisReplyError(operation, `${JSON.stringify(reply)} is not 0 or 1`);
  return reply === 1;
}

/** A list reply. */
export function parseList(operation: string, reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new RedisReplyError(operation, 'not a list');
  return reply as unknown[];
}

/** A safe integer reply (INCR's). */
export function parseInteger(operation: string, reply: unknown): number {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply))
    throw new RedisReplyError(operation, `${JSON.stringify(reply)} is not an integer`);
  return reply;
}

function parseJson(operation: string, what: string, json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (err) {
    throw new RedisReplyError(operation, `${what} is not JSON`, { cause: err });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
