import type { Redis } from 'ioredis';
import type { ObjectId } from 'mongodb';
import { PLANS, type Plan } from './plan';

/**
 * Each user's plan, mirrored in Redis so a miss submit reads it in the cache probe's round trip
 * instead of reading the user from MongoDB: the limiter needs the plan before anything is
 * written, and it is the only field of the user that path needs (the balance is checked by the
 * reservation's conditional update). One MongoDB command less per miss (DESIGN.md's budget:
 * auth + limiter + reserve + enqueue, ≤ 3).
 *
 * Kept right by its writers: a plan change sets the mirror after the MongoDB write, under the
 * user's document lock; a read from MongoDB fills it only where it is absent (`NX`), so a read
 * made before a plan change cannot put the old plan back over the new one. A change whose mirror
 * write failed (Redis down after the MongoDB write) shows at the latest when the entry expires.
 */
export interface UserPlanMirror {
  /** The Redis key of the user's mirrored plan, for a caller that reads it in its own round trip. */
  key(userId: ObjectId): string;
  /** A value read from {@link key}: the plan, or null when absent or not a plan. */
  parse(raw: string | null | undefined): Plan | null;
  /** After a plan change (under the user's lock): the new plan, whatever was there. */
  write(userId: ObjectId, plan: Plan): Promise<void>;
  /** After a read from MongoDB: the plan read, unless the mirror already holds one. Never throws. */
  fill(userId: ObjectId, plan: Plan): Promise<void>;
}

/** How long a mirrored plan lives: the bound on a stale one after a failed mirror write. */
export const USER_PLAN_TTL_SECONDS = 600;

export function createUserPlanMirror(redis: Redis, keyPrefix: string): UserPlanMirror {
  const key = (userId: ObjectId) => `${keyPrefix}:user-plan:${userId.toHexString()}`;
  const plans: readonly string[] = PLANS;
  return {
    key,
    parse: (raw) => (raw && plans.includes(raw) ? (raw as Plan) : null),
    async write(userId, plan) {
      await redis.set(key(userId), plan, 'EX', USER_PLAN_TTL_SECONDS);
    },
    async fill(userId, plan) {
      await redis.set(key(userId), plan, 'EX', USER_PLAN_TTL_SECONDS, 'NX').catch(() => undefined);
    },
  };
}
