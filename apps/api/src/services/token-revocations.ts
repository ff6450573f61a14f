import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections, UnauthorizedError, type UserDocument, type UserDocumentLock } from '@vectort/shared';
import type { TokenClaims } from './token.service';

/** A user keeps at most this many logged-out, unexpired tokens in MongoDB (Redis holds them all). */
const MAX_STORED_REVOKED = 100;
/** Clock skew between API replicas: revocation entries outlive the tokens they judge by this much. */
const SKEW_MS = 60_000;

// Sets KEYS[1] to max(its value, ARGV[1]) and its lifetime to ARGV[2] ms: "tokens valid after"
// only ever moves forward, whichever writer (a login refreshing it, a password change) comes last.
const SET_MAX = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local v = tonumber(ARGV[1])
if cur > v then v = cur end
redis.call('SET', KEYS[1], tostring(v), 'PX', ARGV[2])
return v`;

/**
 * The revocation check of one request, made by `authenticate`. Token-only fast paths add `keys`
 * to the Redis read they make anyway (one MGET, no extra round trip) and hand the values to
 * `settle`; anything else calls `settleAlone`. Once settled, `keys` is empty and both are no-ops.
 */
export interface PendingAuthCheck {
  readonly keys: string[];
  readonly settled: boolean;
  /** 401 when the token is revoked, judged from the values read for `keys` (null: unknown). */
  settle(values: readonly (string | null)[]): Promise<void>;
  settleAlone(): Promise<void>;
}

export interface TokenRevocations {
  /** The request-scoped check of a verified token. */
  pending(claims: TokenClaims): PendingAuthCheck;
  /** At each token issue: the user's entry exists in Redis for as long as the new token lives. */
  remember(user: Pick<UserDocument, '_id' | 'tokens_valid_after'>): Promise<void>;
  /** Logout: this one token is refused from now on. */
  revokeToken(claims: TokenClaims): Promise<void>;
  /** Password change: every token of the user issued up to `at` is refused from now on. */
  revokeAllBefore(userId: ObjectId, at: Date): Promise<void>;
}

/**
 * One request's check. A class, not an object literal with getters: a literal with accessors
 * gets a hidden class of its own each time it is made (its getters are new closures), and V8
 * makes hidden classes in the old generation, where they kept every request's young objects
 * alive through young-generation collections. At 1,000 token-only requests a second that was
 * about 320 KB promoted per scavenge against 5 KB with this class (`--trace-gc-nvp`), and the old
 * generation it filled cost a full collection every few seconds: the cache hit's p99.
 */
class PendingCheck implements PendingAuthCheck {
  private done = false;

  constructor(
    private readonly claims: TokenClaims,
    private readonly allKeys: string[],
    private readonly redis: Redis,
    private readonly durableVerdict: (claims: TokenClaims) => Promise<boolean>,
  ) {}

  get keys(): string[] {
    return this.done ? [] : this.allKeys;
  }

  get settled(): boolean {
    return this.done;
  }

  async settle(values: readonly (string | null)[]): Promise<void> {
    if (this.done) return;
    this.done = true;
    const [validAfter, revoked] = values;
    if (revoked) throw new UnauthorizedError('Token revoked');
    const ok =
      validAfter === null || validAfter === undefined
        ? await this.durableVerdict(this.claims)
        : this.claims.issuedAtMs > Number(validAfter);
    if (!ok) throw new UnauthorizedError('Token revoked');
  }

  async settleAlone(): Promise<void> {
    if (this.done) return;
    // Redis down: MongoDB still answers (the same path as an unknown entry).
    const values = await this.redis.mget(...this.allKeys).catch(() => [null, null]);
    await this.settle(values);
  }
}

/**
 * Token revocation, in Redis for the hot paths and in the user's MongoDB document for
 * durability. Redis holds, per user, "tokens valid after" (ms; `0` when nothing was revoked)
 * and, per logged-out token, a marker; every entry lives as long as the tokens it judges (the
 * token lifetime), so the key families stay bounded. A missing user entry does not mean "not
 * revoked": it means Redis does not know (lost, or first sight), and the answer comes from
 * MongoDB, which then refills Redis. So losing Redis never un-revokes a token. Writes go to
 * Redis first, then MongoDB: a failure leaves the token revoked rather than the reverse.
 */
export function createTokenRevocations(options: {
  db: Db;
  redis: Redis;
  keyPrefix: string;
  /** The token lifetime (JWT_TTL_SECONDS). */
  ttlSeconds: number;
  /** Taken around every write of the user's document (see UserDocumentLock). */
  lock: UserDocumentLock;
}): TokenRevocations {
  const { redis, keyPrefix } = options;
  const users = options.db.collection<UserDocument>(Collections.users);
  const entryMs = options.ttlSeconds * 1000 + SKEW_MS;
  const userKey = (userId: string) => `${keyPrefix}:auth:valid-after:${userId}`;
  const tokenKey = (jti: string) => `${keyPrefix}:auth:revoked:${jti}`;
  const setMax = (userId: string, ms: number) => redis.eval(SET_MAX, 1, userKey(userId), String(ms), String(entryMs));

  /** MongoDB's answer for a token Redis knows nothing about; refills Redis on the way. */
  async function durableVerdict(claims: TokenClaims): Promise<boolean> {
    const user = await users.findOne(
      { _id: claims.userObjectId },
      { projection: { tokens_valid_after: 1, revoked_tokens: 1 } },
    );
    if (!user) return false;
    const validAfter = user.tokens_valid_after?.getTime() ?? 0;
    const now = Date.now();
    const revoked = (user.revoked_tokens ?? []).filter((t) => t.exp.getTime() > now);
    const refill = redis.multi();
    for (const t of revoked) refill.set(tokenKey(t.jti), '1', 'PX', t.exp.getTime() - now + SKEW_MS);
    refill.eval(SET_MAX, 1, userKey(claims.userId), String(validAfter), String(entryMs));
    await refill.exec().catch(() => undefined);
    return claims.issuedAtMs > validAfter && !revoked.some((t) => t.jti === claims.jti);
  }

  return {
    pending(claims) {
      return new PendingCheck(claims, [userKey(claims.userId), tokenKey(claims.jti)], redis, durableVerdict);
    },

    async remember(user) {
      await setMax(user._id.toHexString(), user.tokens_valid_after?.getTime() ?? 0);
    },

    async revokeToken(claims) {
      const remainingMs = Math.max(1, claims.expiresAtMs - Date.now());
      await redis.set(tokenKey(claims.jti), '1', 'PX', remainingMs + SKEW_MS);
      // $push appends atomically; pruning (FerretDB has no conditional $pull) is a rare rewrite.
      await options.lock.run(claims.userObjectId, async () => {
        const after = await users.findOneAndUpdate(
          { _id: claims.userObjectId },
          { $push: { revoked_tokens: { jti: claims.jti, exp: new Date(claims.expiresAtMs) } } },
          { returnDocument: 'after' },
        );
        const stored = after?.revoked_tokens ?? [];
        if (stored.length > MAX_STORED_REVOKED / 2) {
          const now = Date.now();
          const kept = stored
            .filter((t) => t.exp.getTime() > now)
            .sort((a, b) => b.exp.getTime() - a.exp.getTime())
            .slice(0, MAX_STORED_REVOKED);
          await users.updateOne({ _id: claims.userObjectId }, { $set: { revoked_tokens: kept } });
        }
      });
    },

    async revokeAllBefore(userId, at) {
      await setMax(userId.toHexString(), at.getTime());
      // Tokens logged out one by one are now covered by the timestamp too.
      await options.lock.run(userId, () =>
        users.updateOne({ _id: userId }, { $set: { tokens_valid_after: at, revoked_tokens: [] } }),
      );
    },
  };
}
