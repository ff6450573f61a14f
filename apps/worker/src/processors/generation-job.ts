import { UnrecoverableError, type Job } from 'bullmq';
import type { ObjectId } from 'mongodb';
import type {
  CachedOutput,
  CreditsLedger,
  ErrorReporter,
  FinishCancelledDeps,
  LiveFilesWriter,
  GenerateJobPayload,
  GenerationStore,
  GenerationView,
  JobErrorCode,
  JobKind,
  Logger,
  Metrics,
} from '@vectort/shared';
import { LlmError } from '../llm/llm-errors';
import type { LlmProvider } from '../llm/llm-provider';
import type { GenerateOptions } from '../llm/llm-provider';
import { beginJob } from './begin-job';
import { createSettler, resumeEarlierAttempt, type Outcome } from './generate-settlement';
import type { CancelWatch, CancelWatcher } from './cancel-watch';
import { endCancelled, JobCancelled, modelCallSignal } from './generate-cancel';
import type { JobRecord } from './job-record';
import type { LeaseManager } from './llm-lease';

// What generate and edit jobs share: single flight, settlement, the job's record, metrics and
// the three log events. Each kind keeps its own model call and cache copy in its processor.

/** The dependencies of a processor whose job calls the model and writes a generation. */
export interface GenerationJobDeps {
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
  /** Cancel requests of running jobs. */
  cancels: CancelWatcher;
  /** The live-output writer of a job (file deltas on its event stream). */
  liveFiles: (jobId: string) => LiveFilesWriter;
  /** What ending a cancelled job takes, when this worker is the first to see the request. */
  cancelling: FinishCancelledDeps;
}

/** What one attempt of a job knows while it produces: its cancel request, its log, whether it is the first. */
export interface JobRun {
  cancel: CancelWatch;
  log: Logger;
  /** No attempt of this job started before: none left live output (or anything else) behind. */
  firstAttempt: boolean;
}

/** The part of a generate or edit payload the shared steps read. */
export type GenerationJobPayload = Pick<
  GenerateJobPayload,
  'job_id' | 'user_id' | 'project_id' | 'framework' | 'cache_key' | 'reserved_credits' | 'plan' | 'request_id'
>;

export type { Outcome };

/** The kinds of job that write a generation; the bounded `kind` label of their metrics. */
export type GenerationKind = Extract<JobKind, 'generate' | 'edit'>;

function errorCodeOf(err: unknown): JobErrorCode {
  return err instanceof LlmError ? err.code : 'internal';
}

function isRetryable(err: unknown): boolean {
  return err instanceof LlmError ? err.retryable : !(err instanceof UnrecoverableError);
}

/**
 * The options of one model call of a job: its abort signal (a cancel request aborts it unless
 * other jobs wait on it through the lease), live file deltas on the job's event stream, and
 * progress (10..90 %), which rides with the deltas (one round trip per flush, its status write
 * reading the cancel flag too). `settled` is awaited before the job is finished, so no progress
 * write or file delta can land after the final state.
 */
export async function modelCallOptions(
  deps: Pick<GenerationJobDeps, 'record' | 'leases' | 'liveFiles'>,
  p: Pick<GenerationJobPayload, 'job_id' | 'cache_key'>,
  jobId: ObjectId,
  run: JobRun,
  holdsLease: boolean,
): Promise<{ options: GenerateOptions; settled: () => Promise<unknown> }> {
  const live = deps.liveFiles(p.job_id);
  // A new attempt writes its files anew: its first event per path says `replace`, and what an
  // earlier attempt wrote goes first.
  if (!run.firstAttempt) await live.reset();
  let lastProgress = 10;
  return {
    options: {
      signal: modelCallSignal(deps.leases, p.cache_key, run.cancel, holdsLease, run.log),
      onFile: (path, text, done) => live.write(path, text, done),
      onProgress: (pct: number) => {
        const progress = 10 + Math.floor(pct * 0.8);
        if (progress - lastProgress < 2) return;
        lastProgress = progress;
        const write = deps.record.progressWrite(jobId, progress);
        if (write) live.status(write);
      },
    },
    settled: () => live.flush(),
  };
}

function recordCompletion(
  deps: GenerationJobDeps,
  kind: GenerationKind,
  p: GenerationJobPayload,
  view: GenerationView,
  fromCache: boolean,
  submittedAt: number,
): void {
  const m = deps.metrics;
  m.generationsTotal.inc({ status: 'completed', model: view.model, framework: p.framework, kind });
  if (fromCache) return;
  m.generationDuration.observe({ model: view.model, framework: p.framework, kind }, (Date.now() - submittedAt) / 1000);
  m.llmCostUsd.inc({ provider: view.provider, model: view.model, kind }, view.cost_usd);
  m.llmTokens.inc({ provider: view.provider, model: view.model, kind: 'prompt' }, view.usage.prompt_tokens);
  m.llmTokens.inc({ provider: view.provider, model: view.model, kind: 'completion' }, view.usage.completion_tokens);
  if (p.reserved_credits > 0) m.creditsConsumed.inc({ plan: p.plan ?? 'unknown' }, p.reserved_credits);
}

