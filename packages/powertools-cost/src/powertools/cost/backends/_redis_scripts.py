"""Lua for the Redis ledger: exact big-integer money in two limbs, all in one slot.

Redis Lua numbers are doubles, exact only below 2**53. Amounts are femto-dollar integers kept
as decimal strings and split into (dollars, femto-dollars below one dollar) limbs, each exact.
"""

from __future__ import annotations

__all__ = ["COMMIT", "EXTEND", "RELEASE", "RESERVE", "TOTALS"]

_MONEY = """
local BASE = 1000000000000000
local function parse(s)
  if not s then return 0, 0 end
  local n = string.len(s)
  if n <= 15 then return 0, tonumber(s) end
  return tonumber(string.sub(s, 1, n - 15)), tonumber(string.sub(s, n - 14))
end
local function add(ah, al, bh, bl)
  local h, l = ah + bh, al + bl
  if l >= BASE then return h + 1, l - BASE end
  return h, l
end
local function fmt(h, l)
  if h == 0 then return string.format('%.0f', l) end
  return string.format('%.0f', h) .. string.format('%015.0f', l)
end
local function expire(ttl, only_if_none, ...)
  if ttl <= 0 then return end
  for _, k in ipairs({...}) do
    if not only_if_none or redis.call('TTL', k) == -1 then redis.call('EXPIRE', k, ttl) end
  end
end
local function held(holds, expiry, now)
  local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
  if #gone > 0 then
    redis.call('HDEL', holds, unpack(gone))
    redis.call('ZREM', expiry, unpack(gone))
  end
  local h, l = 0, 0
  for _, v in ipairs(redis.call('HVALS', holds)) do
    local vh, vl = parse(v)
    h, l = add(h, l, vh, vl)
  end
  return h, l
end
"""

# KEYS: spent, holds, expiry; ARGV: limit, amount, rid, expires_at, now, ttl (0: none)
RESERVE = (
    _MONEY
    + """
local sh, sl = parse(redis.call('GET', KEYS[1]) or '0')
local hh, hl = held(KEYS[2], KEYS[3], ARGV[5])
local ah, al = parse(ARGV[2])
local th, tl = add(sh, sl, hh, hl)
th, tl = add(th, tl, ah, al)
local mh, ml = parse(ARGV[1])
if th > mh or (th == mh and tl > ml) then return 0 end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
expire(tonumber(ARGV[6]), false, KEYS[1], KEYS[2], KEYS[3])
return 1
"""
)

# KEYS: spent, holds, expiry, done; ARGV: rid, amount, now, ttl (0: none), done_for.
# Idempotent per rid: a client retry after a lost reply must not spend twice. ``done`` is a
# sorted set by commit time, trimmed to the last ``done_for`` seconds (a retry comes within
# seconds), so it does not gain a member per call forever.
COMMIT = (
    _MONEY
    + """
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return redis.call('GET', KEYS[1]) or '0' end
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[5]))
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
local sh, sl = parse(redis.call('GET', KEYS[1]) or '0')
local ah, al = parse(ARGV[2])
local text = fmt(add(sh, sl, ah, al))
redis.call('SET', KEYS[1], text, 'KEEPTTL')
expire(tonumber(ARGV[4]), true, KEYS[1], KEYS[4])
return text
"""
)

# KEYS: holds, expiry; ARGV: rid
RELEASE = """
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""

# KEYS: holds, expiry; ARGV: rid, expires_at, now. Only a live hold is extended.
EXTEND = """
local live_until = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not live_until or tonumber(live_until) <= tonumber(ARGV[3]) then
  return 0
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: spent, holds, expiry; ARGV: now
TOTALS = (
    _MONEY
    + """
local hh, hl = held(KEYS[2], KEYS[3], ARGV[1])
return {redis.call('GET', KEYS[1]) or '0', fmt(hh, hl)}
"""
)
