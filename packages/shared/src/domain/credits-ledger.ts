import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections } from './collections';
import { insertOnce } from './insert-once';
import type { LedgerEntryDocument, LedgerReason } from './credits';
import { withRedisMutex } from './redis-mutex';
import type { UserDocument } from './user';

/** How many applied operation keys a user document remembers (MongoDB trims; FerretDB v1 keeps all). */
const APPLIED_OPS_KEPT = 500;

export type ApplyResult = 'applied' | 'already_applied' | 'insufficient';

export interface CreditOperation {
  userId: ObjectId;
  /** Unique per operation: `job:<id>:generation`, `job:<id>:generation_refund`, `purchase:<id>`. */
  key: string;
  delta: number;
  reason: LedgerReason;
  jobId?: ObjectId | null;
}

export interface CreditsLedger {
  /**
   * Applies `op` at most once. A debit only applies while the balance covers it. The balance
   * and the operation's marker change in one single-document update (atomic on MongoDB), then
   * the ledger entry is upserted under the same key, so a crash between the two is healed by
   * running the operation again.
   */
  apply(op: CreditOperation): Promise<ApplyResult>;
}

export interface CreditsLedgerOptions {
  db: Db;
  redis: Redis;
  keyPrefix: string;
}

/**
 * Every balance change of a user is also serialised by a per-user Redis mutex. On MongoDB the
 * single-document update alone is atomic; FerretDB v1 (the local stand-in) runs conditional
 * updates as read-modify-write and loses concurrent ones. The mutex costs one round trip and
 * makes both hold.
 */
export function createCreditsLedger({ db, redis, keyPrefix }: CreditsLedgerOptions): CreditsLedger {
  const users = db.collection<UserDocument>(Collections.users);
  const ledger = db.collection<LedgerEntryDocument>(Collections.creditLedger);

  const record = (op: CreditOperation) =>
    insertOnce(ledger, {
      _id: op.key,
      user_id: op.userId,
      delta: op.delta,
      reason: op.reason,
      job_id: op.jobId ?? null,
      created_at: new Date(),
    });

  return {
    async apply(op) {
      // Only the balance check-and-update needs the lock; the ledger entry is idempotent on its key.
      const result = await withRedisMutex(redis, `${keyPrefix}:lock:credits:${op.userId.toHexString()}`, () =>
        updateBalance(op),
      );
      if (result !== 'insufficient') await record(op);
      return result;
    },
  };

  async function updateBalance(op: CreditOperation): Promise<ApplyResult> {
    const filter = {
      _id: op.userId,
      applied_ops: { $ne: op.key },
      ...(op.delta < 0 ? { credits: { $gte: -op.delta } } : {}),
    };
    const { modifiedCount } = await users.updateOne(filter, {
      $inc: { credits: op.delta },
      $push: { applied_ops: { $each: [op.key], $slice: -APPLIED_OPS_KEPT } },
      $set: { updated_at: new Date() },
    });
    if (modifiedCount === 1) return 'applied';
    const already = await users.countDocuments({ _id: op.userId, applied_ops: op.key }, { limit: 1 });
    return already ? 'already_applied' : 'insufficient';
  }
}
