import type { ChainableCommander, Redis } from 'ioredis';
import { redisScript } from '../clients/redis-script';

/**
 * Remembers `KEYS[2]` in the sorted set `KEYS[1]` (scored by time), drops members older than
 * the TTL, deletes the oldest keys beyond the cap, and renews the set's own TTL. The deleted
 * keys are not declared in KEYS: fine on one Redis; on Redis Cluster give a user's keys a hash tag.
 */
const TRACK = redisScript(`
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, KEYS[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl * 1000)
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[1], excess)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
redis.call('EXPIRE', KEYS[1], ttl)
return excess
`);

export interface CappedKeyIndexOptions {
  /** The index's own key for one owner (a user), e.g. `${prefix}:keys:idem:${userId}`. */
  indexKey: (ownerId: string) => string;
  /** Most keys one owner keeps; the oldest go first. */
  cap: number;
  /** The tracked keys' TTL, in seconds: the index forgets members older than this. */
  ttlSeconds: number;
}

/**
 * Caps how many keys of one family (idempotency records, project pointers) one user can hold
 * in Redis, which runs `noeviction`: a TTL alone lets a user fill it at the rate they can
 * create keys. Only for keys whose loss is harmless (a cache, a replay record of a free hit).
 */
export interface CappedKeyIndex {
  /** Tracks `key` for `ownerId`, evicting the owner's oldest keys beyond the cap. */
  track(redis: Redis, ownerId: string, key: string): Promise<void>;
  /** The same, queued on a MULTI or pipeline the caller sends. */
  queue(batch: ChainableCommander, ownerId: string, key: string): ChainableCommander;
}

export function createCappedKeyIndex(options: CappedKeyIndexOptions): CappedKeyIndex {
  const args = () => [Date.now(), options.ttlSeconds, options.cap];
  return {
    async track(redis, ownerId, key) {
      await TRACK.run(redis, [options.indexKey(ownerId), key], args());
    },
    queue(batch, ownerId, key) {
      return TRACK.queue(batch, [options.indexKey(ownerId), key], args());
    },
  };
}
