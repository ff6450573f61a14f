import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections } from './collections';
import { insertOnce } from './insert-once';
import type { LedgerEntryDocument, LedgerReason } from './credits';
import { withRedisMutex } from './redis-mutex';
import type { UserDocument } from './user';

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
   * Applies `op` at most once, however long the user's history: the ledger entry under the
   * operation's key (its `_id`, unique) is what says "applied". A debit only applies while the
   * balance covers it.
   */
  apply(op: CreditOperation): Promise<ApplyResult>;
  /** True when the operation `key` has been applied (its ledger entry exists). One point read. */
  isApplied(key: string): Promise<boolean>;
}

export interface CreditsLedgerOptions {
  db: Db;
  redis: Redis;
  keyPrefix: string;
}

/**
 * The balance lives on the user document, the proof of each change in the ledger, two
 * documents with no transaction between them. So an operation runs in three steps:
 *
 * 1. the balance changes together with an in-flight marker (`applied_ops: key`), one
 *    single-document update;
 * 2. the ledger entry is inserted under the key: from here on the ledger says "applied";
 * 3. the marker is pulled.
 *
 * A crash after 1 leaves the marker, so a replay sees the balance already changed and only
 * writes the entry; a crash after 2 leaves a stale marker the ledger check makes harmless.
 * The markers therefore hold only operations caught between 1 and 2, never history: a refund
 * replayed after any number of other operations finds its ledger entry (issue 11, finding 14).
 *
 * Every step runs under a per-user Redis mutex. On MongoDB step 1 alone is atomic; FerretDB v1
 * (the local stand-in) runs conditional updates as read-modify-write and loses concurrent ones,
 * so nothing may touch a user's document outside the lock (step 3 included).
 */
export function createCreditsLedger({ db, redis, keyPrefix }: CreditsLedgerOptions): CreditsLedger {
  const users = db.collection<UserDocument>(Collections.users);
  const ledger = db.collection<LedgerEntryDocument>(Collections.creditLedger);

  const isApplied = async (key: string) => (await ledger.findOne({ _id: key }, { projection: { _id: 1 } })) !== null;

  const record = (op: CreditOperation) =>
    insertOnce(ledger, {
      _id: op.key,
      user_id: op.userId,
      delta: op.delta,
      reason: op.reason,
      job_id: op.jobId ?? null,
      created_at: new Date(),
    });

  /** Step 1: the balance and the marker; 'already_applied' when an earlier run got this far. */
  async function changeBalance(op: CreditOperation): Promise<ApplyResult> {
    const filter = {
      _id: op.userId,
      applied_ops: { $ne: op.key },
      ...(op.delta < 0 ? { credits: { $gte: -op.delta } } : {}),
    };
    const { modifiedCount } = await users.updateOne(filter, {
      $inc: { credits: op.delta },
      $push: { applied_ops: op.key },
      $set: { updated_at: new Date() },
    });
    if (modifiedCount === 1) return 'applied';
    const marked = await users.countDocuments({ _id: op.userId, applied_ops: op.key }, { limit: 1 });
    return marked ? 'already_applied' : 'insufficient';
  }

  return {
    isApplied,
    async apply(op) {
      return withRedisMutex(redis, `${keyPrefix}:lock:credits:${op.userId.toHexString()}`, async () => {
        if (await isApplied(op.key)) return 'already_applied';
        const result = await changeBalance(op);
        if (result === 'insufficient') return result;
        await record(op);
        await users.updateOne({ _id: op.userId }, { $pull: { applied_ops: op.key } });
        return result;
      });
    },
  };
}
