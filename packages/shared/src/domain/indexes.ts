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
    db.collection(Collections.generations).createIndex({ cache_key: 1, created_at: -1 }, { name: 'cache_key' }),
    db.collection(Collections.generations).createIndex({ project_id: 1, _id: -1 }, { name: 'project_generations' }),
    db.collection(Collections.jobs).createIndex({ status: 1, updated_at: 1 }, { name: 'status_updated' }),
    db.collection(Collections.creditLedger).createIndex({ user_id: 1, created_at: -1 }, { name: 'user_ledger' }),
    db
      .collection(Collections.webhookDeliveries)
      .createIndex({ user_id: 1, created_at: -1 }, { name: 'user_deliveries' }),
    db.collection(Collections.exports).createIndex({ project_id: 1, created_at: -1 }, { name: 'project_exports' }),
    db.collection(Collections.purchases).createIndex({ user_id: 1, created_at: -1 }, { name: 'user_purchases' }),
  ]);
}
