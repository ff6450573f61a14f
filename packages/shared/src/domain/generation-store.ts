import type { ChainableCommander, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { Db, ObjectId } from 'mongodb';
import { Collections } from './collections';
import { insertOnce } from './insert-once';
import {
  allAdded,
  toGenerationView,
  type CachedOutput,
  type FileChanges,
  type GeneratedFile,
  type GenerationDocument,
  type GenerationLineage,
  type GenerationView,
} from './generation';
import type { ProjectDocument } from './project';
import { withRedisMutex } from './redis-mutex';
import { redisScript } from '../clients/redis-script';
import { createCappedKeyIndex } from './capped-key-index';

/** One row of the cache's MongoDB tier. */
interface CacheEntryDocument {
  /** The cache key. */
  _id: string;
  generation_id: ObjectId;
  updated_at: Date;
}

export interface GenerationStoreOptions {
  db: Db;
  redis: Redis;
  keyPrefix: string;
  /** Lifetime of the Redis tier's entries; MongoDB keeps every generation. */
  ttlSeconds: number;
}

export interface NewGeneration {
  id: ObjectId;
  userId: ObjectId;
  projectId: ObjectId;
  jobId: ObjectId | null;
  description: string;
  cacheKey: string;
  output: CachedOutput;
  cached: boolean;
  costUsd: number;
  durationSeconds: number;
  /** For an edit: its place after the parent. @defaultValue version 1, no parent, every file added */
  lineage?: GenerationLineage;
}

/** A project's own generation of a cached output, as the Redis pointer keeps it (no files). */
export interface ProjectCopy {
  view: GenerationView;
  source_generation_id: string;
}

/** A fixed-window counter the probe increments when the entry is there (a hit), in the same round trip. */
export interface HitCount {
  key: string;
  windowMs: number;
}

/** The counter after this hit, and when its window ends. */
export interface HitTally {
  count: number;
  resetMs: number;
}

/**
 * What the cold-tier index says of a key the probe found no hot entry for: `absent` (MongoDB's
 * tier has no entry for it: a miss, without asking MongoDB), `maybe` (ask MongoDB), `unknown`
 * (the index is not built, or was not asked: ask MongoDB).
 */
export type ColdTierHint = 'absent' | 'maybe' | 'unknown';

/** What {@link GenerationStore.probe} read. */
export interface Probe {
  entry: HotEntry | null;
  /** When `entry` is null: whether MongoDB's tier may hold the key. */
  coldTier: ColdTierHint;
  /** The entry's whole output, parsed when first read. */
  readonly output: CachedOutput | null;
  /** The project's own copy of the entry's output (shared between probes: not to be changed). */
  copy: Readonly<ProjectCopy> | null;
  also: (string | null)[];
  hits?: HitTally;
  /** When `entry` and `copy` are both there (a hit): {@link withFilesJson} of them. */
  hitJson(): [before: string, files: Buffer, after: string] | null;
}

/**
 * Most project pointers kept parsed in each process, by their stored text, with their hits'
 * JSON around the files (about 3 KB each): the most recently read stay.
 */
const MAX_PARSED_POINTERS = 2_000;

/** Most hit-made project pointers one user keeps in Redis (the oldest go; MongoDB still has them). */
export const MAX_COPY_POINTERS_PER_USER = 1000;

/**
 * The cache key index of MongoDB's tier, in Redis: a Bloom filter over every key the tier holds,
 * so a miss is known to be one in the probe's own round trip instead of by asking MongoDB (the
 * miss submit's budget, DESIGN.md: auth + limiter + reserve + enqueue, ≤ 3 MongoDB commands).
 * Bits are only ever set: by every write of a tier entry (in the Redis MULTI that fills the hot
 * entry; a job whose MULTI failed is retried and writes them again), by a cold lookup that finds
 * one, and by the workers' rebuild from the tier itself ({@link GenerationStore.refreshColdIndex}),
 * which then sets the index's own completeness bit, just past the keys' bits: kept in the same
 * Redis key, it goes wherever the bits go, so an index that was lost and then began again from
 * a few writes reads as incomplete, never as a set of "absent" answers. Until it is complete the
 * probe says `unknown` and MongoDB is asked as before. The workers rebuild it once a day as well
 * (adding bits), which mends what no writer could have marked (an entry written by a version
 * before the index, say). A set bit of a deleted entry only costs a MongoDB read. 2^25 bits
 * (4 MiB) and 7 probes: a false "maybe" 1 time in 2,000 at a million keys, 1 in 100 at 3.5
 * million; a false "absent" never, while the index is complete. Redis must not evict it
 * (`maxmemory-policy noeviction`, as the queues need anyway).
 */
const COLD_INDEX_BITS = 2 ** 25;
const COLD_INDEX_PROBES = 7;
/** The bit that says the index holds every key of the tier (set by a rebuild). */
const COLD_INDEX_COMPLETE_BIT = COLD_INDEX_BITS;
/** How often the workers rebuild the index from the tier. */
const COLD_INDEX_REBUILD_SECONDS = 24 * 3600;
/** The rebuild's claim: one worker at a time, taken over if its worker dies. */
const COLD_INDEX_CLAIM_SECONDS = 600;

/** Whether `key` is one the index holds: a SHA-256 hex cache key. */
const isColdIndexKey = (key: string): boolean => /^[0-9a-f]{64}$/.test(key);

/** The index's bit offsets for `key` (a SHA-256 hex cache key); null for any other key. PROBE works them out too. */
export function coldIndexOffsets(key: string): number[] | null {
  if (!isColdIndexKey(key)) return null;
  const offsets: number[] = [];
  for (let i = 0; i < COLD_INDEX_PROBES; i++) offsets.push(parseInt(key.slice(i * 7, i * 7 + 7), 16) % COLD_INDEX_BITS);
  return offsets;
}

/**
 * MGET of the value keys, in one round trip. ARGV[1]: the hit counter's window in ms (0: no
 * counter); ARGV[2]: the index's completeness bit, or 0 when the cold-tier index is not asked.
 * KEYS: the counter (when counting), the index (when asked), then the value keys, the hot entry
 * first (its name ends with the cache key). When the entry exists and a counter is given, INCR
 * of the counter, whose window starts at its first hit; when it does not and the index is asked
 * and complete, whether every bit of the key is set: its offsets are worked out here, as
 * {@link coldIndexOffsets} does, so the request sends none. Returns {count, ttl, cold (0 absent,
 * 1 maybe, 2 unknown), values...}.
 */
const PROBE = redisScript(`
local window = tonumber(ARGV[1])
local first = 1
local counter, index
if window > 0 then counter = KEYS[1]; first = 2 end
if ARGV[2] ~= '0' then index = KEYS[first]; first = first + 1 end
local values = redis.call('MGET', unpack(KEYS, first))
local count, ttl, cold = 0, 0, 2
if values[1] then
  if counter then
    count = redis.call('INCR', counter)
    ttl = redis.call('PTTL', counter)
    if ttl < 0 then
      ttl = window
      redis.call('PEXPIRE', counter, ttl)
    end
  end
elseif index and redis.call('GETBIT', index, ARGV[2]) == 1 then
  cold = 0
  local hex = string.sub(KEYS[first], -64)
  for i = 0, ${COLD_INDEX_PROBES - 1} do
    local offset = tonumber(string.sub(hex, i * 7 + 1, i * 7 + 7), 16) % ${COLD_INDEX_BITS}
    if redis.call('GETBIT', index, offset) == 0 then return {count, ttl, cold, unpack(values)} end
  end
  cold = 1
end
return {count, ttl, cold, unpack(values)}
`);

/** A pointer's text as parsed, and the JSON a hit on it writes around the files (once asked). */
interface ParsedPointer {
  copy: Readonly<ProjectCopy>;
  aroundFiles?: [before: string, after: string];
}

/** The view with the output's files: what a cache hit answers. */
export function withFiles(copy: Readonly<ProjectCopy>, output: CachedOutput): GenerationView {
  // A pointer written before edits existed has no lineage: it is a version 1.
  const v1 = { version: 1, parent_id: null, instruction: null, changes: allAdded(output.files) };
  return { ...v1, ...copy.view, files: output.files };
}

/** A hot entry as the probe reads it: the output's fields but its files, and the files' stored JSON. */
export interface HotEntry {
  meta: Omit<CachedOutput, 'files'>;
  filesJson: Buffer;
}

/**
 * `JSON.stringify(withFiles(copy, output))`, byte for byte, around `filesJson`, the JSON of
 * `output.files` as the entry keeps it: `[before, filesJson, after]`, so a hit copies the files
 * into its answer without parsing and writing them again. They are parsed only for a pointer
 * older than edits, whose changes list every file.
 */
export function withFilesJson(copy: Readonly<ProjectCopy>, filesJson: Buffer): [string, Buffer, string] {
  // withFiles's key order: the version 1 lineage first (the pointer's own values win), files last.
  const v1 = { version: 1, parent_id: null, instruction: null, changes: null as FileChanges | null };
  const stored: Omit<GenerationView, keyof GenerationLineage> & Partial<GenerationView> = copy.view;
  const view = { ...v1, ...stored };
  view.changes ??= allAdded(JSON.parse(filesJson.toString('utf8')) as GeneratedFile[]);
  return [`${JSON.stringify(view).slice(0, -1)},"files":`, filesJson, '}'];
}

// An entry's value is the output's JSON with `files` last, after a newline (JSON allows the
// whitespace and JSON.stringify writes no newline of its own), so a hit finds the files' bytes
// without parsing them, and every JSON reader (Lua's cjson, an older API) still reads it whole.
const FILES_AT = ',"files":\n';
const FILES_AT_BYTES = Buffer.from(FILES_AT);
const CLOSING_BRACE = 0x7d;

function entryValue(output: CachedOutput): string {
  const { files, ...meta } = output;
  return `${JSON.stringify(meta).slice(0, -1)}${FILES_AT}${JSON.stringify(files)}}`;
}

function readEntry(raw: Buffer): HotEntry {
  const at = raw.indexOf(FILES_AT_BYTES);
  if (at < 0 || raw[raw.length - 1] !== CLOSING_BRACE) {
    // Written before files came last: parse it whole, once.
    const { files, ...meta } = JSON.parse(raw.toString('utf8')) as CachedOutput;
    return { meta, filesJson: Buffer.from(JSON.stringify(files)) };
  }
  return {
    meta: JSON.parse(`${raw.toString('utf8', 0, at)}}`) as HotEntry['meta'],
    filesJson: raw.subarray(at + FILES_AT_BYTES.length, raw.length - 1),
  };
}

const outputOfEntry = (entry: HotEntry): CachedOutput => ({
  ...entry.meta,
  files: JSON.parse(entry.filesJson.toString('utf8')) as GeneratedFile[],
});

/**
 * What a probe found. A class rather than an object literal with a getter: a literal with
 * accessors gets a hidden class of its own each time it is made, made in V8's old generation,
 * and that kept each hit's young objects alive through young-generation collections (the
 * finding written at token-revocations.ts's PendingCheck).
 */
class ProbeResult implements Probe {
  readonly copy: Readonly<ProjectCopy> | null;
  private parsedOutput: CachedOutput | null | undefined;

  constructor(
    readonly entry: HotEntry | null,
    private readonly current: ParsedPointer | null,
    readonly also: (string | null)[],
    readonly hits: HitTally | undefined,
    readonly coldTier: ColdTierHint,
  ) {
    this.copy = current?.copy ?? null;
  }

  get output(): CachedOutput | null {
    if (this.parsedOutput === undefined) this.parsedOutput = this.entry && outputOfEntry(this.entry);
    return this.parsedOutput;
  }

  hitJson(): [before: string, files: Buffer, after: string] | null {
    const { entry, current } = this;
    if (!entry || !current) return null;
    if (!current.aroundFiles) {
      const [before, , after] = withFilesJson(current.copy, entry.filesJson);
      current.aroundFiles = [before, after];
    }
    return [current.aroundFiles[0], entry.filesJson, current.aroundFiles[1]];
  }
}

/**
 * Generations and the two-tier cache in front of them: Redis holds hot entries with a TTL,
 * MongoDB every generation (indexed by cache key). An entry holds output only; which project
 * owns which generation of it is a per-project pointer, so nothing of one user reaches another.
 */
export interface GenerationStore {
  /**
   * One Redis round trip: the hot entry for `key`, `projectId`'s pointer to its own copy of it,
   * and the values of `alsoRead` (other keys the caller needs on the same path). The entry
   * comes as read (`entry`, its files unparsed); `output` parses it on first use.
   */
  probe(key: string, projectId: ObjectId, alsoRead?: string[], countHit?: HitCount): Promise<Probe>;
  /**
   * Rebuilds the cold-tier index from MongoDB's tier when it is not complete or a day has passed
   * since its last rebuild (one caller at a time across processes); returns whether this call
   * rebuilt it.
   */
  refreshColdIndex(): Promise<boolean>;
  /** The cached output for `key`: Redis first, then MongoDB (refilling Redis). */
  lookup(key: string): Promise<CachedOutput | null>;
  /** The Redis tier alone. */
  lookupHot(key: string): Promise<CachedOutput | null>;
  /** MongoDB's tier alone (refilling Redis): for a caller whose probe already saw no hot entry. */
  lookupCold(key: string): Promise<CachedOutput | null>;
  /** The Redis key of `key`'s hot entry, for callers that read it in a round trip of their own. */
  hotEntryKey(key: string): string;
  /** A hot entry as read from {@link hotEntryKey}. */
  parseHot(raw: string | null | undefined): CachedOutput | null;
  /** `projectId`'s own generation of this exact output, if it has one. */
  findProjectCopy(projectId: ObjectId, output: CachedOutput, cacheKey: string): Promise<ProjectCopy | null>;
  /**
   * Writes a generation (idempotent on its id), points its project at it, and fills the cache.
   * `newKey`: the submit found no entry for the key in MongoDB's tier (a miss that was not
   * `force_regenerate`), so the tier's index entry is inserted rather than updated first.
   */
  save(gen: NewGeneration, opts?: { newKey?: boolean }): Promise<ProjectCopy>;
  /**
   * The generation stored under `id` (a job's own, written by an earlier attempt), with what
   * `save` does after the insert done again (an attempt may have died before it); null when
   * there is none. One point read when absent.
   */
  reclaim(id: ObjectId): Promise<{ copy: ProjectCopy; output: CachedOutput } | null>;
  /**
   * `projectId`'s copy of a cached output, made from `gen` when it has none. Serialised per
   * project and key, so identical hits arriving together share one generation.
   */
  ensureProjectCopy(gen: NewGeneration): Promise<ProjectCopy>;
  /** A generation by id (one point read), with its files; null when there is none. */
  findById(id: ObjectId): Promise<GenerationDocument | null>;
  /** Drops the Redis entry of `key`, so the next lookup reads MongoDB. */
  forget(key: string): Promise<void>;
  /**
   * Removes from both tiers the entries whose output `projectId`'s own model calls produced
   * (a deleted project's code is served to no one), around `deleteGenerations`, which deletes
   * the project's generations; entries another project's call produced, and other projects'
   * own copies, stay. Returns how many entries went.
   */
  forgetProjectOutputs(projectId: ObjectId, deleteGenerations: () => Promise<unknown>): Promise<number>;
}

/** Deletes the entry KEYS[1] only if it still holds the output of generation ARGV[1]. */
const DELETE_ENTRY_OF = redisScript(`
local raw = redis.call('GET', KEYS[1])
if raw and cjson.decode(raw).source_generation_id == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

export function createGenerationStore(options: GenerationStoreOptions): GenerationStore {
  const { db, redis, keyPrefix, ttlSeconds } = options;
  const generations = db.collection<GenerationDocument>(Collections.generations);
  const projects = db.collection<ProjectDocument>(Collections.projects);
  const entryKey = (key: string) => `${keyPrefix}:cache:${key}`;
  const pointerKey = (key: string, projectId: ObjectId) =>
    `${keyPrefix}:cache:${key}:project:${projectId.toHexString()}`;
  const coldIndexKey = `${keyPrefix}:cache-index:cold`;
  const coldIndexRebuiltKey = `${keyPrefix}:cache-index:cold:rebuilt`;
  const coldIndexClaimKey = `${keyPrefix}:cache-index:cold:rebuilding`;
  /** Queues the index bits of `key` on `batch`. */
  const indexColdKey = (batch: ChainableCommander, key: string) => {
    for (const offset of coldIndexOffsets(key) ?? []) batch.setbit(coldIndexKey, offset, 1);
    return batch;
  };

  function outputOf(g: GenerationDocument): CachedOutput {
    return {
      files: g.files,
      entrypoint: g.entrypoint,
      instructions: g.instructions,
      model: g.model,
      provider: g.provider,
      usage: g.usage,
      framework: g.framework,
      type: g.type,
      source_generation_id: g.source_generation_id,
    };
  }

  function copyOf(g: GenerationDocument): ProjectCopy {
    return { view: toGenerationView(g, { withFiles: false }), source_generation_id: g.source_generation_id };
  }

  // Hits make a copy per new project, and projects cost nothing: cap the pointers per user.
  const copyPointers = createCappedKeyIndex({
    indexKey: (userId) => `${keyPrefix}:keys:copy-pointers:${userId}`,
    cap: MAX_COPY_POINTERS_PER_USER,
    ttlSeconds,
  });
  const trackCopyPointer = (batch: ChainableCommander, gen: GenerationDocument) =>
    gen.cached
      ? copyPointers.queue(batch, gen.user_id.toHexString(), pointerKey(gen.cache_key, gen.project_id))
      : batch;

  const parse = <T>(raw: string | null | undefined): T | null => (raw ? (JSON.parse(raw) as T) : null);

  // Every hit reads its project's pointer, and a pointer's text never changes (a newer
  // generation writes a new text; it names its source, whose files never change either): each
  // text is parsed, and its hit's JSON around the files written, once per process. A parse and
  // a stringify were a twentieth of a hit's CPU time.
  const parsedPointers = new LRUCache<string, ParsedPointer>({ max: MAX_PARSED_POINTERS });
  const parsePointer = (raw: Buffer): ParsedPointer => {
    const text = raw.toString('utf8');
    let parsed = parsedPointers.get(text);
    if (!parsed) {
      const copy = JSON.parse(text) as ProjectCopy;
      Object.freeze(copy.view);
      parsedPointers.set(text, (parsed = { copy: Object.freeze(copy) }));
    }
    return parsed;
  };

  /** The MongoDB tier's index: cache key → the generation holding its current output. */
  const cacheEntries = db.collection<CacheEntryDocument>(Collections.cacheEntries);

  /** One write when the guess is right: insert a new key's entry, update a known key's. */
  async function pointEntryAt(key: string, generationId: ObjectId, newKey: boolean): Promise<void> {
    const entry = { _id: key, generation_id: generationId, updated_at: new Date() };
    if (newKey && (await insertOnce(cacheEntries, entry))) return;
    const { matchedCount } = await cacheEntries.updateOne({ _id: key }, { $set: entry });
    if (!matchedCount && !(await insertOnce(cacheEntries, entry))) {
      await cacheEntries.updateOne({ _id: key }, { $set: entry });
    }
  }

  /** After a generation is stored: its project points at it, and the cache answers with it. */
  async function publish(saved: GenerationDocument, newKey = false): Promise<ProjectCopy> {
    const copy = copyOf(saved);
    // A model's output becomes what the key's MongoDB tier answers; copies only point at one.
    const ownOutput = saved.source_generation_id === saved._id.toHexString();
    const fill = redis
      .multi()
      .set(entryKey(saved.cache_key), entryValue(outputOf(saved)), 'EX', ttlSeconds)
      .set(pointerKey(saved.cache_key, saved.project_id), JSON.stringify(copy), 'EX', ttlSeconds);
    if (ownOutput) indexColdKey(fill, saved.cache_key);
    await Promise.all([
      ownOutput ? pointEntryAt(saved.cache_key, saved._id, newKey) : undefined,
      projects.updateOne(
        { _id: saved.project_id },
        { $set: { latest_generation_id: saved._id, updated_at: new Date() } },
      ),
      trackCopyPointer(fill, saved).exec(),
    ]);
    return copy;
  }

  async function lookupHot(key: string): Promise<CachedOutput | null> {
    return parse<CachedOutput>(await redis.get(entryKey(key)));
  }

  async function lookupCold(key: string): Promise<CachedOutput | null> {
    // Two point reads by _id (the one lookup every store answers from an index, FerretDB too).
    const entry = await cacheEntries.findOne({ _id: key });
    const latest = entry && (await generations.findOne({ _id: entry.generation_id }));
    if (!latest) return null;
    const output = outputOf(latest);
    await indexColdKey(redis.multi().set(entryKey(key), entryValue(output), 'EX', ttlSeconds), key).exec();
    return output;
  }

  return {
    async probe(key, projectId, alsoRead = [], countHit) {
      const keys = [entryKey(key), pointerKey(key, projectId), ...alsoRead];
      const indexed = isColdIndexKey(key);
      // As bytes: a hit copies the entry's files into its answer as they are.
      const reply = (await PROBE.runBuffer(
        redis,
        [...(countHit ? [countHit.key] : []), ...(indexed ? [coldIndexKey] : []), ...keys],
        [countHit?.windowMs ?? 0, indexed ? COLD_INDEX_COMPLETE_BIT : 0],
      )) as [number, number, number, ...(Buffer | null)[]];
      const [count, resetMs, cold, ...read] = reply;
      // One value per key read (missing keys come back as nulls).
      const values = keys.map((_, i) => read[i] ?? null);
      const hits: HitTally | undefined = count > 0 ? { count, resetMs } : undefined;
      const [entryRaw, pointer, ...also] = values;
      const entry = entryRaw ? readEntry(entryRaw) : null;
      const parsed = pointer ? parsePointer(pointer) : null;
      // After a force_regenerate elsewhere the entry holds newer output than this project's copy.
      const current = entry && parsed?.copy.source_generation_id === entry.meta.source_generation_id ? parsed : null;
      const coldTier: ColdTierHint = entry ? 'unknown' : cold === 0 ? 'absent' : cold === 1 ? 'maybe' : 'unknown';
      return new ProbeResult(
        entry,
        current,
        also.map((value) => value?.toString('utf8') ?? null),
        hits,
        coldTier,
      );
    },

    async refreshColdIndex() {
      const [due, complete] = await Promise.all([
        redis.exists(coldIndexRebuiltKey).then((n) => n === 0),
        redis.getbit(coldIndexKey, COLD_INDEX_COMPLETE_BIT).then((bit) => bit === 1),
      ]);
      if (!due && complete) return false;
      if ((await redis.set(coldIndexClaimKey, '1', 'EX', COLD_INDEX_CLAIM_SECONDS, 'NX')) !== 'OK') return false;
      try {
        // Every key the tier holds now; entries written meanwhile set their own bits.
        const cursor = cacheEntries.find({}, { projection: { _id: 1 } }).batchSize(1000);
        const send = async (batch: ChainableCommander) => {
          const failed = ((await batch.exec()) ?? []).find(([err]) => err);
          if (failed) throw failed[0];
        };
        let batch = redis.pipeline();
        let queued = 0;
        for await (const entry of cursor) {
          indexColdKey(batch, entry._id);
          if (++queued % 1000 === 0) {
            await send(batch);
            batch = redis.pipeline();
          }
        }
        await send(
          batch
            .setbit(coldIndexKey, COLD_INDEX_COMPLETE_BIT, 1)
            .set(coldIndexRebuiltKey, String(queued), 'EX', COLD_INDEX_REBUILD_SECONDS),
        );
        return true;
      } finally {
        await redis.del(coldIndexClaimKey);
      }
    },

    lookupHot,
    hotEntryKey: entryKey,
    parseHot: (raw) => parse<CachedOutput>(raw),

    async lookup(key) {
      return (await lookupHot(key)) ?? (await lookupCold(key));
    },

    lookupCold,

    async findProjectCopy(projectId, output, cacheKey) {
      const pointer = parse<ProjectCopy>(await redis.get(pointerKey(cacheKey, projectId)));
      if (pointer?.source_generation_id === output.source_generation_id) return pointer;
      const doc = await generations.findOne(
        { project_id: projectId, cache_key: cacheKey, source_generation_id: output.source_generation_id },
        // The paths stay: a generation stored before edits lists them as its changes.
        { sort: { created_at: -1 }, projection: { 'files.content': 0 } },
      );
      if (!doc) return null;
      const copy = copyOf(doc);
      await redis.set(pointerKey(cacheKey, projectId), JSON.stringify(copy), 'EX', ttlSeconds);
      return copy;
    },

    async save(gen, opts = {}) {
      const doc: GenerationDocument = {
        _id: gen.id,
        user_id: gen.userId,
        project_id: gen.projectId,
        job_id: gen.jobId,
        cache_key: gen.cacheKey,
        description: gen.description,
        cached: gen.cached,
        cost_usd: gen.costUsd,
        duration_seconds: gen.durationSeconds,
        created_at: new Date(),
        ...gen.output,
        ...(gen.lineage ?? { version: 1, parent_id: null, instruction: null, changes: allAdded(gen.output.files) }),
      };
      // Keyed by its id: a job that runs twice (stalled, retried) keeps its first document.
      const inserted = await insertOnce(generations, doc);
      const saved = inserted ? doc : ((await generations.findOne({ _id: doc._id })) ?? doc);
      return publish(saved, opts.newKey === true && inserted);
    },

    async reclaim(id) {
      const saved = await generations.findOne({ _id: id });
      return saved ? { copy: await publish(saved), output: outputOf(saved) } : null;
    },

    async ensureProjectCopy(gen) {
      const lock = `${keyPrefix}:lock:copy:${gen.cacheKey}:${gen.projectId.toHexString()}`;
      return withRedisMutex(redis, lock, async () => {
        return (await this.findProjectCopy(gen.projectId, gen.output, gen.cacheKey)) ?? (await this.save(gen));
      });
    },

    async findById(id) {
      return generations.findOne({ _id: id });
    },

    async forget(key) {
      await redis.del(entryKey(key));
    },

    async forgetProjectOutputs(projectId, deleteGenerations) {
      const own = (
        await generations
          .find({ project_id: projectId }, { projection: { _id: 1, cache_key: 1, source_generation_id: 1 } })
          .toArray()
      ).filter((g) => g.source_generation_id === g._id.toHexString());
      const dropHot = async () => {
        let dropped = 0;
        for (const g of own) {
          dropped += (await DELETE_ENTRY_OF.run(redis, [entryKey(g.cache_key)], [g._id.toHexString()])) as number;
        }
        return dropped;
      };
      let removed = 0;
      // MongoDB's tier first, so no later lookup can refill Redis from it.
      for (const g of own) {
        removed += (await cacheEntries.deleteOne({ _id: g.cache_key, generation_id: g._id })).deletedCount;
      }
      const hot = await dropHot();
      await deleteGenerations();
      // A lookup that read the entry before it went may have refilled Redis meanwhile: once more.
      await dropHot();
      return Math.max(removed, hot);
    },
  };
}
