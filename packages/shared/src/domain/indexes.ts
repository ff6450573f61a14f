import type { Db } from 'mongodb';
import { Collections } from './collections';

/**
 * Creates the indexes both processes rely on. Idempotent; called at start by each process.
 * No TTL indexes: short-lived records live in Redis (DESIGN.md).
 */
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection(Collections.users).createIndex({ email_lower: 1 }, { unique: true, name: 'email_lower_unique' }),
    db.collection(Collections.projects).createIndex({ user_id: 1, _id: -1 }, { name: 'user_projects' }),
  ]);
}
