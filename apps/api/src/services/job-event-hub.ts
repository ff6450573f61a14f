import type { Redis } from 'ioredis';
import { isFinished, jobStreamKey, type JobStreamEntry, type JobView } from '@vectort/shared';
import type { JobWatcher } from './job-watcher';

/** Entries read per job and round trip; a feed further behind reads on in its next round. */
const READ_COUNT = 500;
/**
 * Once a job's files are being written, its stream is read at most this often: what its worker
 * writes in between goes out to each of its streams in one socket write. A write costs each
 * stream far more CPU than reading Redis costs all of them (measured by `npm run bench:live`:
 * about 28 µs of API CPU per stream and write, the socket write itself most of it), so the
 * interval is as long as the contract allows: the worker holds a file's deltas for 200 ms, and
 * 200 + 750 ms keeps text within the 1 s from model to client. Until the first file entry (and
 * for a job quiet this long) every announcement is read at once, so the first text is not held
 * back.
 */
export const READ_INTERVAL_MS = 750;
/** Jobs due within this much of a round are read in it, so nearby rounds merge into one. */
const ROUND_SLACK_MS = 50;
/**
 * A watched job with no read for this long is read again even without an announcement (one
 * may have been lost while Redis restarted): one round trip for all such jobs of the process.
 */
const FALLBACK_READ_MS = 1000;

/** A stream entry as every subscriber of its job gets it, judged and framed once for all. */
export interface FeedEntry extends JobStreamEntry {
  /** A status entry of an ended job: the last one a stream sends. */
  ended: boolean;
  /** The entry as one server-sent event (`id:`, `event:` for files, `data:`). */
  frame: string;
}

/** Called with the entries after the subscriber's cursor, oldest first, never empty. */
export type FeedListener = (entries: FeedEntry[]) => void;

export interface JobEventHub {
  /**
   * Delivers the entries of `jobId`'s stream after `cursor` (exclusive) to `listener`, in
   * order and each once, until the returned function is called.
   */
  subscribe(jobId: string, cursor: string, listener: FeedListener): () => void;
  /** Subscriptions open in this process. */
  size(): number;
}

interface Subscriber {
  cursor: string;
  listener: FeedListener;
}

interface Feed {
  jobId: string;
  key: string;
  subscribers: Set<Subscriber>;
  /** An announcement (or a new subscriber) came since the last read started. */
  dirty: boolean;
  reading: boolean;
  readAt: number;
  /** A file entry was read: reads are spaced by {@link READ_INTERVAL_MS} from now on. */
  writing: boolean;
}

/** Orders stream entry ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-');
  const [bm, bs] = b.split('-');
  return Number(am) - Number(bm) || Number(as ?? 0) - Number(bs ?? 0);
}

function toFeedEntry([id, fields]: [string, string[]]): FeedEntry {
  const type = fields[0] as JobStreamEntry['type'];
  const data = fields[1] ?? '';
  if (type === 'file') return { id, type, data, ended: false, frame: `id: ${id}\nevent: file\ndata: ${data}\n\n` };
  const ended = isFinished((JSON.parse(data) as JobView).status);
  return { id, type, data, ended, frame: `id: ${id}\ndata: ${data}\n\n` };
}

/** The earliest cursor of a feed's subscribers: one read serves them all. */
function earliestCursor(subscribers: Subscriber[]): string {
  let from = subscribers[0]!.cursor;
  for (const s of subscribers) if (s.cursor !== from && compareStreamIds(s.cursor, from) < 0) from = s.cursor;
  return from;
}

/** Hands each subscriber (still subscribed) the entries after its own cursor. */
function deliver(feed: Feed, from: string, subscribers: Subscriber[], entries: FeedEntry[]): void {
  for (const sub of subscribers) {
    if (!feed.subscribers.has(sub)) continue;
    let first = 0;
    // Usually every subscriber of a job is at the cursor the read started from.
    if (sub.cursor !== from) {
      while (first < entries.length && compareStreamIds(entries[first]!.id, sub.cursor) <= 0) first++;
      if (first === entries.length) continue;
    }
    sub.cursor = entries[entries.length - 1]!.id;
    sub.listener(first === 0 ? entries : entries.slice(first));
  }
}

