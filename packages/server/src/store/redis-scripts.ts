import { createHash } from 'node:crypto';

/** A Lua script run with EVALSHA (EVAL when the server does not know it yet). */
export interface RedisScript {
  readonly lua: string;
  readonly sha: string;
  readonly keys: number;
}

function script(keys: number, lua: string): RedisScript {
  return { lua, keys, sha: createHash('sha1').update(lua).digest('hex') };
}

// Each script is one atomic step in Redis: the decisions that must not race (who claims a
// token, who completes it, whether a renewal lands on a revoked identity) are made inside.

/** KEYS token; ARGV spki, serviceId, now, leaseMs, keepMs. */
export const CLAIM = script(
  1,
  `if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
local f = redis.call('HMGET', KEYS[1], 'c_spki', 'c_sid', 'c_lease', 'c_resp', 'exp')
local now = tonumber(ARGV[3])
local lease = string.format('%d', now + tonumber(ARGV[4]))
if f[1] then
  if f[1] == ARGV[1] and not f[4] and tonumber(f[3]) <= now then
    redis.call('HSET', KEYS[1], 'c_lease', lease)
    return {'claimed', f[2]}
  end
  return {'taken', f[1], f[2], f[3], f[4]}
end
if now >= tonumber(f[5]) then return {'expired'} end
redis.call('HSET', KEYS[1], 'c_spki', ARGV[1], 'c_sid', ARGV[2], 'c_lease', lease)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {'claimed', ARGV[2]}`,
);

/** KEYS token, stats; ARGV spki, response. */
export const COMPLETE = script(
  2,
  `local f = redis.call('HMGET', KEYS[1], 'c_spki', 'c_resp')
if f[1] ~= ARGV[1] then return false end
if f[2] then return f[2] end
redis.call('HSET', KEYS[1], 'c_resp', ARGV[2])
redis.call('HINCRBY', KEYS[2], 'registrations', 1)
return ARGV[2]`,
);

/** KEYS token; ARGV spki. */
export const RELEASE = script(
  1,
  `local f = redis.call('HMGET', KEYS[1], 'c_spki', 'c_resp')
if f[1] == ARGV[1] and not f[2] then redis.call('HDEL', KEYS[1], 'c_spki', 'c_sid', 'c_lease') end
return 1`,
);

/** KEYS cert; ARGV identity key prefix. The certificate and its identity in one round trip. */
export const AUTHENTICATE = script(
  1,
  `local c = redis.call('GET', KEYS[1])
if not c then return false end
local d = cjson.decode(c)
return {c, redis.call('HGETALL', ARGV[1] .. d.s)}`,
);

/** KEYS identity, cert, stats; ARGV certJson, keepMs, fingerprint, notAfter, agent key prefix. */
export const ADD_CERTIFICATE = script(
  3,
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if redis.call('HGET', KEYS[1], 'revoked') == '1' then return 'revoked' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[1], 'fp', ARGV[3], 'na', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'renewals', 1)
local keep = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and ttl < keep then redis.call('PEXPIRE', KEYS[1], keep) end
local agent = ARGV[5] .. redis.call('HGET', KEYS[1], 'agent_id')
ttl = redis.call('PTTL', agent)
if ttl >= 0 and ttl < keep then redis.call('PEXPIRE', agent, keep) end
redis.call('HINCRBY', KEYS[3], 'renewals', 1)
return 'ok'`,
);

/** KEYS identity, stats; ARGV heartbeat JSON. */
export const HEARTBEAT = script(
  2,
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'hb', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'heartbeats', 1)
redis.call('HINCRBY', KEYS[2], 'heartbeats', 1)
return 1`,
);

/** KEYS identity of the id, agent set of the id; ARGV the id, identity key prefix. */
export const REVOKE = script(
  2,
  `if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'revoked', '1')
  return {ARGV[1]}
end
local out = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local k = ARGV[2] .. sid
  if redis.call('EXISTS', k) == 1 then
    redis.call('HSET', k, 'revoked', '1')
    table.insert(out, sid)
  end
end
return out`,
);
