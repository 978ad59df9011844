/**
 * The Lua scripts of RedisSagaStore. Each engine write is one script, so it is atomic: the fence
 * check, the saga hash, every index and the history change together or not at all. Times are
 * microseconds on the Redis clock (`TIME`), formatted with `%.0f` before they reach Redis (Lua
 * numbers would otherwise be printed with 14 significant digits).
 *
 * Every script takes the key prefix as ARGV[1]; the keys are built inside, so the store needs a
 * standalone Redis (or a primary behind Sentinel), not a Redis Cluster.
 */
import { ACTIVE_SAGA_STATUSES, FINISHED_SAGA_STATUSES, luaSet } from '../saga-status-sets.js';

const PRELUDE = `
local P = ARGV[1]
local t = redis.call('TIME')
local NOW = tonumber(t[1]) * 1000000 + tonumber(t[2])
local TERMINAL = ${luaSet(FINISHED_SAGA_STATUSES)}
local ACTIVE = ${luaSet(ACTIVE_SAGA_STATUSES)}
local function fmt(x) return string.format('%.0f', x) end
local function v(x) if x == false or x == nil or x == '' then return nil end return x end
local function skey(id) return P .. 's:' .. id end
local function setf(k, f, value) if value == nil then redis.call('HDEL', k, f) else redis.call('HSET', k, f, value) end end
-- The fence of every engine write: the caller (owner, fence) still holds the saga whose stored owner and fence are given.
local function holds(storedOwner, storedFence, owner, fence) return v(storedOwner) ~= nil and storedOwner == owner and storedFence == fence end
-- Nobody holds the saga: it has no owner, or its owner's lease has expired.
local function unheld(owner, lease) return v(owner) == nil or (v(lease) ~= nil and tonumber(lease) < NOW) end

-- Keeps every index of one saga in step with its hash. old: {status, owner} before the change, nil for a new saga.
local function sync(id, old)
  local k = skey(id)
  local h = redis.call('HMGET', k, 'status', 'owner', 'lease', 'nextRun', 'reqToken', 'stuckSince', 'updated', 'deadline', 'created', 'name', 'version')
  local status, owner, lease, nextRun, req, stuck = h[1], v(h[2]), v(h[3]), v(h[4]), v(h[5]), v(h[6])
  local updated, deadline, created, name, version = h[7], v(h[8]), h[9], h[10], h[11]
  if old == nil or old.status ~= status then
    local nv = name .. '\\0' .. version
    if old ~= nil then
      redis.call('ZREM', P .. 'st:' .. old.status, id)
      redis.call('HINCRBY', P .. 'count', name .. '\\0' .. old.status, -1)
      if not TERMINAL[old.status] and TERMINAL[status] then redis.call('HINCRBY', P .. 'ver', nv, -1) end
      if TERMINAL[old.status] and not TERMINAL[status] then redis.call('HINCRBY', P .. 'ver', nv, 1) end
    elseif not TERMINAL[status] then
      redis.call('HINCRBY', P .. 'ver', nv, 1)
    end
    redis.call('ZADD', P .. 'st:' .. status, created, id)
    redis.call('HINCRBY', P .. 'count', name .. '\\0' .. status, 1)
  end
  if old == nil or old.owner ~= owner then
    if old ~= nil and old.owner ~= nil then redis.call('SREM', P .. 'own:' .. old.owner, id) end
    if owner ~= nil then redis.call('SADD', P .. 'own:' .. owner, id) end
  end
  if nextRun ~= nil then
    local score = tonumber(nextRun)
    -- An owned saga is due only once its lease has expired as well.
    if owner ~= nil and lease ~= nil and tonumber(lease) + 1 > score then score = tonumber(lease) + 1 end
    redis.call('ZADD', P .. 'due', fmt(score), id)
  else
    redis.call('ZREM', P .. 'due', id)
  end
  if req ~= nil then redis.call('SADD', P .. 'req', id) else redis.call('SREM', P .. 'req', id) end
  if stuck ~= nil then redis.call('ZADD', P .. 'stuck', created, id) else redis.call('ZREM', P .. 'stuck', id) end
  if ACTIVE[status] then redis.call('ZADD', P .. 'active', updated, id) else redis.call('ZREM', P .. 'active', id) end
  if ACTIVE[status] and status ~= 'PAUSED' and deadline ~= nil then redis.call('ZADD', P .. 'deadline', deadline, id)
  else redis.call('ZREM', P .. 'deadline', id) end
end

-- Appends one event (its JSON without id and time) to the saga's history.
local function append(id, json)
  local seq = redis.call('INCR', P .. 'evseq')
  redis.call('RPUSH', P .. 'ev:' .. id, '{"id":"' .. seq .. '","at":' .. fmt(NOW) .. ',"e":' .. json .. '}')
end

local function takeOverEvent(id, previous, owner, fence, restart)
  append(id, cjson.encode({ type = 'LEASE_TAKEN_OVER', actor = owner,
    data = { previousOwner = previous, newOwner = owner, fence = tonumber(fence), restart = restart } }))
end

-- Claims a saga for owner: new fence, new lease; records a takeover when someone held it.
local function take(id, owner, leaseUs)
  local k = skey(id)
  local previous = v(redis.call('HGET', k, 'owner'))
  local old = { status = redis.call('HGET', k, 'status'), owner = previous }
  local fence = redis.call('HINCRBY', k, 'fence', 1)
  local lease = fmt(NOW + leaseUs)
  redis.call('HSET', k, 'owner', owner, 'lease', lease, 'nextRun', lease)
  sync(id, old)
  if previous ~= nil then takeOverEvent(id, previous, owner, fence, nil) end
  return { previous or '', redis.call('HGETALL', k) }
end
`;

