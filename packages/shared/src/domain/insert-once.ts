import { MongoServerError, type Collection, type OptionalUnlessRequiredId } from 'mongodb';

/**
 * Inserts `doc` unless its `_id` exists; true when inserted. Plain inserts, not upserts: they
 * are point writes everywhere, where FerretDB runs an upsert as a scan.
 */
export async function insertOnce<T extends { _id: unknown }>(collection: Collection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc as OptionalUnlessRequiredId<T>);
    return true;
  } catch (err) {
    if (err instanceof MongoServerError && err.code === 11000) return false;
    throw err;
  }
}
