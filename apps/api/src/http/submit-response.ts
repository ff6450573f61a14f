import type { Response } from 'express';
import type { GenerationView } from '@vectort/shared';
import type { CacheHit } from '../services/generations.service';
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

const HIT_BODY_START = '{"status":"completed","cached":true,"generation":';

/**
 * {@link hitResponse} with its body written around the cached files' own JSON: the same bytes
 * `res.json` writes for it (a replay's, a poll's), without parsing and writing the files again.
 */
export function cachedHitResponse(hit: CacheHit): StoredResponse {
  const [before, files, after] = hit.json;
  return {
    status: 200,
    headers: { 'X-Cache': 'HIT' },
    json: concatJson([HIT_BODY_START, before, files, after, '}']),
    generationId: hit.generationId,
  };
}

/** One Buffer of `parts` (strings written as UTF-8), allocated once. */
function concatJson(parts: (string | Buffer)[]): Buffer {
  let length = 0;
  for (const part of parts) length += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const part of parts) at += typeof part === 'string' ? out.write(part, at) : part.copy(out, at);
  return out;
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
  const { status, headers, generationId } = response;
  await claim?.complete(generationId ? { status, headers, generationId } : response);
  res.status(status).set(headers);
  if (!response.json) {
    res.json(response.body);
    return;
  }
  // What res.json sets, and the length. Not res.send: it would hash the 5 KB body for an ETag on
  // every hit, and an ETag on a POST's answer serves no conditional request (measured with
  // `npm run bench -- --only hit`: ratio 0.41 and 0.44 with res.send, 0.47 and 0.47 without).
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', response.json.length);
  res.end(response.json);
}
