import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import { ObjectId } from 'mongodb';
import {
  withFiles,
  type CachedOutput,
  type CreditsLedger,
  type GenerateJobPayload,
  type GenerationStore,
  type GenerationView,
  type ErrorReporter,
  type JobErrorCode,
  type Logger,
  type Metrics,
} from '@vectort/shared';
import { LlmError } from '../llm/llm-errors';
import type { LlmProvider } from '../llm/llm-provider';
import { beginJob } from './begin-job';
import { createSettler, isOwnOutput, resumeEarlierAttempt, type Outcome } from './generate-settlement';
import type { JobRecord } from './job-record';
import type { LeaseManager } from './llm-lease';

/** How often a waiting job looks for the lease holder's result. */
const FOLLOWER_POLL_MS = 100;

export interface GenerateProcessorDeps {
  provider: LlmProvider;
  store: GenerationStore;
  ledger: CreditsLedger;
  leases: LeaseManager;
  record: JobRecord;
  logger: Logger;
  metrics: Metrics;
  reporter: ErrorReporter;
  /** The configured model, the label of failures that never got an answer. */
  model: string;
  /** A waiter gives up (and the attempt fails as `timeout`) after this long. */
  maxWaitMs: number;
}

function errorCodeOf(err: unknown): JobErrorCode {
  return err instanceof LlmError ? err.code : 'internal';
}

function isRetryable(err: unknown): boolean {
  return err instanceof LlmError ? err.retryable : !(err instanceof UnrecoverableError);
}

/**
 * Runs a `generate` job: resume what an earlier attempt left, else answer from the cache when
 * another job has filled it, else call the model under a single-flight lease, store the
 * generation, fill the cache; then settle credits and end the job. Every write is keyed by the
 * job id, so a redelivered job repeats nothing (the crash windows: generate-settlement.ts).
 */