/**
 * Every event stream of this API process, on every job, is served by one reader. The workers'
 * job-change announcements (one subscription per process) mark a watched job; the marked jobs
 * are read together, one XREAD over their stream keys, each from the earliest cursor of its
 * subscribers and at most once per {@link READ_INTERVAL_MS}. Each entry is parsed and framed
 * once and handed to every subscriber, so a stream has no Redis read and no timer of its own,
 * and costs one socket write per read of its job that brought news.
 */
export function createJobEventHub(redis: Redis, keyPrefix: string, watcher: JobWatcher): JobEventHub {
  const feeds = new Map<string, Feed>();
  let round: NodeJS.Timeout | null = null;
  let roundAt = Infinity;
  let fallback: NodeJS.Timeout | null = null;

  /** Makes sure a round runs by `at`. */
  const plan = (at: number) => {
    if (round && roundAt <= at) return;
    if (round) clearTimeout(round);
    roundAt = at;
    round = setTimeout(runRound, Math.max(0, at - Date.now()));
    round.unref();
  };
  const dueAt = (feed: Feed) => (feed.writing ? Math.max(Date.now(), feed.readAt + READ_INTERVAL_MS) : Date.now());

  function runRound(): void {
    round = null;
    roundAt = Infinity;
    const now = Date.now();
    const due: Feed[] = [];
    let next = Infinity;
    for (const feed of feeds.values()) {
      if (!feed.dirty || feed.reading) continue;
      const at = feed.writing ? feed.readAt + READ_INTERVAL_MS : now;
      if (at <= now + ROUND_SLACK_MS) due.push(feed);
      else next = Math.min(next, at);
    }
    if (next !== Infinity) plan(next);
    if (due.length > 0) void read(due);
  }

  /** One XREAD for `due`, each feed from the earliest cursor of its subscribers. */
  async function read(due: Feed[]): Promise<void> {
    const batch = due.map((feed) => {
      const subscribers = [...feed.subscribers];
      Object.assign(feed, { dirty: false, reading: true, readAt: Date.now() });
      return { feed, subscribers, from: earliestCursor(subscribers) };
    });
    const reply = (await redis
      .xread('COUNT', READ_COUNT, 'STREAMS', ...batch.map((b) => b.feed.key), ...batch.map((b) => b.from))
      .catch(() => undefined)) as [string, [string, string[]][]][] | null | undefined;
    const byKey = new Map(reply?.map(([key, raw]) => [key, raw]));
    for (const { feed, subscribers, from } of batch) {
      feed.reading = false;
      // A failed read is tried again by the fallback tick, not at once: Redis may be down.
      if (reply === undefined) continue;
      const entries = (byKey.get(feed.key) ?? []).map(toFeedEntry);
      if (entries.length === READ_COUNT) feed.dirty = true;
      feed.writing ||= entries.some((e) => e.type === 'file');
      if (entries.length > 0) deliver(feed, from, subscribers, entries);
      if (feed.dirty && feeds.get(feed.jobId) === feed) plan(dueAt(feed));
    }
  }

  const mark = (feed: Feed) => {
    feed.dirty = true;
    if (!feed.reading) plan(dueAt(feed));
  };
  watcher.listen((jobId) => {
    const feed = feeds.get(jobId);
    if (feed) mark(feed);
  });

  const readQuietFeeds = () => {
    const now = Date.now();
    for (const feed of feeds.values()) if (now - feed.readAt >= FALLBACK_READ_MS) mark(feed);
  };

  return {
    subscribe(jobId, cursor, listener) {
      let feed = feeds.get(jobId);
      if (!feed) {
        const key = jobStreamKey(keyPrefix, jobId);
        feed = { jobId, key, subscribers: new Set(), dirty: false, reading: false, readAt: 0, writing: false };
        feeds.set(jobId, feed);
      }
      const sub: Subscriber = { cursor, listener };
      feed.subscribers.add(sub);
      // Entries may have landed between the caller's snapshot and now.
      mark(feed);
      if (!fallback) {
        fallback = setInterval(readQuietFeeds, FALLBACK_READ_MS);
        fallback.unref();
      }
      const joined = feed;
      return () => {
        joined.subscribers.delete(sub);
        if (joined.subscribers.size > 0 || feeds.get(jobId) !== joined) return;
        feeds.delete(jobId);
        if (feeds.size === 0 && fallback) {
          clearInterval(fallback);
          fallback = null;
        }
      };
    },
    size: () => {
      let n = 0;
      for (const feed of feeds.values()) n += feed.subscribers.size;
      return n;
    },
  };
}
