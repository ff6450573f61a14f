import type { Redis } from 'ioredis';
import { jobEventsChannel } from './job-events';

/**
 * A job's events as one capped Redis Stream: status changes and `file` deltas, in the order
 * they happened. The entry id is the SSE `id:`, so any API replica can resume a client from
 * `Last-Event-ID`. The files written so far live beside it (one string per file, appended to,
 * and a hash of their paths) while the job runs, for the `replace` replay of a reconnecting client.
 */

/** Entries kept per job stream (approximate trim). A client further behind gets the replay instead. */
export const JOB_STREAM_MAX_LEN = 2000;
/** How long a running job's stream and partial files stay without a write (a worker that died). */
export const JOB_STREAM_TTL_MS = 3_600_000;
/** How long an ended job's stream stays, so watchers still read its last status entry. */
export const ENDED_STREAM_TTL_MS = 60_000;

export function jobStreamKey(keyPrefix: string, jobId: string): string {
  return `${keyPrefix}:jobstream:${jobId}`;
}
function liveMetaKey(keyPrefix: string, jobId: string): string {
  return `${keyPrefix}:livefiles:${jobId}`;
}
/** The partial text of file number `index` is at this key plus the index. */
function liveFileBase(keyPrefix: string, jobId: string): string {
  return `${keyPrefix}:livefile:${jobId}:`;
}

/** A `file` event's data (API.md, "Live output"). */
export interface FileEventData {
  path: string;
  text: string;
  done: boolean;
  replace?: boolean;
}

/** One stream entry: a status view or a {@link FileEventData}, as JSON. */
export interface JobStreamEntry {
  id: string;
  type: 'status' | 'file';
  data: string;
}

/**
 * Stores a job's status view, appends it to the job's stream (with the stream's expiry), clears
 * the partial files when the job ended, and announces the change: one atomic step. A view never
 * replaces an ended one of another status, so a late progress write (a worker that has not yet
 * seen a cancel) cannot reopen a job. With KEYS[4], the job's cancel flag, it also says whether
 * a cancel was requested, so the writes a worker makes anyway double as its cancel checks.
 * Returns {written (0|1), cancel flag (0|1)}.
 */
const PUT_STATUS = `
local cancel = 0
if KEYS[4] then cancel = redis.call('EXISTS', KEYS[4]) end
local old = redis.call('GET', KEYS[1])
if old then
  local ok, cached = pcall(cjson.decode, old)
  local s = ok and type(cached) == 'table' and type(cached.view) == 'table' and cached.view.status or nil
  if (s == 'completed' or s == 'failed' or s == 'cancelled') and s ~= ARGV[3] then return {0, cancel} end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'status', ARGV[2])
local ended = ARGV[3] == 'completed' or ARGV[3] == 'failed' or ARGV[3] == 'cancelled'
redis.call('PEXPIRE', KEYS[2], ended and ARGV[5] or ARGV[7])
if ended then
  for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do redis.call('DEL', ARGV[10] .. f) end
  redis.call('DEL', KEYS[3])
end
redis.call('PUBLISH', ARGV[8], ARGV[9])
return {1, cancel}`;

/** What a status write found: whether it was stored, and whether the job's cancel flag is up. */
export interface StatusWriteResult {
  written: boolean;
  cancelRequested: boolean;
}

/**
 * One status write, ready to run alone ({@link putJobStatus}) or inside another round trip
 * (a {@link LiveFilesWriter} flush): the EVAL's arguments, and who wants its reply.
 */
export interface StatusWrite {
  args: [string, number, ...(string | number)[]];
  onResult?: (result: StatusWriteResult) => void;
}

export function jobStatusWrite(
  keyPrefix: string,
  viewKey: string,
  view: { job_id: string; status: string },
  cachedJson: string,
  viewTtlSeconds: number,
  opts: { cancelKey?: string; onResult?: (result: StatusWriteResult) => void } = {},
): StatusWrite {
  const id = view.job_id;
  const keys = [viewKey, jobStreamKey(keyPrefix, id), liveMetaKey(keyPrefix, id)];
  if (opts.cancelKey) keys.push(opts.cancelKey);
  return {
    args: [
      PUT_STATUS,
      keys.length,
      ...keys,
      cachedJson,
      JSON.stringify(view),
      view.status,
      viewTtlSeconds,
      ENDED_STREAM_TTL_MS,
      JOB_STREAM_MAX_LEN,
      JOB_STREAM_TTL_MS,
      jobEventsChannel(keyPrefix),
      id,
      liveFileBase(keyPrefix, id),
    ],
    onResult: opts.onResult,
  };
}

/** The reply of a status write's EVAL, handed to its `onResult`. */
export function statusResult(write: StatusWrite, reply: unknown): StatusWriteResult {
  const [written, cancel] = Array.isArray(reply) ? (reply as number[]) : [0, 0];
  const result = { written: written === 1, cancelRequested: cancel === 1 };
  write.onResult?.(result);
  return result;
}

export async function putJobStatus(redis: Redis, write: StatusWrite): Promise<StatusWriteResult> {
  return statusResult(write, await redis.eval(...write.args));
}

const CLEAR_FILES = `
local fields = redis.call('HKEYS', KEYS[1])
for _, f in ipairs(fields) do redis.call('DEL', ARGV[1] .. f) end
redis.call('DEL', KEYS[1])
return #fields`;

/**
 * The last entry id, the job's status view as cached, and every file written so far, read in
 * one atomic step: the snapshot holds exactly the deltas up to that id, so live events resume
 * after it without a gap or a repeat.
 */
