import { ObjectId } from 'mongodb';
import {
  cacheKey,
  createGenerationStore,
  generatorVersion,
  type CachedOutput,
  type GeneratedFile,
} from '@vectort/shared';
import type { TestApp } from './test-app';

/** ~6 KB of files: what a model's answer looks like, only smaller. */
export const SEED_FILES: GeneratedFile[] = Array.from({ length: 6 }, (_, i) => ({
  path: `src/file-${i}.js`,
  content: `// file ${i}\n${'export const value = "some generated code";\n'.repeat(22)}`,
}));

/**
 * Puts a model's output for `description` (react, web_app) into the shared cache as a worker
 * would after a model call made for `projectId` of `userId`. Returns the cache key.
 */
export async function seedModelOutput(
  app: TestApp,
  owner: { userId: string; projectId: string },
  description: string,
): Promise<string> {
  const key = cacheKey({ description, framework: 'react', type: 'web_app' }, generatorVersion(app.config.llm));
  const id = new ObjectId();
  const output: CachedOutput = {
    files: SEED_FILES,
    entrypoint: 'src/file-0.js',
    instructions: 'npm start',
    model: 'fake-model',
    provider: 'openai',
    usage: { prompt_tokens: 10, completion_tokens: 10 },
    framework: 'react',
    type: 'web_app',
    source_generation_id: id.toHexString(),
  };
  const store = createGenerationStore({
    db: app.db,
    redis: app.redis,
    keyPrefix: app.config.redisKeyPrefix,
    ttlSeconds: 3600,
  });
  await store.save({
    id,
    userId: new ObjectId(owner.userId),
    projectId: new ObjectId(owner.projectId),
    jobId: new ObjectId(),
    description,
    cacheKey: key,
    output,
    cached: false,
    costUsd: 0.01,
    durationSeconds: 1,
  });
  return key;
}
