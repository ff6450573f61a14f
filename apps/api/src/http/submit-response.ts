import type { Response } from 'express';
import type { GenerationView } from '@vectort/shared';
import type { IdempotencyClaim, StoredResponse } from '../services/idempotency.service';

// The answers of the two submits that may be served from the cache (generate and edit), and
// how an Idempotency-Key keeps them: a hit's record keeps its generation's id, not its files.

/** 200 `X-Cache: HIT` with the generation. */
export function hitResponse(generation: GenerationView): StoredResponse {
  return {
    status: 200,
    headers: { 'X-Cache': 'HIT' },
    body: { status: 'completed', cached: true, generation },
    generationId: generation.id,
  };
}

/** 202 `X-Cache: MISS` pointing at the job. */
export function queuedResponse(jobId: string): StoredResponse {
  const statusUrl = `/api/jobs/${jobId}`;
  return {
    status: 202,
    headers: { 'X-Cache': 'MISS', Location: statusUrl },
    body: { status: 'queued', cached: false, job_id: jobId, status_url: statusUrl },
  };
}

/** Sends an earlier answer again; a hit's generation is read again by `readGeneration`. */
export async function sendReplay(
  res: Response,
  replay: StoredResponse,
  readGeneration: (id: string) => Promise<GenerationView>,
): Promise<void> {
  const body = replay.generationId
    ? { status: 'completed', cached: true, generation: await readGeneration(replay.generationId) }
    : replay.body;
  res.status(replay.status).set(replay.headers).json(body);
}

/** Records the answer under the request's Idempotency-Key (if any) and sends it. */
export async function finishSubmit(
  res: Response,
  claim: IdempotencyClaim | undefined,
  response: StoredResponse,
): Promise<void> {
  await claim?.complete(response.generationId ? { ...response, body: undefined } : response);
  res.status(response.status).set(response.headers).json(response.body);
}
