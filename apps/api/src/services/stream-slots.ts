import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, UnavailableError } from '@vectort/shared';

/** A slot's mark lapses this long after its last renewal: a dead API process frees its slots by itself. */
const SLOT_TTL_MS = 60_000;
const RENEW_MS = 20_000;

/**
 * Takes a slot when fewer than `max` unexpired ones exist. Members are scored by when they
 * lapse, so expired ones (of a process that died) are dropped first and never count.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

export interface StreamSlot {
  release(): void;
}

export interface StreamSlots {
  /** A slot for one more open stream or long-poll of `userId`, or 429 `rate_limited`. */
  acquire(userId: string): Promise<StreamSlot>;
}

/**
 * `MAX_STREAMS_PER_USER` event streams and long-polls per user, counted in Redis so the bound holds
 * across API replicas. When Redis cannot count, the request is refused (503), like the limiters.
 * The slots this process holds are renewed together, one pipelined round trip per renewal period
 * for all of them, not a timer and a round trip per stream.
 */
export function createStreamSlots(
  redis: Redis,
  keyPrefix: string,
  max: number,
  /** Tests shorten the lapse and renewal times. */
  timing: { ttlMs: number; renewMs: number } = { ttlMs: SLOT_TTL_MS, renewMs: RENEW_MS },
): StreamSlots {
  /** Members held by this process, by their user's key. */
  const held = new Map<string, Set<string>>();
  let renewal: NodeJS.Timeout | null = null;

  const renewAll = () => {
    const lapse = Date.now() + timing.ttlMs;
    const multi = redis.pipeline();
    for (const [key, members] of held) {
      multi.zadd(key, 'XX', ...[...members].flatMap((m) => [lapse, m]));
      multi.pexpire(key, timing.ttlMs);
    }
    multi.exec().catch(() => undefined);
  };

  const hold = (key: string, member: string) => {
    let members = held.get(key);
    if (!members) held.set(key, (members = new Set()));
    members.add(member);
    if (!renewal) {
      renewal = setInterval(renewAll, timing.renewMs);
      renewal.unref();
    }
  };

  const drop = (key: string, member: string) => {
    const members = held.get(key);
    members?.delete(member);
    if (members?.size === 0) held.delete(key);
    if (held.size === 0 && renewal) {
      clearInterval(renewal);
      renewal = null;
    }
  };

  return {
    async acquire(userId) {
      const key = `${keyPrefix}:streams:${userId}`;
      const member = randomUUID();
      const now = Date.now();
      let ok: unknown;
      try {
        ok = await redis.eval(ACQUIRE, 1, key, now, max, now + timing.ttlMs, member, timing.ttlMs);
      } catch {
        throw new UnavailableError('Redis is unavailable');
      }
      if (ok !== 1) {
        throw new AppError(
          'rate_limited',
          429,
          `At most ${max} event streams and long-polls may be open at once; close one first`,
          undefined,
          5,
        );
      }
      hold(key, member);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          drop(key, member);
          redis.zrem(key, member).catch(() => undefined);
        },
      };
    },
  };
}
