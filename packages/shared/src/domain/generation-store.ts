import type { Redis } from 'ioredis';
import { ObjectId, type Db } from 'mongodb';
import { Collections } from './collections';
import type { CachedOutput, GenerationDocument } from './generation';
import type { ProjectDocument } from './project';

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

/**
 * Generations and the two-tier cache in front of them: Redis holds hot entries with a TTL,
 * MongoDB every generation (indexed by cache key). An entry holds output only; which project
 * owns which generation of it is a per-project pointer, so nothing of one user reaches another.
 */
export interface GenerationStore {
  /** The cached output for `key`: Redis first, then MongoDB (refilling Redis). */
  lookup(key: string): Promise<CachedOutput | null>;
  /** The Redis tier alone. */
  lookupHot(key: string): Promise<CachedOutput | null>;
  /** `projectId`'s own generation of this exact output, if it has one. */
  findProjectCopy(projectId: ObjectId, output: CachedOutput, cacheKey: string): Promise<GenerationDocument | null>;
  /** Writes a generation (idempotent on its id), points its project at it, and fills the cache. */
  save(gen: NewGeneration): Promise<GenerationDocument>;
  /** Drops the Redis entry of `key`, so the next lookup reads MongoDB. */
  forget(key: string): Promise<void>;
}

export function createGenerationStore(options: GenerationStoreOptions): GenerationStore {
  const { db, redis, keyPrefix, ttlSeconds } = options;
  const generations = db.collection<GenerationDocument>(Collections.generations);
  const projects = db.collection<ProjectDocument>(Collections.projects);
  const entryKey = (key: string) => `${keyPrefix}:cache:${key}`;
  const pointerKey = (key: string, projectId: ObjectId) => `${keyPrefix}:cache:${key}:project:${projectId.toHexString()}`;

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

  async function lookupHot(key: string): Promise<CachedOutput | null> {
    const hot = await redis.get(entryKey(key));
    return hot ? (JSON.parse(hot) as CachedOutput) : null;
  }

  return {
    lookupHot,
    async lookup(key) {
      const hot = await lookupHot(key);
      if (hot) return hot;
      // Only generations that called the model are sources; copies carry the same output anyway.
      const [latest] = await generations.find({ cache_key: key }).sort({ created_at: -1 }).limit(1).toArray();
      if (!latest) return null;
      const output = outputOf(latest);
      await redis.set(entryKey(key), JSON.stringify(output), 'EX', ttlSeconds);
      return output;
    },

    async findProjectCopy(projectId, output, cacheKey) {
      const pointer = await redis.get(pointerKey(cacheKey, projectId));
      const id = pointer && ObjectId.isValid(pointer) ? new ObjectId(pointer) : null;
      const doc = id
        ? await generations.findOne({ _id: id, project_id: projectId })
        : await generations.findOne(
            { project_id: projectId, cache_key: cacheKey, source_generation_id: output.source_generation_id },
            { sort: { created_at: -1 } },
          );
      if (!doc || doc.source_generation_id !== output.source_generation_id) return null;
      if (!id) await redis.set(pointerKey(cacheKey, projectId), doc._id.toHexString(), 'EX', ttlSeconds);
      return doc;
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
      // Upsert on the id: a job that runs twice (stalled, retried) keeps its first document.
      const { upsertedCount } = await generations.updateOne({ _id: doc._id }, { $setOnInsert: doc }, { upsert: true });
      const saved = upsertedCount ? doc : ((await generations.findOne({ _id: doc._id })) ?? doc);
      await projects.updateOne(
        { _id: gen.projectId },
        { $set: { latest_generation_id: saved._id, updated_at: new Date() } },
      );
      await redis
        .multi()
        .set(entryKey(gen.cacheKey), JSON.stringify(outputOf(saved)), 'EX', ttlSeconds)
        .set(pointerKey(gen.cacheKey, gen.projectId), saved._id.toHexString(), 'EX', ttlSeconds)
        .exec();
      return saved;
    },

    async forget(key) {
      await redis.del(entryKey(key));
    },
  };
}
