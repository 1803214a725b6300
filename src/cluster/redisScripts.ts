// The Lua scripts of the Redis room directory: each directory call that reads and writes is one script, so one atomic step.
//
// Every script takes the key prefix as ARGV[1] and builds its keys from it (the key layout is
// documented at the top of redisDirectory.ts). Keys built inside a script are fine on one Redis
// server (or a primary with replicas), not on Redis Cluster.

/** Helpers shared by the scripts: key names, dropping a room, the free-seat index, liveness. */
const PRELUDE = `
local P = ARGV[1]
local ROOMS = P .. 'rooms'
local PROCS = P .. 'procs'
local function roomKey(id) return P .. 'room:' .. id end
local FREE_ALL = P .. 'free-all'
local function freeKey(mode, size) return P .. 'free:' .. size .. ':' .. mode end
local function freeModeKey(mode) return P .. 'free-mode:' .. mode end
local function procKey(pid) return P .. 'proc:' .. pid end
local function procRoomsKey(pid) return P .. 'procrooms:' .. pid end
local function toMap(h)
  local m = {}
  for i = 1, #h, 2 do m[h[i]] = h[i + 1] end
  return m
end
local function holdsKey(id) return P .. 'holds:' .. id end
local HELD = P .. 'held'
-- Redis's clock in milliseconds: holds expire by it, whatever the clocks of the processes
-- (TIME before writes needs effects replication: the default since Redis 5).
local nowCache = nil
local function now()
  if not nowCache then
    local t = redis.call('TIME')
    nowCache = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return nowCache
end
-- Puts a room in the index of held rooms by its first hold's expiry, or takes it out.
local function indexHeld(id)
  local first = redis.call('ZRANGE', holdsKey(id), 0, 0, 'WITHSCORES')
  if #first == 0 then redis.call('ZREM', HELD, id) else redis.call('ZADD', HELD, first[2], id) end
end
-- Takes a room off every index and deletes its listing and its holds.
local function dropRoom(id)
  redis.call('DEL', holdsKey(id))
  redis.call('ZREM', HELD, id)
  local f = redis.call('HMGET', roomKey(id), 'mode', 'maxPlayers', 'processId')
  if f[1] and f[2] then redis.call('ZREM', freeKey(f[1], f[2]), id) end
  if f[1] then redis.call('ZREM', freeModeKey(f[1]), id) end
  redis.call('ZREM', FREE_ALL, id)
  if f[3] then redis.call('SREM', procRoomsKey(f[3]), id) end
  redis.call('DEL', roomKey(id))
  redis.call('ZREM', ROOMS, id)
end
-- Puts a room in the free-seat indexes (of its mode and size, of its mode, of all) when it is
-- open with a seat free, takes it out of them otherwise.
local function indexFree(id)
  local f = redis.call('HMGET', roomKey(id), 'mode', 'maxPlayers', 'players', 'open', 'order')
  if not (f[1] and f[2] and f[3] and f[4] and f[5]) then return end
  local players, max = tonumber(f[3]), tonumber(f[2])
  local keys = { freeKey(f[1], f[2]), freeModeKey(f[1]), FREE_ALL }
  for _, k in ipairs(keys) do
    if f[4] == '1' and players and max and players < max then
      redis.call('ZADD', k, f[5], id)
    else
      redis.call('ZREM', k, id)
    end
  end
end
-- Gives back one seat of a room (if it has one taken), and indexes its free seats again.
local function giveBack(id)
  local players = tonumber(redis.call('HGET', roomKey(id), 'players'))
  if not players or players <= 0 then return 0 end
  redis.call('HINCRBY', roomKey(id), 'players', -1)
  indexFree(id)
  return 1
end
-- Ends the expired holds of one room, each giving its seat back.
local function expireHoldsOf(id)
  local expired = redis.call('ZRANGEBYSCORE', holdsKey(id), '-inf', now())
  for _, token in ipairs(expired) do
    redis.call('ZREM', holdsKey(id), token)
    giveBack(id)
  end
  indexHeld(id)
end
-- Ends every expired hold (of at most 100 rooms a run): the scripts that read rooms call it
-- first, so a seat held for a redirect that never came is free again before anyone looks.
local function expireHolds()
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', HELD, '-inf', now(), 'LIMIT', 0, 100)) do
    expireHoldsOf(id)
  end
end
local liveCache = {}
-- Whether the process is live (its key has not expired), asked once per script run.
local function live(pid)
  local v = liveCache[pid]
  if v == nil then
    v = redis.call('EXISTS', procKey(pid)) == 1
    liveCache[pid] = v
  end
  return v
end
-- The room's fields (HGETALL's flat list) if it is listed and its process live; a room of a
-- process that is not live is dropped, and a missing one taken off the list of rooms.
local function liveRoom(id)
  local h = redis.call('HGETALL', roomKey(id))
  if #h == 0 then
    redis.call('ZREM', ROOMS, id)
    return nil
  end
  local m = toMap(h)
  local pid = m.processId
  if not pid or not live(pid) then
    dropRoom(id)
    return nil
  end
  return h, m
end
-- Drops a process that is not live: its rooms, its set of rooms, its place in the set of processes.
local function dropProcess(pid)
  for _, id in ipairs(redis.call('SMEMBERS', procRoomsKey(pid))) do
    if redis.call('HGET', roomKey(id), 'processId') == pid then dropRoom(id) end
  end
  redis.call('DEL', procRoomsKey(pid))
  redis.call('SREM', PROCS, pid)
end
-- Visits the members of a sorted set in order, in batches; visit(id) returns true to stop,
-- and may take id out of the set (the next batch starts past the ones still in it).
local function scan(source, visit)
  local start = 0
  while true do
    local ids = redis.call('ZRANGE', source, start, start + 99)
    if #ids == 0 then return end
    local kept = 0
    for _, id in ipairs(ids) do
      if visit(id) then return end
      if redis.call('ZSCORE', source, id) then kept = kept + 1 end
    end
    start = start + kept
  end
end
-- scan, over the live rooms only: one gone (or of a dead process) leaves \`source\` as it is met;
-- visit(id, fields, map) as scan's.
local function scanLive(source, visit)
  scan(source, function(id)
    local h, m = liveRoom(id)
    if not h then
      redis.call('ZREM', source, id)
      return false
    end
    return visit(id, h, m)
  end)
end
`;

