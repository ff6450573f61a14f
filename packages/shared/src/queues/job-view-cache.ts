import type { Redis } from 'ioredis';
import { jobEventsChannel } from './job-events';
import { isFinished, type JobView } from '../domain/job';

/** How long a job's status stays in Redis; MongoDB keeps it for good. */
const JOB_VIEW_TTL_SECONDS = 24 * 3600;
/** An unfinished view older than this is not trusted: the reader asks MongoDB instead. */
const UNFINISHED_TRUST_MS = 30_000;

interface Cached {
  view: JobView;
  user_id: string;
  at: number;
}

export interface JobViewCache {
  /** Stores the job's status object and announces the change, in one round trip. */
  put(view: JobView, userId: string): Promise<void>;
  /**
   * The user's job status from Redis, or null when MongoDB should answer: unknown, another
   * user's, or an unfinished view too old to trust (a write that failed after MongoDB's).
   */
  get(jobId: string, userId: string): Promise<JobView | null>;
  /**
   * {@link get}, reading `alsoRead` keys in the same MGET (the API's revocation check); when
   * Redis fails, the view and every extra value are null.
   */
  read(jobId: string, userId: string, alsoRead: string[]): Promise<{ view: JobView | null; also: (string | null)[] }>;
}

/**
 * Job status objects kept in Redis next to their durable record, so clients polling jobs (the
 * busiest read of the API) do not reach MongoDB. Writers update MongoDB first, then this.
 */
function trusted(raw: string | null, userId: string): JobView | null {
  if (!raw) return null;
  const cached = JSON.parse(raw) as Cached;
  if (cached.user_id !== userId) return null;
  if (!isFinished(cached.view.status) && Date.now() - cached.at > UNFINISHED_TRUST_MS) return null;
  return cached.view;
}

export function createJobViewCache(redis: Redis, keyPrefix: string): JobViewCache {
  const key = (id: string) => `${keyPrefix}:job:${id}`;
  const cache: JobViewCache = {
    async put(view, userId) {
      const value: Cached = { view, user_id: userId, at: Date.now() };
      await redis
        .multi()
        .set(key(view.job_id), JSON.stringify(value), 'EX', JOB_VIEW_TTL_SECONDS)
        .publish(jobEventsChannel(keyPrefix), view.job_id)
        .exec()
        .catch(() => undefined);
    },
    async get(jobId, userId) {
      return (await cache.read(jobId, userId, [])).view;
    },
    async read(jobId, userId, alsoRead) {
      const [raw = null, ...also] = await redis
        .mget(key(jobId), ...alsoRead)
        .catch(() => [null, ...alsoRead.map(() => null)]);
      return { view: trusted(raw, userId), also };
    },
  };
  return cache;
}
