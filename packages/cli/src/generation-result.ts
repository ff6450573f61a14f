import { CliError, EXIT } from './cli-errors';
import type { ApiClient } from './api-client';
import type { components } from './generated/api-types';
import { followJob } from './job-follow';
import { createProgressDisplay } from './progress-display';
import { downloadZip } from './zip-download';

type Schemas = components['schemas'];
export type Generation = Schemas['Generation'];

/**
 * The generation a submit led to, for `generate` and `edit` alike: a cache hit's at once; a
 * miss's after following its job with the progress bar and the live `file` events.
 * `what` names the job in messages ("generation", "edit").
 */
export async function settleGeneration(
  client: ApiClient,
  submitted: Schemas['CacheHit'] | Schemas['JobQueued'],
  out: NodeJS.WriteStream,
  what: string,
): Promise<Generation> {
  if ('generation' in submitted) {
    out.write(`Cache hit: generation ${submitted.generation.id} (no credits used)\n`);
    return submitted.generation;
  }
  out.write(`Queued job ${submitted.job_id}\n`);
  const display = createProgressDisplay(out);
  const job = await followJob(client, submitted.job_id, display).finally(() => display.end());
  if (job.status !== 'completed' || !job.result || !('generation' in job.result)) {
    const reason = job.error ? `${job.error.message} [${job.error.code}]` : job.status;
    throw new CliError(`${what} ${job.status}: ${reason}`, EXIT.failed);
  }
  return job.result.generation;
}

/** Names the generation, lists its files, downloads its ZIP to `outPath` and says how to run it. */
export async function saveGeneration(
  client: ApiClient,
  generation: Generation,
  outPath: string,
  out: NodeJS.WriteStream,
): Promise<void> {
  out.write(`Generation ${generation.id}, version ${generation.version}, project ${generation.project_id}\n`);
  out.write(`${generation.files.length} files (${generation.provider} ${generation.model}):\n`);
  for (const file of generation.files) out.write(`  ${file.path}\n`);
  const exported = await downloadZip(client, generation.project_id, generation.id, outPath);
  out.write(`Saved ${outPath} (${exported.size_bytes} bytes, ${exported.file_count} files)\n`);
  if (generation.instructions) out.write(`Run it: ${generation.instructions}\n`);
}
