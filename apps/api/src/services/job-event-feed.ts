import type { Response } from 'express';
import type { Redis } from 'ioredis';
import type { ObjectId } from 'mongodb';
import { isFinished, readJobSnapshot, readJobStream, type JobStreamEntry, type JobView } from '@vectort/shared';
import type { JobWatcher } from './job-watcher';
import type { JobsService } from './jobs.service';

/** Event streams send a comment this often so proxies keep the connection open. */
const SSE_HEARTBEAT_MS = 15_000;
/** A stream ends after this long at the latest (API.md); the client reconnects with `Last-Event-ID`. */
export const MAX_STREAM_MS = 15 * 60_000;
/** With no stream entry for this long, the job's status is read again (Redis, MongoDB at worst). */
const QUIET_RECHECK_MS = 30_000;

/** One read of a job's stream, shared by every watcher of that job in this process at that point. */
export type SharedStreamReader = (jobId: string, afterId: string) => Promise<FeedEntry[]>;

/** A stream entry with its status already judged, once for all watchers. */
export interface FeedEntry extends JobStreamEntry {
  ended: boolean;
}

/**
 * Watchers of one job all wake on the same announcement at the same cursor: they share one
 * XRANGE (and one parse) instead of each making its own, so a job watched by many clients costs
 * one Redis read per change.
 */
export function createSharedStreamReader(redis: Redis, keyPrefix: string): SharedStreamReader {
  const inFlight = new Map<string, Promise<FeedEntry[]>>();
  return (jobId, afterId) => {
    const key = `${jobId}|${afterId}`;
    let read = inFlight.get(key);
    if (!read) {
      read = readJobStream(redis, keyPrefix, jobId, afterId)
        .then((entries) =>
          entries.map((e) => ({
            ...e,
            ended: e.type === 'status' && isFinished((JSON.parse(e.data) as JobView).status),
          })),
        )
        .finally(() => inFlight.delete(key));
      inFlight.set(key, read);
    }
    return read;
  };
}

export interface JobEventFeedDeps {
  redis: Redis;
  keyPrefix: string;
  jobs: JobsService;
  watcher: JobWatcher;
  readStream: SharedStreamReader;
  /** @defaultValue {@link MAX_STREAM_MS} */
  maxStreamMs?: number;
}

/**
 * Serves `GET /api/jobs/{id}/events` from the job's Redis Stream, on any replica: the current
 * status, then (while a generation is being written) one `replace` event per file so far, then
 * the stream's entries as workers add them. Woken by the job-change announcement and reading
 * Redis only, so a watched job costs no MongoDB reads while it runs.
 */
export async function serveJobEvents(
  deps: JobEventFeedDeps,
  res: Response,
  userId: ObjectId,
  jobId: ObjectId,
  first: JobView,
): Promise<void> {
  const id = jobId.toHexString();
  res.status(200).set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  const closed = new AbortController();
  res.on('close', () => closed.abort());
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
  const lifetime = setTimeout(() => closed.abort(), deps.maxStreamMs ?? MAX_STREAM_MS);
  let lastStatus = '';
  // Events of one read go out in one write: one syscall per wake, however many entries.
  let out = '';
  const sendStatus = (eventId: string, data: string) => {
    if (data === lastStatus) return;
    lastStatus = data;
    out += `id: ${eventId}\ndata: ${data}\n\n`;
  };
  const sendFile = (eventId: string, data: string) => {
    out += `id: ${eventId}\nevent: file\ndata: ${data}\n\n`;
  };
  const flush = () => {
    if (out !== '') res.write(out);
    out = '';
  };

  try {
    const snapshot = await readJobSnapshot(deps.redis, deps.keyPrefix, id);
    let view = first;
    if (snapshot.viewRaw) {
      const cached = JSON.parse(snapshot.viewRaw) as { view: JobView; user_id: string };
      if (cached.user_id === userId.toHexString()) view = cached.view;
    }
    let cursor = snapshot.lastId;
    sendStatus(cursor, JSON.stringify(view));
    let ended = isFinished(view.status);
    if (!ended) {
      for (const file of snapshot.files)
        sendFile(cursor, JSON.stringify({ path: file.path, text: file.text, done: file.done, replace: true }));
    }
    flush();
    let quietSince = Date.now();
    while (!ended && !closed.signal.aborted) {
      const entries = await deps.readStream(id, cursor);
      for (const entry of entries) {
        cursor = entry.id;
        if (entry.type === 'file') {
          sendFile(entry.id, entry.data);
          continue;
        }
        sendStatus(entry.id, entry.data);
        ended = entry.ended;
        if (ended) break;
      }
      flush();
      if (entries.length > 0) {
        quietSince = Date.now();
        continue;
      }
      if (Date.now() - quietSince > QUIET_RECHECK_MS) {
        // The stream may be gone (Redis restarted, entries expired): ask the job's record.
        quietSince = Date.now();
        const latest = await deps.jobs.getView(userId, jobId, { trustStale: true });
        sendStatus(cursor, JSON.stringify(latest));
        flush();
        ended = isFinished(latest.status);
        continue;
      }
      await deps.watcher.nextChange(id, closed.signal);
    }
  } finally {
    clearInterval(heartbeat);
    clearTimeout(lifetime);
    res.end();
  }
}
