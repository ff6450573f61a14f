import type { Job, Processor } from 'bullmq';
import { ObjectId } from 'mongodb';
import { withFiles, type CachedOutput, type GenerateJobPayload } from '@vectort/shared';
import {
  modelCallOptions,
  runGenerationJob,
  type GenerationJobDeps,
  type JobRun,
  type Outcome,
} from './generation-job';
import { isOwnOutput } from './generate-settlement';
import { produceOnce } from './single-flight';

export type GenerateProcessorDeps = GenerationJobDeps;

/**
 * Runs a `generate` job: answer from the cache when another job has filled it, else call the
 * model under a single-flight lease, store the generation, fill the cache, settle credits
 * (the steps it shares with edits are in generation-job.ts).
 */
export function createGenerateProcessor(deps: GenerateProcessorDeps): Processor<GenerateJobPayload> {
  async function fromCache(p: GenerationPayloadIds, output: CachedOutput, started: number): Promise<Outcome> {
    const projectId = new ObjectId(p.project_id);
    const copy = await deps.store.ensureProjectCopy({
      id: new ObjectId(p.job_id),
      userId: new ObjectId(p.user_id),
      projectId,
      jobId: new ObjectId(p.job_id),
      description: p.description,
      cacheKey: p.cache_key,
      output,
      cached: true,
      costUsd: 0,
      durationSeconds: (performance.now() - started) / 1000,
    });
    // Output this job's own earlier attempt produced is a miss, never a free hit (issue 16).
    return { generation: withFiles(copy, output), fromCache: !isOwnOutput(output, p.job_id) };
  }

  async function callModel(
    p: GenerateJobPayload,
    jobId: ObjectId,
    started: number,
    run: JobRun,
    holdsLease: boolean,
  ): Promise<Outcome> {
    const call = await modelCallOptions(deps, p, jobId, run, holdsLease);
    const result = await deps.provider
      .generate({ description: p.description, framework: p.framework, type: p.type }, call.options)
      .finally(call.settled);
    const output: CachedOutput = {
      files: result.files,
      entrypoint: result.entrypoint,
      instructions: result.instructions,
      model: result.model,
      provider: result.provider,
      usage: result.usage,
      framework: p.framework,
      type: p.type,
      source_generation_id: p.job_id,
    };
    const copy = await deps.store.save(
      {
        id: jobId,
        userId: new ObjectId(p.user_id),
        projectId: new ObjectId(p.project_id),
        jobId,
        description: p.description,
        cacheKey: p.cache_key,
        output,
        cached: false,
        costUsd: result.cost_usd,
        durationSeconds: (performance.now() - started) / 1000,
      },
      { newKey: !p.force_regenerate },
    );
    return { generation: withFiles(copy, output), fromCache: false };
  }

  return (job: Job<GenerateJobPayload>) => {
    const p = job.data;
    return runGenerationJob(deps, job, {
      kind: 'generate',
      parentId: null,
      startFields: { framework: p.framework, type: p.type, force_regenerate: p.force_regenerate },
      answerFromCache: (output, _jobId, started) => fromCache(p, output, started),
      produce: (jobId, started, run) =>
        p.force_regenerate
          ? callModel(p, jobId, started, run, false)
          : produceOnce(
              deps,
              p,
              run,
              (output) => fromCache(p, output, started),
              (holdsLease) => callModel(p, jobId, started, run, holdsLease),
            ),
    });
  };
}

type GenerationPayloadIds = Pick<GenerateJobPayload, 'job_id' | 'user_id' | 'project_id' | 'description' | 'cache_key'>;