export function createGenerateProcessor(deps: GenerateProcessorDeps): Processor<GenerateJobPayload> {
  const settle = createSettler(deps.ledger, deps.record);

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

  async function callModel(p: GenerateJobPayload, jobId: ObjectId, started: number): Promise<Outcome> {
    let lastProgress = 10;
    // Progress writes run one after another and are awaited before the job is finished, so
    // none can land after the final state.
    let progressWrites = Promise.resolve();
    const result = await deps.provider
      .generate(
        { description: p.description, framework: p.framework, type: p.type },
        {
          onProgress: (pct) => {
            const progress = 10 + Math.floor(pct * 0.8);
            if (progress - lastProgress < 5) return;
            lastProgress = progress;
            progressWrites = progressWrites.then(() => deps.record.progress(jobId, progress)).catch(() => undefined);
          },
        },
      )
      .finally(() => progressWrites);
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
    const copy = await deps.store.save({
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
    });
    return { generation: withFiles(copy, output), fromCache: false };
  }

  /** The cache, else the lease and the model, else wait for whoever holds the lease. */
  async function produce(p: GenerateJobPayload, jobId: ObjectId, started: number): Promise<Outcome> {
    if (p.force_regenerate) return callModel(p, jobId, started);
    const deadline = Date.now() + deps.maxWaitMs;
    for (;;) {
      // Redis only: the submit already looked in MongoDB, and a job that fills the cache fills Redis.
      const cached = await deps.store.lookupHot(p.cache_key);
      if (cached) return fromCache(p, cached, started);
      const lease = await deps.leases.acquire(p.cache_key, p.job_id);
      if (lease) {
        try {
          // The holder before us may have filled the cache just before releasing.
          const filled = await deps.store.lookupHot(p.cache_key);
          return filled ? await fromCache(p, filled, started) : await callModel(p, jobId, started);
        } finally {
          await lease.release();
        }
      }
      // Another job is calling the model for this key: wait for its result or for its lease to lapse.
      while ((await deps.leases.isHeld(p.cache_key)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, FOLLOWER_POLL_MS));
      }
      if (Date.now() >= deadline) throw new LlmError('timeout', 'Timed out waiting for an identical generation', true);
    }
  }

  function recordCompletion(
    p: GenerateJobPayload,
    view: GenerationView,
    fromCache: boolean,
    submittedAt: number,
  ): void {
    const m = deps.metrics;
    m.generationsTotal.inc({ status: 'completed', model: view.model, framework: p.framework });
    if (fromCache) return;
    m.generationDuration.observe({ model: view.model, framework: p.framework }, (Date.now() - submittedAt) / 1000);
    m.llmCostUsd.inc({ provider: view.provider, model: view.model }, view.cost_usd);
    m.llmTokens.inc({ provider: view.provider, model: view.model, kind: 'prompt' }, view.usage.prompt_tokens);
    m.llmTokens.inc({ provider: view.provider, model: view.model, kind: 'completion' }, view.usage.completion_tokens);
    if (p.reserved_credits > 0) m.creditsConsumed.inc({ plan: p.plan ?? 'unknown' }, p.reserved_credits);
  }

  /** A failed attempt: queued again for the next one, or (the last) refunded and ended as failed. */
  async function failAttempt(job: Job<GenerateJobPayload>, jobId: ObjectId, log: Logger, err: unknown): Promise<never> {
    const p = job.data;
    const attempts = job.opts.attempts ?? 1;
    const final = !isRetryable(err) || job.attemptsMade + 1 >= attempts;
    const code = errorCodeOf(err);
    const message = err instanceof LlmError ? err.message : 'Internal error while generating';
    if (!final) {
      log.warn('generation_attempt_failed', {
        error: code,
        error_message: message,
        attempt: job.attemptsMade + 1,
        provider: deps.provider.name,
      });
      await deps.record.progress(jobId, 0, 'queued');
      throw err;
    }
    await settle.failed(p, jobId, { code, message });
    log.error('generation_failed', {
      error: code,
      error_message: message,
      provider: deps.provider.name,
      cause: err instanceof Error ? err.message : String(err),
    });
    deps.metrics.generationsTotal.inc({ status: 'failed', model: deps.model, framework: p.framework });
    deps.reporter.capture(err, {
      user: { id: p.user_id },
      tags: { project_id: p.project_id, job_id: p.job_id, error_type: code, provider: deps.provider.name },
    });
    throw new UnrecoverableError(message);
  }

  return async (job: Job<GenerateJobPayload>) => {
    const p = job.data;
    const started = performance.now();
    const begun = await beginJob(p, deps.record, deps.logger, 'generation');
    if (!begun) return null;
    const { jobId, log } = begun;
    log.info('generation_started', {
      framework: p.framework,
      type: p.type,
      force_regenerate: p.force_regenerate,
      attempt: job.attemptsMade + 1,
    });
    let outcome: Outcome;
    let resumed: boolean;
    try {
      const earlier = await resumeEarlierAttempt(
        { store: deps.store, ledger: deps.ledger, answerFromCache: (output) => fromCache(p, output, started) },
        p.job_id,
        jobId,
        p.cache_key,
      );
      resumed = earlier !== null;
      outcome = earlier ?? (await produce(p, jobId, started));
    } catch (err) {
      return failAttempt(job, jobId, log, err);
    }
    // Outside the try: the work is done and stored, so a settling write that still fails after
    // its retries fails this attempt only, never the job with a refund (the next run resumes it).
    await settle.completed(p, jobId, outcome);
    const view = outcome.generation;
    recordCompletion(p, view, outcome.fromCache, job.timestamp);
    log.info('generation_completed', {
      generation_id: view.id,
      duration_seconds: Math.round(((performance.now() - started) / 1000) * 1000) / 1000,
      code_length: view.files?.reduce((n, f) => n + f.content.length, 0) ?? 0,
      file_count: view.files?.length ?? 0,
      cost_usd: outcome.fromCache ? 0 : view.cost_usd,
      model: view.model,
      provider: view.provider,
      cache: outcome.fromCache ? 'hit' : 'miss',
      // Settled from what an earlier attempt stored (issue 16's windows), without a model call.
      resumed,
    });
    return { generation_id: view.id };
  };
}

type GenerationPayloadIds = Pick<GenerateJobPayload, 'job_id' | 'user_id' | 'project_id' | 'description' | 'cache_key'>;
