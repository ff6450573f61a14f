import type { Redis } from 'ioredis';
import { jobStatusWrite, putJobStatus, type StatusWrite, type StatusWriteResult } from './job-stream';
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
  /**
   * Stores the job's status object, appends it to the job's event stream and announces the
   * change, in one round trip; never over an ended job's status (see `putJobStatus`).
   */
  put(view: JobView, userId: string, opts?: StatusWriteOptions): Promise<StatusWriteResult | null>;
  /** {@link put}'s write, to send inside another round trip (a live-output flush). */
  write(view: JobView, userId: string, opts?: StatusWriteOptions): StatusWrite;
  /**
   * The user's job status from Redis, or null when MongoDB should answer: unknown, another
   * user's, or an unfinished view too old to trust (a write that failed after MongoDB's).
   */
  get(jobId: string, userId: string, opts?: ViewReadOptions): Promise<JobView | null>;
  /**
   * {@link get}, reading `alsoRead` keys in the same MGET (the API's revocation check); when
   * Redis fails, the view and every extra value are null.
   */
  read(
    jobId: string,
    userId: string,
    alsoRead: string[],
    opts?: ViewReadOptions,
  ): Promise<{ view: JobView | null; also: (string | null)[] }>;
}

/**
 * Job status objects kept in Redis next to their durable record, so clients polling jobs (the
 * busiest read of the API) do not reach MongoDB. Writers update MongoDB first, then this.
 */
function trusted(raw: string | null, userId: string, trustStale: boolean): JobView | null {
  if (!raw) return null;
  const cached = JSON.parse(raw) as Cached;
  if (cached.user_id !== userId) return null;
  if (!trustStale && !isFinished(cached.view.status) && Date.now() - cached.at > UNFINISHED_TRUST_MS) return null;
  return cached.view;
}

export interface StatusWriteOptions {
  /** The job's cancel flag: the write then also says whether a cancel was requested. */
  cancelKey?: string;
  onResult?: (result: StatusWriteResult) => void;
}

export interface ViewReadOptions {
  /** Take an unfinished copy of any age (watchers, which re-check rarely). */
  trustStale?: boolean;
}

export function createJobViewCache(redis: Redis, keyPrefix: string): JobViewCache {
  const key = (id: string) => `${keyPrefix}:job:${id}`;
  const cache: JobViewCache = {
    write(view, userId, opts = {}) {
      const value: Cached = { view, user_id: userId, at: Date.now() };
      return jobStatusWrite(keyPrefix, key(view.job_id), view, JSON.stringify(value), JOB_VIEW_TTL_SECONDS, opts);
    },
    async put(view, userId, opts) {
      return putJobStatus(redis, cache.write(view, userId, opts)).catch(() => null);
    },
    async get(jobId, userId, opts) {
      return (await cache.read(jobId, userId, [], opts)).view;
    },
    async read(jobId, userId, alsoRead, opts = {}) {
      const [raw = null, ...also] = await redis
        .mget(key(jobId), ...alsoRead)
        .catch(() => [null, ...alsoRead.map(() => null)]);
      return { view: trusted(raw, userId, opts.trustStale === true), also };
    },
  };
  return cache;
}