/** What a processor tells {@link runGenerationJob} about its kind of job. */
export interface GenerationJobSpec {
  kind: GenerationKind;
  /** The generation an edit starts from; null for a generate job. */
  parentId: string | null;
  /** Extra fields of the `generation_started` log event. */
  startFields: Record<string, unknown>;
  /** Makes the generation: from the cache, another job's call or the model. */
  produce(jobId: ObjectId, started: number, run: JobRun): Promise<Outcome>;
  /** Answers from output another job produced (a hit), for a retry that resumes an earlier attempt. */
  answerFromCache(output: CachedOutput, jobId: ObjectId, started: number): Promise<Outcome>;
}

/**
 * The life of a job that writes a generation: mark it active, produce, settle credits (a hit
 * is refunded), record the end, metrics and the `generation_started` / `_completed` / `_failed`
 * events (each with `kind` and `parent_id`). A retryable failure goes back to the queue; a final
 * one refunds and fails the job. Every write is keyed by the job id, so a redelivered job
 * repeats nothing.
 */
export async function runGenerationJob(
  deps: GenerationJobDeps,
  job: Job<GenerationJobPayload>,
  spec: GenerationJobSpec,
): Promise<{ generation_id: string } | null> {
  const p = job.data;
  const started = performance.now();
  // Watched from before the start write, which reads the cancel flag on its way.
  const cancel = deps.cancels.watch(p.job_id);
  const begun = await beginJob(p, deps.record, deps.logger, 'generation').catch((err: unknown) => {
    cancel.stop();
    throw err;
  });
  if (!begun) {
    cancel.stop();
    return null;
  }
  const { jobId, firstAttempt } = begun;
  const log = begun.log.child({ kind: spec.kind, parent_id: spec.parentId });
  log.info('generation_started', { ...spec.startFields, attempt: job.attemptsMade + 1 });
  const settle = createSettler(deps.ledger, deps.record);
  let outcome: Outcome;
  let resumed: boolean;
  try {
    // What an earlier attempt of this job left decides first (generate-settlement.ts): its own
    // stored generation is a miss to settle, never a free hit. The first attempt has none.
    const earlier = firstAttempt
      ? null
      : await resumeEarlierAttempt(
          { store: deps.store, ledger: deps.ledger, answerFromCache: (o) => spec.answerFromCache(o, jobId, started) },
          p.job_id,
          jobId,
          p.cache_key,
        );
    resumed = earlier !== null;
    outcome = earlier ?? (await spec.produce(jobId, started, { cancel, log, firstAttempt }));
    if (await cancel.check()) throw new JobCancelled();
  } catch (err) {
    if (err instanceof JobCancelled || (await cancel.check())) {
      deps.record.forget(jobId);
      await endCancelled(deps.cancelling, jobId, log);
      return null;
    }
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
    // The refund before the failed mark: a run that finds the refund knows the job ends free.
    await settle.failed(p, jobId, { code, message });
    log.error('generation_failed', {
      error: code,
      error_message: message,
      provider: deps.provider.name,
      cause: err instanceof Error ? err.message : String(err),
    });
    deps.metrics.generationsTotal.inc({ status: 'failed', model: deps.model, framework: p.framework, kind: spec.kind });
    deps.reporter.capture(err, {
      user: { id: p.user_id },
      tags: {
        project_id: p.project_id,
        job_id: p.job_id,
        error_type: code,
        provider: deps.provider.name,
        kind: spec.kind,
      },
    });
    throw new UnrecoverableError(message);
  } finally {
    cancel.stop();
  }
  // Outside the try: the work is done and stored, so a settling write that still fails after
  // its retries fails this attempt only, never the job with a refund (the next run resumes it).
  await settle.completed(p, jobId, outcome);
  const view = outcome.generation;
  recordCompletion(deps, spec.kind, p, view, outcome.fromCache, job.timestamp);
  log.info('generation_completed', {
    generation_id: view.id,
    duration_seconds: Math.round(((performance.now() - started) / 1000) * 1000) / 1000,
    code_length: view.files?.reduce((n, f) => n + f.content.length, 0) ?? 0,
    file_count: view.files?.length ?? 0,
    cost_usd: outcome.fromCache ? 0 : view.cost_usd,
    model: view.model,
    provider: view.provider,
    cache: outcome.fromCache ? 'hit' : 'miss',
    // Settled from what an earlier attempt stored, without a model call.
    resumed,
  });
  return { generation_id: view.id };
}
