import { MongoServerError, type Db } from 'mongodb';
import { Collections, isFerretDb, type JobDocument, type JobStatus, type Logger } from '@vectort/shared';
import { startPeriodic } from './periodic';

/*
 * Finished job records go `retentionSeconds` after their end, as a TTL index on `finished_at`
 * would remove them. A job's record is what clients poll and what the requeue sweep reads; its
 * generation, debit and refund live in their own collections and stay.
 *
 * On MongoDB that is a TTL index (the server's own monitor deletes, about once a minute). FerretDB
 * v1 has no TTL indexes, so there the worker sweeps: find up to `batchSize` ids of finished jobs
 * older than the cutoff (a scan that stops at the batch: FerretDB pushes no filter but `{_id}`
 * down), then delete them by `_id` alone in one bulk command (point deletes, the shape FerretDB
 * serves from an index). Deleting by `_id` alone is safe because nothing changes a finished job
 * again (`isFinished`). Measured on FerretDB here (2026-12-02, `npm run bench:store`, a loaded
 * 2-core machine): the requeue sweep's `find` over the jobs collection took 77 s at 20,264
 * records and 3.9 ms once they were pruned; pruning all 20,264 took 395 s (about 20 ms per point
 * delete), a one-off: at the default retention a sweep removes one interval's worth. On MongoDB
 * the same `find` uses the `status_updated` index and the collection size does not matter.
 */

const FINISHED: JobStatus[] = ['completed', 'failed', 'cancelled'];
const TTL_INDEX = 'finished_ttl';

export interface PruneOptions {
  db: Db;
  /** A finished job goes this long after it ended. */
  retentionSeconds: number;
  /** @defaultValue now */
  now?: Date;
  /** Jobs found and deleted per round. @defaultValue 500 */
  batchSize?: number;
}

/** Deletes the finished jobs that ended more than `retentionSeconds` ago; returns how many went. */
export async function pruneFinishedJobs(options: PruneOptions): Promise<number> {
  const jobs = options.db.collection<JobDocument>(Collections.jobs);
  const batchSize = options.batchSize ?? 500;
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.retentionSeconds * 1000);
  let pruned = 0;
  for (;;) {
    const batch = await jobs
      .find({ status: { $in: FINISHED }, finished_at: { $lt: cutoff } }, { projection: { _id: 1 }, limit: batchSize })
      .toArray();
    if (batch.length === 0) return pruned;
    const { deletedCount } = await jobs.bulkWrite(
      batch.map((j) => ({ deleteOne: { filter: { _id: j._id } } })),
      { ordered: false },
    );
    pruned += deletedCount;
    if (batch.length < batchSize) return pruned;
  }
}

/**
 * MongoDB's way: a TTL index on `finished_at` (unfinished jobs have none, so they stay). A changed
 * retention is applied to the existing index with `collMod`.
 */
export async function ensureJobTtlIndex(db: Db, retentionSeconds: number): Promise<void> {
  const jobs = db.collection(Collections.jobs);
  try {
    await jobs.createIndex({ finished_at: 1 }, { name: TTL_INDEX, expireAfterSeconds: retentionSeconds });
  } catch (err) {
    // 85 IndexOptionsConflict: the index exists with another expireAfterSeconds.
    if (!(err instanceof MongoServerError && err.code === 85)) throw err;
    await db.command({ collMod: Collections.jobs, index: { name: TTL_INDEX, expireAfterSeconds: retentionSeconds } });
  }
}

export interface JobPruningOptions {
  db: Db;
  logger: Logger;
  retentionSeconds: number;
  /** How often the FerretDB sweep runs. @defaultValue a quarter of the retention, 1 s to 10 min */
  intervalMs?: number;
}

/**
 * Starts pruning finished jobs the way the server allows: the TTL index on MongoDB, the sweep
 * (now and every `intervalMs`) on FerretDB. Resolves a stop function that waits for a sweep in
 * progress.
 */
export async function startJobPruning(options: JobPruningOptions): Promise<() => Promise<void>> {
  const { db, logger, retentionSeconds } = options;
  if (!(await isFerretDb(db))) {
    await ensureJobTtlIndex(db, retentionSeconds);
    logger.info('job_pruning_started', { how: 'ttl_index', retention_seconds: retentionSeconds });
    return async () => undefined;
  }
  const intervalMs = options.intervalMs ?? Math.min(600_000, Math.max(1000, (retentionSeconds * 1000) / 4));
  const stop = startPeriodic(
    () =>
      pruneFinishedJobs({ db, retentionSeconds }).then(
        (pruned) => {
          if (pruned > 0) logger.info('jobs_pruned', { count: pruned, retention_seconds: retentionSeconds });
        },
        (err: unknown) => {
          logger.warn('job_prune_failed', { error: err instanceof Error ? err.message : String(err) });
        },
      ),
    intervalMs,
  );
  logger.info('job_pruning_started', { how: 'sweep', retention_seconds: retentionSeconds, interval_ms: intervalMs });
  return stop;
}
