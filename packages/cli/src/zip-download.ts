import { writeFile } from 'node:fs/promises';
import { ok, type ApiClient } from './api-client';
import { CliError, EXIT } from './cli-errors';
import type { components } from './generated/api-types';
import { followJob } from './job-follow';

type Export = components['schemas']['Export'];

/** Exports `generationId` as a ZIP (waiting for the export job) and saves it at `outPath`. */
export async function downloadZip(
  client: ApiClient,
  projectId: string,
  generationId: string,
  outPath: string,
): Promise<Export> {
  const submitted = await ok(
    client.POST('/api/projects/{id}/export/zip', {
      params: { path: { id: projectId }, query: { wait: 30 } },
      body: { generation_id: generationId },
    }),
  );
  let exported: Export;
  if (submitted.response.status === 200) {
    exported = submitted.data as Export;
  } else {
    const queued = submitted.data as { job_id: string };
    const job = await followJob(client, queued.job_id, { status: () => undefined, file: () => undefined });
    if (job.status !== 'completed' || !job.result || !('download_url' in job.result))
      throw new CliError(`export failed: ${job.error?.message ?? job.status}`, EXIT.failed);
    exported = job.result;
  }
  const res = await fetch(exported.download_url).catch((err: Error) => {
    throw new CliError(`cannot download the ZIP: ${err.message}`, EXIT.failed);
  });
  if (!res.ok) throw new CliError(`cannot download the ZIP: HTTP ${res.status}`, EXIT.failed);
  await writeFile(outPath, Buffer.from(await res.arrayBuffer()));
  return exported;
}
