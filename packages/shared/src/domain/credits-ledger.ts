import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections } from './collections';
import { insertOnce } from './insert-once';
import type { LedgerEntryDocument, LedgerReason } from './credits';
import { withRedisMutex, type HeldMutex } from './redis-mutex';
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

export interface ApplyOptions {
  /**
   * The key was made for this call (a new job's id) and cannot have been applied before: the
   * ledger is not read first. A replay of the same key must not set it.
   */
  fresh?: boolean;
  /**
   * Runs last under the user's lock, with the result (after the operation, before the release),
   * so the caller can send its own commands in the release's round trip
   * (`lock.releaseWith`). Must not throw: its failures are its own to report.
   */
  beforeRelease?: (result: ApplyResult, lock: HeldMutex) => Promise<void>;
}

export interface CreditsLedger {
  /**
   * Applies `op` at most once, however long the user's history: the ledger entry under the
   * operation's key (its `_id`, unique) is what says "applied". A debit only applies while the
   * balance covers it.
   */
  apply(op: CreditOperation, options?: ApplyOptions): Promise<ApplyResult>;
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
 * documents with no transaction between them. So an operation runs in two steps:
 *
 * 1. the balance changes together with an in-flight marker (`applied_ops: key`), one
 *    single-document update;
 * 2. the ledger entry is inserted under the key: from here on the ledger says "applied".
 *
 * A crash after 1 leaves the marker, so a replay sees the balance already changed and only
 * writes the entry. A marker whose entry exists is harmless (a replay reads the ledger first)
 * and goes with the user's next operation: the holder of the user's lock hands the next one a
 * note in Redis, read and written in the lock's own round trips, of the markers it left and
 * which of them are recorded; the next step 1 drops those in the same update, conditional on
 * the markers being exactly as noted. A missing or stale note (Redis lost it, another writer)
 * makes that update match nothing: the operation then pushes its marker as before and finds out
 * from the ledger which markers left on the document are recorded. So the markers hold only
 * operations caught between 1 and 2 and at most the last recorded one, never history: a refund
 * replayed after any number of other operations finds its ledger entry (issue 11, finding 14).
 *
 * Every step runs under a per-user Redis mutex. On MongoDB step 1 alone is atomic; FerretDB v1
 * (the local stand-in) runs conditional updates as read-modify-write and loses concurrent ones,
 * so nothing may touch a user's document outside the lock.
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

  const covered = (op: CreditOperation) => (op.delta < 0 ? { credits: { $gte: -op.delta } } : {});

  /** Step 1 with the note: the markers exactly as noted, less the recorded ones, plus this one. */
  async function changeNoted(op: CreditOperation, note: MarkerNote): Promise<string[] | null> {
    if (note.markers.includes(op.key)) return null;
    const next = [...note.markers.filter((m) => !note.done.includes(m)), op.key];
    const { modifiedCount } = await users.updateOne(
      { _id: op.userId, applied_ops: note.markers, ...covered(op) },
      { $inc: { credits: op.delta }, $set: { applied_ops: next, updated_at: new Date() } },
    );
    return modifiedCount === 1 ? next : null;
  }

  /** Step 1 without a (usable) note; the markers after it, when this call made the change. */
  async function changeUnnoted(op: CreditOperation): Promise<{ result: ApplyResult; markers: string[] | null }> {
    const after = await users.findOneAndUpdate(
      { _id: op.userId, applied_ops: { $ne: op.key }, ...covered(op) },
      { $inc: { credits: op.delta }, $push: { applied_ops: op.key }, $set: { updated_at: new Date() } },
      { returnDocument: 'after' },
    );
    if (after) return { result: 'applied', markers: after.applied_ops ?? [op.key] };
    const marked = await users.countDocuments({ _id: op.userId, applied_ops: op.key }, { limit: 1 });
    return { result: marked ? 'already_applied' : 'insufficient', markers: null };
  }

  /** Which of `markers` (other than `key`) have their ledger entry: the ones the next change may drop. */
  async function recordedAmong(markers: string[], key: string): Promise<string[]> {
    const others = markers.filter((m) => m !== key);
    if (!others.length) return [];
    const found = await ledger.find({ _id: { $in: others } }, { projection: { _id: 1 } }).toArray();
    return found.map((e) => e._id);
  }

  /** The operation under the lock, and the note to hand on (null: unknown, the next one asks). */
  async function applyLocked(
    op: CreditOperation,
    fresh: boolean,
    note: MarkerNote | null,
  ): Promise<{ result: ApplyResult; note: MarkerNote | null }> {
    if (!fresh && (await isApplied(op.key))) return { result: 'already_applied', note };
    const noted = note && (await changeNoted(op, note));
    if (noted) {
      await record(op);
      return { result: 'applied', note: { markers: noted, done: [op.key] } };
    }
    const { result, markers } = await changeUnnoted(op);
    if (result === 'insufficient') return { result, note };
    const done = markers ? await recordedAmong(markers, op.key) : [];
    await record(op);
    return { result, note: markers ? { markers, done: [...done, op.key] } : null };
  }

  return {
    isApplied,
    async apply(op, options = {}) {
      const userId = op.userId.toHexString();
      const noteKey = `${keyPrefix}:credit-markers:${userId}`;
      let handOn: MarkerNote | null = null;
      return withRedisMutex(
        redis,
        `${keyPrefix}:lock:credits:${userId}`,
        async (lock) => {
          const { result, note } = await applyLocked(op, options.fresh === true, parseNote(lock.alsoRead));
          handOn = note;
          await options.beforeRelease?.(result, lock);
          return result;
        },
        {
          alsoRead: noteKey,
          onRelease: (multi) => {
            if (handOn) multi.set(noteKey, JSON.stringify(handOn), 'EX', NOTE_TTL_SECONDS);
            else multi.del(noteKey);
          },
        },
      );
    },
  };
}

/** What the holder of a user's credit lock hands the next one (see {@link createCreditsLedger}). */
interface MarkerNote {
  /** The user document's `applied_ops`, exactly, as this holder left it. */
  markers: string[];
  /** Those of them whose ledger entry exists. */
  done: string[];
}

/** A note outlives a user's quiet spell by this long; without one the next operation asks the ledger. */
const NOTE_TTL_SECONDS = 24 * 3600;

function parseNote(raw: string | null): MarkerNote | null {
  if (!raw) return null;
  try {
    const note = JSON.parse(raw) as Partial<MarkerNote>;
    return Array.isArray(note.markers) && Array.isArray(note.done) ? (note as MarkerNote) : null;
  } catch {
    return null;
  }
}