/** A script: its Lua text (with the prelude), and how many of its arguments are KEYS. */
export interface RedisScript {
  /** The Lua source. */
  readonly lua: string;
  /** How many arguments are keys (the rest are ARGV). */
  readonly numberOfKeys: number;
}

const withPrelude = (body: string): RedisScript => ({ lua: PRELUDE + body, numberOfKeys: 0 });

/**
 * put: ARGV prefix, roomId, processId, mode, maxPlayers, players, open ('1'|'0'), metadata
 * (JSON), order. Replaces an older listing of the id (its indexes may differ; its holds end
 * without giving seats back, since `players` is given whole) and raises the
 * order counter to at least `order` (a directory rebuilt after Redis lost it keeps new rooms
 * after the re-listed ones).
 */
export const PUT = withPrelude(`
local id = ARGV[2]
expireHolds()
dropRoom(id)
redis.call('HSET', roomKey(id), 'roomId', id, 'processId', ARGV[3], 'mode', ARGV[4],
  'maxPlayers', ARGV[5], 'players', ARGV[6], 'open', ARGV[7], 'metadata', ARGV[8], 'order', ARGV[9])
redis.call('ZADD', ROOMS, ARGV[9], id)
redis.call('SADD', procRoomsKey(ARGV[3]), id)
indexFree(id)
local order = tonumber(ARGV[9])
local current = tonumber(redis.call('GET', P .. 'order') or '0') or 0
if order and order == math.floor(order) and order > current then
  redis.call('SET', P .. 'order', ARGV[9])
end
return 1
`);

/** update: ARGV prefix, roomId, open ('1'|'0'|'' to keep), metadata (JSON, or '' to keep). */
export const UPDATE = withPrelude(`
local id = ARGV[2]
if redis.call('EXISTS', roomKey(id)) == 0 then return 0 end
if ARGV[3] ~= '' then redis.call('HSET', roomKey(id), 'open', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', roomKey(id), 'metadata', ARGV[4]) end
indexFree(id)
return 1
`);

/** remove: ARGV prefix, roomId. */
export const REMOVE = withPrelude(`
dropRoom(ARGV[2])
return 1
`);

/** get: ARGV prefix, roomId. The room's fields, or nil when not listed or its process is not live. */
export const GET = withPrelude(`
expireHolds()
local h = liveRoom(ARGV[2])
if not h then return false end
return h
`);

/**
 * list: ARGV prefix, hasMode ('1'|'0'), mode, size ('' for any), available ('1'|'0'), limit.
 * The fields of each room that matches, in order. A query for free rooms reads the free-seat
 * index that fits it (of a mode and size, of a mode, of all); any other reads every room.
 */
