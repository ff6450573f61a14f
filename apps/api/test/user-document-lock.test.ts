import { ObjectId } from 'mongodb';
import {
  Collections,
  createCreditsLedger,
  createUserDocumentLock,
  createUserPlanMirror,
  type LedgerEntryDocument,
  type UserDocument,
} from '@vectort/shared';
import { createUsersService } from '../src/services/users.service';
import { createTokenRevocations } from '../src/services/token-revocations';
import { startTestApp, type TestApp } from '../../../test/support/test-app';
import { registerUser } from '../../../test/support/users';

// FerretDB v1 rewrites the whole document on every update, so a write of any field of a user's
// document beside a debit can undo the debit unless both take the user's lock.
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp('userlock');
});
afterAll(() => app.close());

async function balanceAndLedger(userId: ObjectId): Promise<{ credits: number; ledgerSum: number }> {
  const user = await app.db.collection<UserDocument>(Collections.users).findOne({ _id: userId });
  const entries = await app.db
    .collection<LedgerEntryDocument>(Collections.creditLedger)
    .find({ user_id: userId })
    .toArray();
  return { credits: user?.credits ?? NaN, ledgerSum: entries.reduce((sum, e) => sum + e.delta, 0) };
}

it('debits beside admin plan changes, logouts and password changes all stay in the balance', async () => {
  const registered = await registerUser(app.baseUrl, 'locked');
  const userId = new ObjectId(registered.id);
  const lock = createUserDocumentLock(app.redis, app.config.redisKeyPrefix);
  const users = createUsersService(app.db, lock, createUserPlanMirror(app.redis, app.config.redisKeyPrefix));
  const revocations = createTokenRevocations({
    db: app.db,
    redis: app.redis,
    keyPrefix: app.config.redisKeyPrefix,
    ttlSeconds: 3600,
    lock,
  });
  const ledger = createCreditsLedger({ db: app.db, redis: app.redis, keyPrefix: app.config.redisKeyPrefix });
  await users.adminUpdate(userId, { credits: 100 });

  // The debits queue on the ledger's lock; three other writers keep writing while they run.
  let debitsDone = false;
  const debits = Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      ledger.apply({ userId, key: `test:debit:${i}`, delta: -1, reason: 'generation' }),
    ),
  ).finally(() => (debitsDone = true));
  let writes = 0;
  const writer = async (write: (n: number) => Promise<unknown>) => {
    // A pause between writes leaves the debits their turns at the lock (it is not fair).
    while (!debitsDone) {
      await write(writes++);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const now = Date.now();
  await Promise.all([
    writer((n) => users.adminUpdate(userId, { plan: n % 2 ? 'pro' : 'free' })),
    writer((n) =>
      revocations.revokeToken({
        userId: registered.id,
        userObjectId: userId,
        jti: `jti-${n}`,
        issuedAtMs: now,
        expiresAtMs: now + 60_000,
      }),
    ),
    writer((n) => users.setPassword(userId, `new-password-${n}`)),
  ]);
  const results = await debits;

  expect(results.filter((r) => r === 'applied')).toHaveLength(20);
  expect(writes).toBeGreaterThan(3);
  expect(await balanceAndLedger(userId)).toEqual({ credits: 80, ledgerSum: 80 });
}, 60_000);
