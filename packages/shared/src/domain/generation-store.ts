import type { Redis } from 'ioredis';
import type { Db, ObjectId } from 'mongodb';
import { Collections } from './collections';
import { insertOnce } from './insert-once';
import { toGenerationView, type CachedOutput, type GenerationDocument, type GenerationView } from './generation';
import type { ProjectDocument } from './project';
import { withRedisMutex } from './redis-mutex';

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
}

/** A project's own generation of a cached output, as the Redis pointer keeps it (no files). */
export interface ProjectCopy {
  view: GenerationView;
  source_generation_id: string;
}

/** The view with the output's files: what a cache hit answers. */
export function withFiles(copy: ProjectCopy, output: CachedOutput): GenerationView {
  return { ...copy.view, files: output.files };
}

/**
 * Generations and the two-tier cache in front of them: Redis holds hot entries with a TTL,
 * MongoDB every generation (indexed by cache key). An entry holds output only; which project
 * owns which generation of it is a per-project pointer, so nothing of one user reaches another.
 */
export interface GenerationStore {
  /**
   * One Redis round trip: the hot entry for `key`, `projectId`'s pointer to its own copy of it,
   * and the values of `alsoRead` (other keys the caller needs on the same path).
   */
  probe(
    key: string,
    projectId: ObjectId,
    alsoRead?: string[],
  ): Promise<{ output: CachedOutput | null; copy: ProjectCopy | null; also: (string | null)[] }>;
  /** The cached output for `key`: Redis first, then MongoDB (refilling Redis). */
  lookup(key: string): Promise<CachedOutput | null>;
  /** The Redis tier alone. */
  lookupHot(key: string): Promise<CachedOutput | null>;
  /** `projectId`'s own generation of this exact output, if it has one. */
  findProjectCopy(projectId: ObjectId, output: CachedOutput, cacheKey: string): Promise<ProjectCopy | null>;
  /** Writes a generation (idempotent on its id), points its project at it, and fills the cache. */
  save(gen: NewGeneration): Promise<ProjectCopy>;
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
  /** Drops the Redis entry of `key`, so the next lookup reads MongoDB. */
  forget(key: string): Promise<void>;
}

export function createGenerationStore(options: GenerationStoreOptions): GenerationStore {
  const { db, redis, keyPrefix, ttlSeconds } = options;
  const generations = db.collection<GenerationDocument>(Collections.generations);
  const projects = db.collection<ProjectDocument>(Collections.projects);
  const entryKey = (key: string) => `${keyPrefix}:cache:${key}`;
  const pointerKey = (key: string, projectId: ObjectId) =>
    `${keyPrefix}:cache:${key}:project:${projectId.toHexString()}`;

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

  const parse = <T>(raw: string | null | undefined): T | null => (raw ? (JSON.parse(raw) as T) : null);

  /** The MongoDB tier's index: cache key → the generation holding its current output. */
  const cacheEntries = db.collection<CacheEntryDocument>(Collections.cacheEntries);

  async function pointEntryAt(key: string, generationId: ObjectId): Promise<void> {
    const entry = { _id: key, generation_id: generationId, updated_at: new Date() };
    const { matchedCount } = await cacheEntries.updateOne({ _id: key }, { $set: entry });
    if (!matchedCount && !(await insertOnce(cacheEntries, entry))) {
      await cacheEntries.updateOne({ _id: key }, { $set: entry });
    }
  }

  /** After a generation is stored: its project points at it, and the cache answers with it. */
  async function publish(saved: GenerationDocument): Promise<ProjectCopy> {
    const copy = copyOf(saved);
    await Promise.all([
      // A model's output becomes what the key's MongoDB tier answers; copies only point at one.
      saved.source_generation_id === saved._id.toHexString() ? pointEntryAt(saved.cache_key, saved._id) : undefined,
      projects.updateOne(
        { _id: saved.project_id },
        { $set: { latest_generation_id: saved._id, updated_at: new Date() } },
      ),
      redis
        .multi()
        .set(entryKey(saved.cache_key), JSON.stringify(outputOf(saved)), 'EX', ttlSeconds)
        .set(pointerKey(saved.cache_key, saved.project_id), JSON.stringify(copy), 'EX', ttlSeconds)
        .exec(),
    ]);
    return copy;
  }

  async function lookupHot(key: string): Promise<CachedOutput | null> {
    return parse<CachedOutput>(await redis.get(entryKey(key)));
  }

  return {
    async probe(key, projectId, alsoRead = []) {
      const [entry, pointer, ...also] = await redis.mget(entryKey(key), pointerKey(key, projectId), ...alsoRead);
      const output = parse<CachedOutput>(entry);
      const copy = parse<ProjectCopy>(pointer);
      // After a force_regenerate elsewhere the entry holds newer output than this project's copy.
      return { output, copy: output && copy?.source_generation_id === output.source_generation_id ? copy : null, also };
    },

    lookupHot,

    async lookup(key) {
      const hot = await lookupHot(key);
      if (hot) return hot;
      // Two point reads by _id (the one lookup every store answers from an index, FerretDB too).
      const entry = await cacheEntries.findOne({ _id: key });
      const latest = entry && (await generations.findOne({ _id: entry.generation_id }));
      if (!latest) return null;
      const output = outputOf(latest);
      await redis.set(entryKey(key), JSON.stringify(output), 'EX', ttlSeconds);
      return output;
    },

    async findProjectCopy(projectId, output, cacheKey) {
      const pointer = parse<ProjectCopy>(await redis.get(pointerKey(cacheKey, projectId)));
      if (pointer?.source_generation_id === output.source_generation_id) return pointer;
      const doc = await generations.findOne(
        { project_id: projectId, cache_key: cacheKey, source_generation_id: output.source_generation_id },
        { sort: { created_at: -1 }, projection: { files: 0 } },
      );
      if (!doc) return null;
      const copy = copyOf(doc);
      await redis.set(pointerKey(cacheKey, projectId), JSON.stringify(copy), 'EX', ttlSeconds);
      return copy;
    },

    async save(gen) {
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
      };
      // Keyed by its id: a job that runs twice (stalled, retried) keeps its first document.
      const inserted = await insertOnce(generations, doc);
      const saved = inserted ? doc : ((await generations.findOne({ _id: doc._id })) ?? doc);
      return publish(saved);
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

    async forget(key) {
      await redis.del(entryKey(key));
    },
  };
}
