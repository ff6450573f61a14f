// `npm run admin -- grant|revoke <email>` (scripts/admin.mjs runs this file): the one way to
// make or unmake an admin. It reads the same configuration as the API (environment, then
// `.env`) and changes the stored flag in MongoDB, so it works while the API runs: the API reads
// the flag from the user's document on each admin request. It takes the user's document lock in
// Redis, as every writer of that document does (a running API's debits must not be undone).
import {
  createMongo,
  createRedis,
  createUserDocumentLock,
  createUserPlanMirror,
  loadConfig,
  loadDotenv,
  redact,
  waitForRedis,
} from '@vectort/shared';
import { createUsersService } from '../services/users.service';

/** Exit codes: 0 done (or already so), 1 unknown email or failure, 64 bad usage (as sysexits). */
const USAGE = 'usage: npm run admin -- grant|revoke <email>';

async function main(argv: string[]): Promise<number> {
  const [action, email, ...rest] = argv;
  if ((action !== 'grant' && action !== 'revoke') || !email || rest.length) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  loadDotenv();
  const config = loadConfig();
  const mongo = await createMongo({ mongoUrl: config.mongoUrl, maxConcurrentWrites: config.mongoMaxConcurrentWrites });
  const redis = createRedis({ redisUrl: config.redisUrl, role: 'request', connectionName: 'vectort-admin-cli' });
  try {
    await waitForRedis(redis);
    const lock = createUserDocumentLock(redis, config.redisKeyPrefix);
    const result = await createUsersService(
      mongo.db,
      lock,
      createUserPlanMirror(redis, config.redisKeyPrefix),
    ).setAdmin(email, action === 'grant');
    if (!result) {
      process.stderr.write(`admin: no account with email ${email}; nothing changed\n`);
      return 1;
    }
    const who = `${result.user.email} (user ${result.user._id.toHexString()})`;
    const now = action === 'grant' ? 'is an admin' : 'is not an admin';
    process.stdout.write(
      result.changed
        ? `admin: ${who} ${now} now (is_admin: ${String(action !== 'grant')} -> ${String(action === 'grant')})\n`
        : `admin: ${who} already ${now}; nothing changed\n`,
    );
    return 0;
  } finally {
    redis.disconnect();
    await mongo.client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A driver error may quote MONGO_URL, password included.
    process.stderr.write(`admin: ${String(redact(err instanceof Error ? err.message : String(err)))}\n`);
    process.exit(1);
  },
);
