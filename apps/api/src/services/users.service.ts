import { hash, verify } from '@node-rs/argon2';
import { MongoServerError, ObjectId, type Db } from 'mongodb';
import {
  Collections,
  ConflictError,
  NotFoundError,
  PLAN_STARTING_CREDITS,
  UnauthorizedError,
  type LedgerEntryDocument,
  type Plan,
  type UserDocument,
  type UserDocumentLock,
  type UserPlanMirror,
} from '@vectort/shared';

const signupKey = (userId: ObjectId) => `signup:${userId.toHexString()}`;

// argon2id (the library's default algorithm) at OWASP's minimum: 19 MiB, 2 passes.
const HASH_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export interface RegisterInput {
  email: string;
  password: string;
  full_name?: string | null;
}

export interface UsersService {
  register(input: RegisterInput): Promise<UserDocument>;
  login(email: string, password: string): Promise<UserDocument>;
  findById(id: string | ObjectId): Promise<UserDocument | null>;
  adminUpdate(id: ObjectId, changes: { plan?: Plan; credits?: number }): Promise<UserDocument>;
  /**
   * Sets or clears the stored admin flag of the account with this email (the operator's
   * `npm run admin`); null when no account has it. `changed` is false when it already was so.
   */
  setAdmin(email: string, isAdmin: boolean): Promise<{ user: UserDocument; changed: boolean } | null>;
  /** Whether `password` is the user's current one (false for an unknown user). */
  verifyPassword(id: ObjectId, password: string): Promise<boolean>;
  /** Stores a new password (hashed). Revoking the user's tokens is the caller's other half. */
  setPassword(id: ObjectId, password: string): Promise<void>;
}

/**
 * `lock` orders every write of a user's document with the credits ledger's (see
 * UserDocumentLock); `plans` is the Redis mirror of each user's plan, set on every plan change.
 */
export function createUsersService(db: Db, lock: UserDocumentLock, plans: UserPlanMirror): UsersService {
  const users = db.collection<UserDocument>(Collections.users);
  const ledger = db.collection<LedgerEntryDocument>(Collections.creditLedger);
  // Verifying against a real hash when the email is unknown keeps login time from telling which emails exist.
  const dummyHash = hash('not-a-real-password', HASH_OPTIONS);

  return {
    async register(input) {
      const now = new Date();
      const id = new ObjectId();
      const doc: UserDocument = {
        _id: id,
        email: input.email,
        email_lower: input.email.toLowerCase(),
        password_hash: await hash(input.password, HASH_OPTIONS),
        full_name: input.full_name ?? null,
        plan: 'free',
        credits: PLAN_STARTING_CREDITS.free,
        created_at: now,
        updated_at: now,
        applied_ops: [signupKey(id)],
      };
      try {
        await users.insertOne(doc);
      } catch (err) {
        if (err instanceof MongoServerError && err.code === 11000) throw new ConflictError('Email already registered');
        throw err;
      }
      await ledger.insertOne({
        _id: signupKey(id),
        user_id: id,
        delta: doc.credits,
        reason: 'signup',
        job_id: null,
        created_at: now,
      });
      return doc;
    },

    async login(email, password) {
      const user = await users.findOne({ email_lower: email.toLowerCase() });
      const ok = await verify(user?.password_hash ?? (await dummyHash), password);
      if (!user || !ok) throw new UnauthorizedError('Wrong email or password');
      return user;
    },

    async findById(id) {
      if (typeof id === 'string' && !/^[0-9a-f]{24}$/i.test(id)) return null;
      return users.findOne(
        { _id: typeof id === 'string' ? new ObjectId(id) : id },
        { projection: { applied_ops: 0, revoked_tokens: 0 } },
      );
    },

    async adminUpdate(id, changes) {
      const before = await lock.run(id, async () => {
        const found = await users.findOneAndUpdate(
          { _id: id },
          { $set: { ...changes, updated_at: new Date() } },
          { returnDocument: 'before' },
        );
        // Still under the lock, after the write: a miss submit reads the plan from here.
        if (found && changes.plan) await plans.write(id, changes.plan);
        return found;
      });
      if (!before) throw new NotFoundError('User');
      // An absolute balance set by an admin still shows in the ledger as the difference it made.
      if (changes.credits !== undefined && changes.credits !== before.credits) {
        await ledger.insertOne({
          _id: `admin:${new ObjectId().toHexString()}`,
          user_id: id,
          delta: changes.credits - before.credits,
          reason: 'admin_adjustment',
          job_id: null,
          created_at: new Date(),
        });
      }
      return { ...before, ...changes };
    },

    async verifyPassword(id, password) {
      const user = await users.findOne({ _id: id }, { projection: { password_hash: 1 } });
      return verify(user?.password_hash ?? (await dummyHash), password).then((ok) => ok && user !== null);
    },

    async setPassword(id, password) {
      const password_hash = await hash(password, HASH_OPTIONS);
      const result = await lock.run(id, () =>
        users.updateOne({ _id: id }, { $set: { password_hash, updated_at: new Date() } }),
      );
      if (result.matchedCount === 0) throw new NotFoundError('User');
    },

    async setAdmin(email, isAdmin) {
      const found = await users.findOne({ email_lower: email.trim().toLowerCase() }, { projection: { _id: 1 } });
      if (!found) return null;
      const before = await lock.run(found._id, () =>
        users.findOneAndUpdate(
          { _id: found._id },
          { $set: { is_admin: isAdmin, updated_at: new Date() } },
          { returnDocument: 'before' },
        ),
      );
      if (!before) return null;
      return { user: { ...before, is_admin: isAdmin }, changed: (before.is_admin === true) !== isAdmin };
    },
  };
}