export const LIST = withPrelude(`
local hasMode, mode, size = ARGV[2] == '1', ARGV[3], ARGV[4]
local avail, limit = ARGV[5] == '1', tonumber(ARGV[6])
local source = ROOMS
if avail and hasMode and size ~= '' then source = freeKey(mode, size)
elseif avail and hasMode then source = freeModeKey(mode)
elseif avail then source = FREE_ALL end
local out = {}
if limit < 1 then return out end
expireHolds()
scanLive(source, function(id, h, m)
  if hasMode and m.mode ~= mode then return false end
  if size ~= '' and m.maxPlayers ~= size then return false end
  if avail and not (m.open == '1' and tonumber(m.players) < tonumber(m.maxPlayers)) then
    indexFree(id)
    return false
  end
  out[#out + 1] = h
  return #out >= limit
end)
return out
`);

/**
 * reserve: ARGV prefix, mode, size. Takes a seat in the oldest room of the free-seat index of
 * mode and size whose process is live; gives its fields after, or nil when none has one.
 */
export const RESERVE = withPrelude(`
local mode, size = ARGV[2], ARGV[3]
local source = freeKey(mode, size)
local got = false
expireHolds()
scanLive(source, function(id, h, m)
  local players, max = tonumber(m.players), tonumber(m.maxPlayers)
  if m.open ~= '1' or not players or not max or players >= max or m.mode ~= mode or m.maxPlayers ~= size then
    redis.call('ZREM', source, id)
    indexFree(id)
    return false
  end
  redis.call('HINCRBY', roomKey(id), 'players', 1)
  indexFree(id)
  got = redis.call('HGETALL', roomKey(id))
  return true
end)
return got
`);

/** reserveIn: ARGV prefix, roomId. 1 when a seat was taken, 0 when the room has none free. */
export const RESERVE_IN = withPrelude(`
local id = ARGV[2]
expireHolds()
local h, m = liveRoom(id)
if not h then return 0 end
local players, max = tonumber(m.players), tonumber(m.maxPlayers)
if m.open ~= '1' or not players or not max or players >= max then return 0 end
redis.call('HINCRBY', roomKey(id), 'players', 1)
indexFree(id)
return 1
`);

/** unreserve: ARGV prefix, roomId. 1 when a seat was given back, 0 when there was none taken. */
export const UNRESERVE = withPrelude(`
return giveBack(ARGV[2])
`);

/**
 * hold: ARGV prefix, roomId, token, ttl (ms). Marks one seat already counted as held under
 * `token` until Redis's clock passes now + ttl; a hold not claimed by then gives its seat back
 * (in the next script that reads rooms). Holding a token again moves its expiry.
 */
export const HOLD = withPrelude(`
local id, token, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
expireHolds()
redis.call('ZADD', holdsKey(id), now() + ttl, token)
indexHeld(id)
return 1
`);

/**
 * claim: ARGV prefix, roomId, token. 1 when the hold was there and not expired (it ends, its
 * seat stays counted), else 0 (an expired one gives its seat back now).
 */
export const CLAIM = withPrelude(`
local id, token = ARGV[2], ARGV[3]
expireHoldsOf(id)
if redis.call('ZREM', holdsKey(id), token) == 0 then return 0 end
indexHeld(id)
return 1
`);

/**
 * refreshProcess: ARGV prefix, processId, listing (JSON), ttl (ms). Sets the process's key
 * with its time to live; 1 when the key was there before (a refresh), 0 when it was not (the
 * first time, or it expired, or Redis lost it).
 */
export const REFRESH_PROCESS = withPrelude(`
local k = procKey(ARGV[2])
local existed = redis.call('EXISTS', k)
redis.call('SET', k, ARGV[3], 'PX', ARGV[4])
redis.call('SADD', PROCS, ARGV[2])
return existed
`);

/** processes: ARGV prefix. The JSON listing of each live process; the others are dropped with their rooms. */
export const PROCESSES = withPrelude(`
local out = {}
for _, pid in ipairs(redis.call('SMEMBERS', PROCS)) do
  local v = redis.call('GET', procKey(pid))
  if v then out[#out + 1] = v else dropProcess(pid) end
end
return out
`);

/** removeProcess: ARGV prefix, processId. Takes the process and its rooms off the directory now. */
export const REMOVE_PROCESS = withPrelude(`
redis.call('DEL', procKey(ARGV[2]))
dropProcess(ARGV[2])
return 1
`);

/** Lock release: KEYS lock; ARGV prefix, token. Deletes the lock only if it still holds this token. */
export const RELEASE_LOCK: RedisScript = {
  lua: `if redis.call('GET', KEYS[1]) == ARGV[2] then return redis.call('DEL', KEYS[1]) end
return 0`,
  numberOfKeys: 1,
};

/** Lock refresh: KEYS lock; ARGV prefix, token, ttl (ms). 1 when the lock still held this token, else 0. */
export const REFRESH_LOCK: RedisScript = {
  lua: `if redis.call('GET', KEYS[1]) == ARGV[2] then return redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 0`,
  numberOfKeys: 1,
};