const script = (body: string) => PRELUDE + body;

export const REDIS_SCRIPTS = {
  /** ARGV: P, id, name, version, status, input, idem, owner, leaseMs, deadlineMs, steps, trace, plan, events... */
  insert: script(`
local id, idem, owner = ARGV[2], v(ARGV[7]), v(ARGV[8])
local k = skey(id)
-- Its id already stored: this same start sent again (its reply lost), created by this start.
if redis.call('EXISTS', k) == 1 then return { 1, redis.call('HGETALL', k) } end
if idem ~= nil then
  local existing = redis.call('HGET', P .. 'idem', idem)
  if existing then return { 0, redis.call('HGETALL', skey(existing)) } end
end
local now = fmt(NOW)
redis.call('HSET', k, 'id', id, 'name', ARGV[3], 'version', ARGV[4], 'status', ARGV[5], 'input', ARGV[6],
  'currentStep', '0', 'steps', ARGV[11], 'created', now, 'updated', now)
if owner ~= nil then
  local lease = fmt(NOW + tonumber(ARGV[9]) * 1000)
  redis.call('HSET', k, 'owner', owner, 'fence', '1', 'lease', lease, 'nextRun', lease)
else
  redis.call('HSET', k, 'fence', '0', 'nextRun', now)
end
if v(ARGV[10]) ~= nil then redis.call('HSET', k, 'deadline', fmt(NOW + tonumber(ARGV[10]) * 1000)) end
setf(k, 'idem', idem)
setf(k, 'trace', v(ARGV[12]))
setf(k, 'plan', v(ARGV[13]))
if idem ~= nil then
  redis.call('HSET', P .. 'idem', idem, id)
  redis.call('ZADD', P .. 'ik', 0, idem .. '\\0' .. id)
end
redis.call('ZADD', P .. 'all', now, id)
redis.call('ZADD', P .. 'nm:' .. ARGV[3], now, id)
sync(id, nil)
for i = 14, #ARGV do append(id, ARGV[i]) end
return { 1, redis.call('HGETALL', k) }
`),

  /** ARGV: P, id, owner, fence, status, currentStep, steps, error, cause, deadlineHandled, finished, release, leaseMs, nextRunMs, clearToken, seq, events... */
  checkpoint: script(`
local id = ARGV[2]
local k = skey(id)
local cur = redis.call('HMGET', k, 'owner', 'fence', 'status', 'reqToken', 'stuckReason', 'lastWrite')
-- The same write sent again (its reply was lost when the connection dropped): applied already.
local write = v(ARGV[16]) and (ARGV[3] .. '\\0' .. ARGV[4] .. '\\0' .. ARGV[16]) or nil
if write ~= nil and cur[6] == write then return { 1, redis.call('HGET', k, 'request') } end
if not holds(cur[1], cur[2], ARGV[3], ARGV[4]) then return { 0 } end
setf(k, 'lastWrite', write)
local old = { status = cur[3], owner = cur[1] }
local now = fmt(NOW)
local finished = ARGV[11] == '1'
local clear = v(ARGV[15])
redis.call('HSET', k, 'status', ARGV[5], 'currentStep', ARGV[6], 'steps', ARGV[7], 'updated', now)
setf(k, 'error', v(ARGV[8]))
setf(k, 'cause', v(ARGV[9]))
if ARGV[10] == '1' then redis.call('HSETNX', k, 'deadlineHandled', now) else redis.call('HDEL', k, 'deadlineHandled') end
if finished then redis.call('HSETNX', k, 'finished', now) else redis.call('HDEL', k, 'finished') end
local token = v(cur[4])
if ARGV[12] == '1' then
  redis.call('HDEL', k, 'owner', 'lease')
  if token ~= nil and token ~= clear then redis.call('HSET', k, 'nextRun', now)
  elseif v(ARGV[14]) == nil then redis.call('HDEL', k, 'nextRun')
  else redis.call('HSET', k, 'nextRun', fmt(NOW + tonumber(ARGV[14]) * 1000)) end
else
  redis.call('HSET', k, 'lease', fmt(NOW + tonumber(ARGV[13]) * 1000))
end
if token ~= nil and token == clear then redis.call('HDEL', k, 'request', 'reqToken', 'reqAction', 'reqStep') end
if not (cur[5] == 'DEADLINE_PASSED' and not finished) then redis.call('HDEL', k, 'stuckSince', 'stuckReason') end
sync(id, old)
for i = 17, #ARGV do append(id, ARGV[i]) end
return { 1, redis.call('HGET', k, 'request') }
`),

  /** ARGV: P, owner, limit, leaseMs */
  claimDue: script(`
local ids = redis.call('ZRANGEBYSCORE', P .. 'due', '-inf', fmt(NOW), 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do out[#out + 1] = take(id, ARGV[2], tonumber(ARGV[4]) * 1000) end
return out
`),

  /** ARGV: P, id, owner, leaseMs */
  claimOne: script(`
local k = skey(ARGV[2])
local h = redis.call('HMGET', k, 'id', 'owner', 'lease')
if not h[1] then return {} end
if not unheld(h[2], h[3]) then return {} end
return { take(ARGV[2], ARGV[3], tonumber(ARGV[4]) * 1000) }
`),

  /** ARGV: P, owner, limit, leaseMs */
  reclaim: script(`
local owner, limit, leaseUs = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]) * 1000
local rows = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'own:' .. owner)) do
  local h = redis.call('HMGET', skey(id), 'status', 'nextRun')
  if ACTIVE[h[1]] then rows[#rows + 1] = { id = id, next = v(h[2]) and tonumber(h[2]) or -1 } end
end
table.sort(rows, function(a, b) if a.next ~= b.next then return a.next < b.next end return a.id < b.id end)
local out = {}
for i, row in ipairs(rows) do
  local k = skey(row.id)
  local old = { status = redis.call('HGET', k, 'status'), owner = owner }
  if i <= limit then
    local fence = redis.call('HINCRBY', k, 'fence', 1)
    local lease = fmt(NOW + leaseUs)
    redis.call('HSET', k, 'lease', lease, 'nextRun', lease)
    sync(row.id, old)
    takeOverEvent(row.id, owner, owner, fence, true)
    out[#out + 1] = { owner, redis.call('HGETALL', k) }
  else
    redis.call('HSET', k, 'lease', fmt(NOW - 1), 'nextRun', fmt(NOW))
    sync(row.id, old)
  end
end
return out
`),

  /** ARGV: P, owner, leaseMs, id1, fence1, id2, fence2, ... */
  renewLeases: script(`
local lease = fmt(NOW + tonumber(ARGV[3]) * 1000)
local out = {}
for i = 4, #ARGV, 2 do
  local id, fence = ARGV[i], ARGV[i + 1]
  local k = skey(id)
  local h = redis.call('HMGET', k, 'owner', 'fence', 'status', 'request')
  if holds(h[1], h[2], ARGV[2], fence) then
    redis.call('HSET', k, 'lease', lease)
    sync(id, { status = h[3], owner = h[1] })
    out[#out + 1] = { id, fence, h[4] or '' }
  end
end
return out
`),

  /** ARGV: P, owner */
  pendingRequests: script(`
local out = {}
for _, id in ipairs(redis.call('SINTER', P .. 'own:' .. ARGV[2], P .. 'req')) do
  local h = redis.call('HMGET', skey(id), 'owner', 'fence', 'request')
  if h[1] == ARGV[2] and h[3] then out[#out + 1] = { id, h[2], h[3] } end
end
return out
`),

  /** ARGV: P, owner, delayMs, id1, fence1, ... */
  releaseAll: script(`
local at = fmt(NOW + tonumber(ARGV[3]) * 1000)
local n = 0
for i = 4, #ARGV, 2 do
  local id, fence = ARGV[i], ARGV[i + 1]
  local k = skey(id)
  local h = redis.call('HMGET', k, 'owner', 'fence', 'status')
  if holds(h[1], h[2], ARGV[2], fence) then
    redis.call('HDEL', k, 'owner', 'lease')
    redis.call('HSET', k, 'nextRun', at)
    sync(id, { status = h[3], owner = h[1] })
    n = n + 1
  end
end
return n
`),

  /** ARGV: P, id, requestJson, token, action, stepKey, eventJson ('' for none), allowed... */
  request: script(`
local id = ARGV[2]
local k = skey(id)
local h = redis.call('HMGET', k, 'id', 'status', 'owner', 'lease', 'reqToken', 'reqAction', 'reqStep')
if not h[1] then return {} end
local allowed = false
for i = 8, #ARGV do if ARGV[i] == h[2] then allowed = true end end
if not allowed then return {} end
if v(h[5]) ~= nil then
  if h[6] == ARGV[5] and h[7] == ARGV[6] then return redis.call('HGETALL', k) end
  return {}
end
redis.call('HSET', k, 'request', ARGV[3], 'reqToken', ARGV[4], 'reqAction', ARGV[5], 'reqStep', ARGV[6])
if unheld(h[3], h[4]) then redis.call('HSET', k, 'nextRun', fmt(NOW)) end
sync(id, { status = h[2], owner = v(h[3]) })
if v(ARGV[7]) ~= nil then append(id, ARGV[7]) end
return redis.call('HGETALL', k)
`),

  /** ARGV: P, id, events... */
  appendEvents: script(`
for i = 3, #ARGV do append(ARGV[2], ARGV[i]) end
return 1
`),

  /** ARGV: P, stuckAfterMs. Returns { now, hash1, hash2, ... } */
  stuckCandidates: script(`
local seen, out = {}, { fmt(NOW) }
local function add(id)
  if seen[id] then return end
  seen[id] = true
  local h = redis.call('HGETALL', skey(id))
  local status
  for i = 1, #h, 2 do if h[i] == 'status' then status = h[i + 1] end end
  if ACTIVE[status] then out[#out + 1] = h end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'active', '-inf', '(' .. fmt(NOW - tonumber(ARGV[2]) * 1000), 'LIMIT', 0, 1000)) do add(id) end
for _, id in ipairs(redis.call('ZRANGE', P .. 'stuck', 0, -1)) do add(id) end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'deadline', '-inf', '(' .. fmt(NOW), 'LIMIT', 0, 1000)) do add(id) end
return out
`),

  /** ARGV: P, then per mark: id, reason, recover ('1'/'0'), eventJson ('' for none) */
  markStuck: script(`
local marked = {}
for i = 2, #ARGV, 4 do marked[ARGV[i]] = true end
for _, id in ipairs(redis.call('ZRANGE', P .. 'stuck', 0, -1)) do
  if not marked[id] then
    redis.call('HDEL', skey(id), 'stuckSince', 'stuckReason')
    local h = redis.call('HMGET', skey(id), 'status', 'owner')
    sync(id, { status = h[1], owner = v(h[2]) })
  end
end
for i = 2, #ARGV, 4 do
  local id, reason = ARGV[i], ARGV[i + 1]
  local k = skey(id)
  local h = redis.call('HMGET', k, 'id', 'status', 'owner', 'stuckSince', 'stuckReason')
  if h[1] then
    redis.call('HSETNX', k, 'stuckSince', fmt(NOW))
    redis.call('HSET', k, 'stuckReason', reason)
    if ARGV[i + 2] == '1' then redis.call('HSET', k, 'nextRun', fmt(NOW)) end
    sync(id, { status = h[2], owner = v(h[3]) })
    if v(ARGV[i + 3]) ~= nil and (v(h[4]) == nil or h[5] ~= reason) then append(id, ARGV[i + 3]) end
  end
end
return 1
`),
} as const;

export type RedisScriptName = keyof typeof REDIS_SCRIPTS;