const SNAPSHOT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local id = '0-0'
if last[1] then id = last[1][1] end
local out = {id, redis.call('GET', KEYS[3]) or ''}
local meta = redis.call('HGETALL', KEYS[2])
for i = 1, #meta, 2 do
  out[#out + 1] = meta[i + 1]
  out[#out + 1] = redis.call('GET', ARGV[1] .. meta[i]) or ''
end
return out`;

export interface JobSnapshot {
  /** The stream's last entry id ("0-0" for an empty stream). */
  lastId: string;
  /** The raw job view cache entry, or null. */
  viewRaw: string | null;
  /** Files written so far, in the order they were started. */
  files: { path: string; text: string; done: boolean; index: number }[];
}

export async function readJobSnapshot(redis: Redis, keyPrefix: string, jobId: string): Promise<JobSnapshot> {
  const out = (await redis.eval(
    SNAPSHOT,
    3,
    jobStreamKey(keyPrefix, jobId),
    liveMetaKey(keyPrefix, jobId),
    `${keyPrefix}:job:${jobId}`,
    liveFileBase(keyPrefix, jobId),
  )) as string[];
  const files: JobSnapshot['files'] = [];
  for (let i = 2; i + 1 < out.length; i += 2) {
    const meta = JSON.parse(out[i]!) as { path: string; done: boolean; index: number };
    files.push({ ...meta, text: out[i + 1]! });
  }
  files.sort((a, b) => a.index - b.index);
  return { lastId: out[0]!, viewRaw: out[1] === '' ? null : out[1]!, files };
}

/** Entries after `afterId` (exclusive), oldest first, at most `count`. */
export async function readJobStream(
  redis: Redis,
  keyPrefix: string,
  jobId: string,
  afterId: string,
  count = 500,
): Promise<JobStreamEntry[]> {
  const raw = (await redis.xrange(jobStreamKey(keyPrefix, jobId), `(${afterId}`, '+', 'COUNT', count)) as [
    string,
    string[],
  ][];
  return raw.map(([id, fields]) => ({ id, type: fields[0] as JobStreamEntry['type'], data: fields[1] ?? '' }));
}

/** Writes one job's file deltas: the worker side of live output. */
export interface LiveFilesWriter {
  /** Appends `text` to `path` (and marks it done); coalesced and written within `flushMs`. */
  write(path: string, text: string, done: boolean): void;
  /**
   * Sends `write` (the job's progress) with the next flush, within `flushMs`, in the same round
   * trip as the file deltas; a later status replaces one not yet sent.
   */
  status(write: StatusWrite): void;
  /** Writes what is pending now. */
  flush(): Promise<void>;
  /** Forgets the files of an earlier attempt: the next event of each path carries `replace: true`. */
  reset(): Promise<void>;
}

/**
 * Coalesces deltas per path for `flushMs` (the contract allows 1 s from model to client; fewer,
 * larger events keep the fan-out to many clients cheap), then
 * writes them in one MULTI: APPEND to each file's text, its entry in the paths hash, one XADD per
 * path, the pending status (progress) if any, and a PUBLISH that wakes the API's watchers (the
 * status write's own, when there is one).
 */
export function createLiveFilesWriter(redis: Redis, keyPrefix: string, jobId: string, flushMs = 200): LiveFilesWriter {
  const stream = jobStreamKey(keyPrefix, jobId);
  const meta = liveMetaKey(keyPrefix, jobId);
  const base = liveFileBase(keyPrefix, jobId);
  const indexOf = new Map<string, number>();
  const pending = new Map<string, { text: string; done: boolean }>();
  let pendingStatus: StatusWrite | null = null;
  let timer: NodeJS.Timeout | null = null;
  let writing = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.size === 0 && !pendingStatus) return writing;
    const batch = [...pending];
    const status = pendingStatus;
    pending.clear();
    pendingStatus = null;
    const multi = redis.multi();
    for (const [path, { text, done }] of batch) {
      let index = indexOf.get(path);
      const first = index === undefined;
      if (index === undefined) indexOf.set(path, (index = indexOf.size));
      const event: FileEventData = { path, text, done, ...(first ? { replace: true } : {}) };
      multi.append(base + index, text).pexpire(base + index, JOB_STREAM_TTL_MS);
      multi.hset(meta, String(index), JSON.stringify({ path, done, index }));
      multi.xadd(stream, 'MAXLEN', '~', JOB_STREAM_MAX_LEN, '*', 'file', JSON.stringify(event));
    }
    if (batch.length) multi.pexpire(meta, JOB_STREAM_TTL_MS).pexpire(stream, JOB_STREAM_TTL_MS);
    // Its reply's place among the replies: four commands per path, then the two expiries.
    const statusAt = batch.length ? batch.length * 4 + 2 : 0;
    if (status) multi.eval(...status.args);
    else multi.publish(jobEventsChannel(keyPrefix), jobId);
    // Best effort and in order: live output is a view; the stored generation is what counts.
    writing = writing
      .then(() => multi.exec())
      .then((replies) => {
        if (status && replies) statusResult(status, replies[statusAt]?.[1]);
      })
      .catch(() => undefined);
    return writing;
  };

  const schedule = () => {
    timer ??= setTimeout(() => void flush(), flushMs);
  };

  return {
    write(path, text, done) {
      const entry = pending.get(path);
      if (entry) {
        entry.text += text;
        entry.done ||= done;
      } else pending.set(path, { text, done });
      schedule();
    },
    status(write) {
      pendingStatus = write;
      schedule();
    },
    flush,
    async reset() {
      pending.clear();
      pendingStatus = null;
      if (timer) clearTimeout(timer);
      timer = null;
      indexOf.clear();
      await writing;
      await redis.eval(CLEAR_FILES, 1, meta, base).catch(() => undefined);
    },
  };
}
