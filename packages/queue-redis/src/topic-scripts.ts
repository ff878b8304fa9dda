import { PRELUDE } from './queue-scripts.js'

/**
 * The Lua scripts of topics. A topic's keys and every key of its subscriptions share the hash tag
 * `{t:<topic>}`, so a script that builds a subscription's keys from the topic's base stays in one
 * Cluster slot. KEYS: the topic's meta and subscriptions hash; ARGV[1]: the subscriptions' key base.
 */

/** The key suffixes of a subscription, as `keyList` orders them, for the scripts below. */
const SUB_KEYS = `
local function subKeys(name)
  local base = ARGV[1] .. name
  return base, {base .. ':meta', base .. ':m', base .. ':d', base .. ':sent', base .. ':ready',
    base .. ':delayed', base .. ':lease'}
end
`

/** ARGV: base, subscription, filter JSON ('' for none). Reply: 1, or -1 when the topic is missing. */
export const CREATE_SUBSCRIPTION = `${SUB_KEYS}
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 1 then
  local _, keys = subKeys(ARGV[2])
  redis.call('SET', keys[1], '1')
end
return 1
`

/** ARGV: base, subscription. Deletes the subscription and its messages; wakes its waiters. */
export const DELETE_SUBSCRIPTION = `${SUB_KEYS}
redis.call('HDEL', KEYS[2], ARGV[2])
local base, keys = subKeys(ARGV[2])
redis.call('DEL', unpack(keys))
redis.call('PUBLISH', base .. ':wake', '1')
return 1
`

/** ARGV: base. Deletes the topic and every subscription of it. */
export const DELETE_TOPIC = `${SUB_KEYS}
for _, name in ipairs(redis.call('HKEYS', KEYS[2])) do
  local base, keys = subKeys(name)
  redis.call('DEL', unpack(keys))
  redis.call('PUBLISH', base .. ':wake', '1')
end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`

/**
 * ARGV: base, then (attributes JSON, payload) per message. Adds each message to every subscription
 * whose filter matches, all in one script: a publish reaches every matching subscription or none.
 * Reply: {1} or {-1}.
 */
export const PUBLISH = `${PRELUDE}${SUB_KEYS}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local function matches(filter, attrs)
  if not filter then return true end
  for name, cond in pairs(filter) do
    local v = attrs[name]
    if type(v) ~= 'string' then v = nil end
    if cond.equals then
      local ok = false
      if v then for _, x in ipairs(cond.equals) do if x == v then ok = true end end end
      if not ok then return false end
    elseif cond.notEquals then
      if v then for _, x in ipairs(cond.notEquals) do if x == v then return false end end end
    elseif cond.exists ~= nil then
      if (v ~= nil) ~= cond.exists then return false end
    elseif cond.prefix then
      if not v or string.sub(v, 1, #cond.prefix) ~= cond.prefix then return false end
    else
      return false
    end
  end
  return true
end
local subs = {}
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local filter = false
  if all[i + 1] ~= '' then filter = cjson.decode(all[i + 1]) end
  local base, keys = subKeys(all[i])
  subs[#subs + 1] = {filter = filter, base = base, keys = keys, woke = false}
end
for i = 2, #ARGV, 2 do
  local attrs = cjson.decode(ARGV[i])
  local record = now .. '|' .. ARGV[i + 1]
  for _, sub in ipairs(subs) do
    if matches(sub.filter, attrs) then
      local seq = redis.call('INCR', sub.base .. ':seq')
      redis.call('HSET', sub.keys[2], seq, record)
      redis.call('ZADD', sub.keys[4], seq, seq)
      redis.call('ZADD', sub.keys[5], seq, seq)
      sub.woke = true
    end
  end
end
for _, sub in ipairs(subs) do
  if sub.woke then redis.call('PUBLISH', sub.base .. ':wake', '1') end
end
return {1}
`
