import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import { ObjectId } from 'mongodb';
import {
  fileChanges,
  lineageOf,
  withFiles,
  type CachedOutput,
  type EditJobPayload,
  type GeneratedFile,
  type GenerationDocument,
  type GenerationLineage,
} from '@vectort/shared';
import { mergeEdit } from '../llm/edit-merge';
import {
  modelCallOptions,
  runGenerationJob,
  type GenerationJobDeps,
  type JobRun,
  type Outcome,
} from './generation-job';
import { isOwnOutput } from './generate-settlement';
import { produceOnce } from './single-flight';

export type EditProcessorDeps = GenerationJobDeps;

/**
 * Runs an `edit` job: the parent's next version, from the cache when the same edit of identical
 * code is there, else from the model's changes merged into the parent's files. It shares the
 * generate job's single flight, store, credits and record (generation-job.ts); only the model
 * call and the lineage of what it stores are its own.
 */
export function createEditProcessor(deps: EditProcessorDeps): Processor<EditJobPayload> {
  async function parentOf(p: EditJobPayload): Promise<GenerationDocument> {
    const parent = await deps.store.findById(new ObjectId(p.parent_id));
    // Checked at submit; gone since only if its project was deleted, when no retry can help.
    if (!parent) throw new UnrecoverableError('The generation to edit no longer exists');
    return parent;
  }

  function lineage(p: EditJobPayload, parent: GenerationDocument, files: GeneratedFile[]): GenerationLineage {
    return {
      version: lineageOf(parent).version + 1,
      parent_id: parent._id,
      instruction: p.instruction,
      changes: fileChanges(parent.files, files),
    };
  }

  function newVersion(p: EditJobPayload, jobId: ObjectId, output: CachedOutput, parent: GenerationDocument) {
    return {
      id: jobId,
      userId: new ObjectId(p.user_id),
      projectId: new ObjectId(p.project_id),
      jobId,
      description: p.description,
      cacheKey: p.cache_key,
      output,
      lineage: lineage(p, parent, output.files),
    };
  }

  async function fromCache(
    p: EditJobPayload,
    jobId: ObjectId,
    parent: GenerationDocument,
    output: CachedOutput,
    started: number,
  ): Promise<Outcome> {
    const copy = await deps.store.ensureProjectCopy({
      ...newVersion(p, jobId, output, parent),
      cached: true,
      costUsd: 0,
      durationSeconds: (performance.now() - started) / 1000,
    });
    // Output this job's own earlier attempt produced is a miss, never a free hit (issue 16).
    return { generation: withFiles(copy, output), fromCache: !isOwnOutput(output, p.job_id) };
  }

  async function callModel(
    p: EditJobPayload,
    jobId: ObjectId,
    parent: GenerationDocument,
    started: number,
    run: JobRun,
    holdsLease: boolean,
  ): Promise<Outcome> {
    const call = await modelCallOptions(deps, p, jobId, run, holdsLease);
    const answer = await deps.provider
      .edit(
        {
          description: p.description,
          framework: p.framework,
          type: p.type,
          files: parent.files,
          instruction: p.instruction,
        },
        call.options,
      )
      .finally(call.settled);
    const merged = mergeEdit(parent, answer);
    const output: CachedOutput = {
      files: merged.files,
      entrypoint: merged.entrypoint,
      instructions: merged.instructions,
      model: answer.model,
      provider: answer.provider,
      usage: answer.usage,
      framework: p.framework,
      type: p.type,
      source_generation_id: p.job_id,
    };
    // The submit looked the edit up in MongoDB's tier and found nothing (edits are never forced).
    const copy = await deps.store.save(
      {
        ...newVersion(p, jobId, output, parent),
        cached: false,
        costUsd: answer.cost_usd,
        durationSeconds: (performance.now() - started) / 1000,
      },
      { newKey: true },
    );
    return { generation: withFiles(copy, output), fromCache: false };
  }

  return (job: Job<EditJobPayload>) => {
    const p = job.data;
    return runGenerationJob(deps, job, {
      kind: 'edit',
      parentId: p.parent_id,
      startFields: { framework: p.framework, type: p.type },
      answerFromCache: async (output, jobId, started) => fromCache(p, jobId, await parentOf(p), output, started),
      produce: async (jobId, started, run) => {
        const parent = await parentOf(p);
        return produceOnce(
          deps,
          p,
          run,
          (output) => fromCache(p, jobId, parent, output, started),
          (holdsLease) => callModel(p, jobId, parent, started, run, holdsLease),
        );
      },
    });
  };
}
