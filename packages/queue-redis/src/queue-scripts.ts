/**
 * The Lua scripts of a queue. Every decision about a lease, an attempt or a handle is taken here,
 * atomically on the server and on the server's clock (`TIME`): never by a read-modify-write from the
 * client. ioredis runs each with `EVALSHA` and falls back to `EVAL` on `NOSCRIPT`.
 *
 * KEYS, in every script: meta, messages, deliveries, sent, ready, delayed, lease, seq (`keyList`).
 * A missing queue answers `-1` (as the first element of an array reply) and changes nothing.
 */

/** Shared prelude: `now`, the server's time in ms, and `promote`, which makes due messages ready. */
export const PRELUDE = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

const PROMOTE = `
local function promote(from, ready)
  local due = redis.call('ZRANGEBYSCORE', from, '-inf', now)
  if #due > 0 then
    for i = 1, #due do redis.call('ZADD', ready, due[i], due[i]) end
    redis.call('ZREMRANGEBYSCORE', from, '-inf', now)
  end
end
`

/** ARGV: wake channel, then (delay ms, payload) per message. Reply: {1, seq…} or {-1}. */
export const SEND = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local out = {1}
local woke = false
for i = 2, #ARGV, 2 do
  local seq = redis.call('INCR', KEYS[8])
  redis.call('HSET', KEYS[2], seq, now .. '|' .. ARGV[i + 1])
  redis.call('ZADD', KEYS[4], seq, seq)
  local delay = tonumber(ARGV[i])
  if delay > 0 then
    redis.call('ZADD', KEYS[6], now + delay, seq)
  else
    redis.call('ZADD', KEYS[5], seq, seq)
    woke = true
  end
  out[#out + 1] = seq
end
if woke then redis.call('PUBLISH', ARGV[1], '1') end
return out
`

/**
 * ARGV: max messages, lease ms. Makes due delayed messages and expired leases ready, then leases
 * the oldest ready ones (send order). Reply: {1, now, seq, deliveries, record, …}, or with nothing
 * ready {1, ms until the next delayed message or lease comes due (-1: none)}, or {-1}.
 */
export const RECEIVE = `${PRELUDE}${PROMOTE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
promote(KEYS[6], KEYS[5])
promote(KEYS[7], KEYS[5])
local popped = redis.call('ZPOPMIN', KEYS[5], ARGV[1])
local out = {1, now}
local leaseUntil = now + tonumber(ARGV[2])
for i = 1, #popped, 2 do
  local seq = popped[i]
  out[#out + 1] = seq
  out[#out + 1] = redis.call('HINCRBY', KEYS[3], seq, 1)
  out[#out + 1] = redis.call('HGET', KEYS[2], seq)
  redis.call('ZADD', KEYS[7], leaseUntil, seq)
end
if #popped == 0 then
  local soonest = -1
  for _, key in ipairs({KEYS[6], KEYS[7]}) do
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    if first[2] then
      local wait = tonumber(first[2]) - now
      if soonest < 0 or wait < soonest then soonest = wait end
    end
  end
  out[2] = soonest
end
return out
`

/**
 * ARGV: (seq, delivery) per handle. Deletes each message whose latest delivery is the one named —
 * for good; any other handle (acked already, or redelivered since) is a no-op. Reply: acked count or -1.
 */
export const ACK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local acked = 0
for i = 1, #ARGV, 2 do
  local seq = ARGV[i]
  if redis.call('HGET', KEYS[3], seq) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[2], seq)
    redis.call('HDEL', KEYS[3], seq)
    redis.call('ZREM', KEYS[4], seq)
    redis.call('ZREM', KEYS[5], seq)
    redis.call('ZREM', KEYS[6], seq)
    redis.call('ZREM', KEYS[7], seq)
    acked = acked + 1
  end
end
return acked
`

/**
 * ARGV: seq, delivery, delay ms, wake channel. Ends the lease of the delivery named, if it is the
 * latest one and still leased (or its lease expired and nobody took it since): the message is ready
 * again now, or delayed. Reply: 1 acted, 0 no-op, -1 missing queue.
 */
export const NACK = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local seq = ARGV[1]
if redis.call('HGET', KEYS[3], seq) ~= ARGV[2] then return 0 end
if not redis.call('ZSCORE', KEYS[7], seq) and not redis.call('ZSCORE', KEYS[5], seq) then return 0 end
redis.call('ZREM', KEYS[7], seq)
redis.call('ZREM', KEYS[5], seq)
local delay = tonumber(ARGV[3])
if delay > 0 then
  redis.call('ZADD', KEYS[6], now + delay, seq)
else
  redis.call('ZADD', KEYS[5], seq, seq)
  redis.call('PUBLISH', ARGV[4], '1')
end
return 1
`

/** ARGV: seq, delivery, lease ms. Restarts the lease of the latest delivery, if still leased. */
export const RENEW = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local seq = ARGV[1]
if redis.call('HGET', KEYS[3], seq) ~= ARGV[2] then return 0 end
if not redis.call('ZSCORE', KEYS[7], seq) then return 0 end
redis.call('ZADD', KEYS[7], now + tonumber(ARGV[3]), seq)
return 1
`

/**
 * No ARGV. Reply: {1, now, ready, due delayed, expired leases, live leases, pending delayed,
 * enqueued ms of the oldest message (-1: empty)} or {-1}. Reads only.
 */
export const STATS = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local oldest = -1
local first = redis.call('ZRANGE', KEYS[4], 0, 0)
if first[1] then
  local record = redis.call('HGET', KEYS[2], first[1])
  if record then oldest = tonumber(string.match(record, '^(%d+)|')) end
end
return {1, now, redis.call('ZCARD', KEYS[5]),
  redis.call('ZCOUNT', KEYS[6], '-inf', now), redis.call('ZCOUNT', KEYS[7], '-inf', now),
  redis.call('ZCOUNT', KEYS[7], '(' .. now, '+inf'), redis.call('ZCOUNT', KEYS[6], '(' .. now, '+inf'),
  oldest}
`

/**
 * ARGV: max. The first messages in send order with their states, changing nothing. Reply:
 * {1, now, record, deliveries, state, …} (state: v visible, i in flight, d delayed) or {-1}.
 */
export const PEEK = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local out = {1, now}
for _, seq in ipairs(redis.call('ZRANGE', KEYS[4], 0, tonumber(ARGV[1]) - 1)) do
  local state = 'v'
  local leased = redis.call('ZSCORE', KEYS[7], seq)
  local delayed = redis.call('ZSCORE', KEYS[6], seq)
  if leased and tonumber(leased) > now then state = 'i' end
  if delayed and tonumber(delayed) > now then state = 'd' end
  out[#out + 1] = redis.call('HGET', KEYS[2], seq)
  out[#out + 1] = redis.call('HGET', KEYS[3], seq) or '0'
  out[#out + 1] = state
end
return out
`

/** ARGV: wake channel. Deletes the queue and its messages (not its seq counter) and wakes waiters. */
export const DELETE = `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
redis.call('PUBLISH', ARGV[1], '1')
return 1
`
