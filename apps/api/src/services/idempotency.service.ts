import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError, ConflictError, createCappedKeyIndex } from '@vectort/shared';

/** How long a finished request's response is replayed for a repeated key. */
const DONE_TTL_SECONDS = 24 * 3600;
/** A request that dies mid-way frees its key after this long. */
const IN_FLIGHT_TTL_SECONDS = 60;

/** Most replay records of cache hits one user keeps; the oldest go first (API.md [impl]). */
export const MAX_HIT_REPLAYS_PER_USER = 1000;

export interface StoredResponse {
  status: number;
  /** Absent when `generationId` stands for it. */
  body?: unknown;
  headers: Record<string, string>;
  /**
   * A cache hit's generation: the replay reads it again rather than keeping a copy of its
   * files (a free hit must not buy megabytes of Redis for 24 h).
   */
  generationId?: string;
  /** The body already written as JSON (a cache hit's): sent as it is, never stored. */
  json?: Buffer;
}

interface Record_ {
  fingerprint: string;
  state: 'in_flight' | 'done';
  response?: StoredResponse;
}

export interface IdempotencyClaim {
  /** The earlier response to send again, or undefined when this request should run. */
  replay?: StoredResponse;
  complete(response: StoredResponse): Promise<void>;
  /** Frees the key (the request failed), so the client may retry with it. */
  release(): Promise<void>;
}

export interface IdempotencyService {
  /**
   * Claims `key` for `fingerprint` (a hash of the request). The same key and body within 24 h
   * replays the first response; another body → 422; the first still running → 409.
   */
  claim(userId: string, key: string, fingerprint: string): Promise<IdempotencyClaim>;
}

export function fingerprintOf(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export function createIdempotencyService(redis: Redis, keyPrefix: string): IdempotencyService {
  // Hits are cheap to make (600 a minute): cap their records per user. Misses cost credits
  // and have the plan's limit, and losing a miss's record could charge a retry twice.
  const hitReplays = createCappedKeyIndex({
    indexKey: (userId) => `${keyPrefix}:keys:idem-hits:${userId}`,
    cap: MAX_HIT_REPLAYS_PER_USER,
    ttlSeconds: DONE_TTL_SECONDS,
  });
  return { claim };

  async function claim(userId: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    {
      const redisKey = `${keyPrefix}:idem:${userId}:${fingerprintOf(key)}`;
      const inFlight: Record_ = { fingerprint, state: 'in_flight' };
      const claimed = await redis.set(redisKey, JSON.stringify(inFlight), 'EX', IN_FLIGHT_TTL_SECONDS, 'NX');
      if (!claimed) {
        const existing = JSON.parse((await redis.get(redisKey)) ?? 'null') as Record_ | null;
        // It expired between our two calls: try again.
        if (!existing) return claim(userId, key, fingerprint);
        if (existing.fingerprint !== fingerprint) {
          throw new AppError('idempotency_key_reused', 422, 'Idempotency-Key was used with a different request');
        }
        if (existing.state === 'in_flight' || !existing.response) {
          throw new ConflictError('A request with this Idempotency-Key is still being handled');
        }
        return { replay: existing.response, complete: async () => undefined, release: async () => undefined };
      }
      return {
        async complete(response) {
          const done: Record_ = { fingerprint, state: 'done', response };
          const batch = redis.multi().set(redisKey, JSON.stringify(done), 'EX', DONE_TTL_SECONDS);
          if (response.generationId) hitReplays.queue(batch, userId, redisKey);
          const replies = await batch.exec();
          const failed = replies?.find(([err]) => err)?.[0];
          if (failed) throw failed;
        },
        async release() {
          await redis.del(redisKey);
        },
      };
    }
  }
}
