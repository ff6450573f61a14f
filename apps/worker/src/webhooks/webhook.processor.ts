import { UnrecoverableError, type Job, type Processor } from 'bullmq';
import type { Db, UpdateFilter } from 'mongodb';
import {
  Collections,
  createWebhookSecrets,
  webhookBody,
  webhookHeaders,
  webhookRetryDelayMs,
  type JobDocument,
  type Logger,
  type Metrics,
  type WebhookDeliveryDocument,
  type WebhookJobPayload,
} from '@vectort/shared';
import { sendWebhook, type WebhookResponse } from './webhook-sender';

export interface WebhookProcessorDeps {
  db: Db;
  logger: Logger;
  allowPrivate: boolean;
  /** Base of the retry schedule (`webhookRetryDelayMs`); must match the worker's backoff strategy. */
  retryBaseMs: number;
  /** Per-attempt timeout. @defaultValue 10000 */
  timeoutMs?: number;
  /** Counts attempts by result: delivered, retry, failed, gone (410), refused (blocked address). */
  deliveriesMetric?: Metrics['webhookDeliveries'];
}

interface Verdict {
  ok: boolean;
  /** Whether another attempt could help. */
  retry: boolean;
  error: string | null;
  statusCode: number | null;
  /** What the log gets beyond the class. */
  detail?: string;
}

/**
 * The verdict recorded on the delivery, which its owner reads: coarse classes only
 * (`blocked_address`, `connect_error`, `timeout`, `tls_error`, `http_status`), never a resolved
 * address, an errno or a redirect target. The details go to the worker's log.
 */
function judge(res: WebhookResponse): Verdict {
  if (res.kind === 'blocked')
    return { ok: false, retry: false, error: 'blocked_address', statusCode: null, detail: res.message };
  if (res.kind === 'unreachable')
    return { ok: false, retry: true, error: res.errorClass, statusCode: null, detail: res.detail };
  const { statusCode } = res;
  if (statusCode >= 200 && statusCode < 300) return { ok: true, retry: false, error: null, statusCode };
  // 410 Gone: the receiver says this endpoint is no more.
  if (statusCode === 410) return { ok: false, retry: false, error: 'http_status', statusCode };
  const detail =
    statusCode >= 300 && statusCode < 400 ? `redirect to ${res.location ?? '(no location)'} not followed` : undefined;
  return { ok: false, retry: true, error: 'http_status', statusCode, detail };
}

/**
 * Delivers one recorded event. The job names only a delivery record, which the system wrote
 * when the job ended (`enqueueWebhookDelivery`); the URL, the owner (whose secret signs) and
 * the announced job (whose record is the body) come from it, never from the queue, so a job
 * added by hand through Bull Board with any URL or ids fails without sending anything.
 * The body is rebuilt from the job's record at each attempt (it
 * no longer changes, so every attempt sends the same bytes under the same `webhook-id`); the
 * timestamp and signature are fresh per attempt, as the spec expects. Each attempt is recorded
 * on the delivery; a 2xx ends it, a 410 or a refused address gives up at once, anything else
 * throws so BullMQ retries on the webhook schedule.
 */
export function createWebhookProcessor(deps: WebhookProcessorDeps): Processor<WebhookJobPayload> {
  const deliveries = deps.db.collection<WebhookDeliveryDocument>(Collections.webhookDeliveries);
  const jobs = deps.db.collection<JobDocument>(Collections.jobs);
  const secrets = createWebhookSecrets(deps.db);

  return async (job: Job<WebhookJobPayload>) => {
    const deliveryId = typeof job.data?.delivery_id === 'string' ? job.data.delivery_id : null;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const delivery = deliveryId === null ? null : await deliveries.findOne({ _id: deliveryId });
    if (!delivery) {
      // Not written by the system: a forged or corrupted job. Nothing to send, nothing to record.
      deps.logger.warn('webhook_job_refused', { bullmq_job_id: job.id, reason: 'no such delivery' });
      throw new UnrecoverableError('No such webhook delivery');
    }
    const p = {
      webhook_id: delivery._id,
      job_id: delivery.job_id,
      user_id: delivery.user_id,
      event_type: delivery.event_type,
      url: delivery.url,
    };
    const log = deps.logger.child({
      webhook_id: p.webhook_id,
      job_id: p.job_id.toHexString(),
      user_id: p.user_id.toHexString(),
      event_type: p.event_type,
    });
    // A repeated enqueue after the delivery ended (BullMQ already dropped the finished job).
    if (delivery.status !== 'pending') return { skipped: true };

    const record = async (verdict: Verdict, durationMs: number) => {
      const final = verdict.ok || !verdict.retry || attempt >= maxAttempts;
      const now = new Date();
      const update: UpdateFilter<WebhookDeliveryDocument> = {
        $set: {
          status: verdict.ok ? 'delivered' : final ? 'failed' : 'pending',
          attempts: attempt,
          last_status_code: verdict.statusCode,
          last_error: verdict.error,
          next_attempt_at: final
            ? null
            : new Date(now.getTime() + webhookRetryDelayMs(attempt, deps.retryBaseMs, p.webhook_id)),
          updated_at: now,
        },
        $push: {
          attempt_log: {
            attempt,
            at: now,
            status_code: verdict.statusCode,
            error: verdict.error,
            duration_ms: durationMs,
          },
        },
      };
      await deliveries.updateOne({ _id: p.webhook_id }, update);
      return final;
    };

    const source = await jobs.findOne({ _id: p.job_id }, { projection: { payload: 0 } });
    if (!source || !source.user_id.equals(p.user_id)) {
      await record({ ok: false, retry: false, error: 'the job no longer exists', statusCode: null }, 0);
      log.warn('webhook_gave_up', { reason: 'job missing' });
      throw new UnrecoverableError('The job no longer exists');
    }
    const body = JSON.stringify(webhookBody(source, p.event_type));
    const secret = await secrets.get(p.user_id);
    const headers = webhookHeaders({ id: p.webhook_id, timestamp: Math.floor(Date.now() / 1000), body, secret });

    const started = performance.now();
    const response = await sendWebhook({
      url: p.url,
      headers,
      body,
      allowPrivate: deps.allowPrivate,
      timeoutMs: deps.timeoutMs,
    });
    const durationMs = Math.round(performance.now() - started);
    const verdict = judge(response);
    const final = await record(verdict, durationMs);
    const host = safeHost(p.url);
    deps.deliveriesMetric?.inc({
      result: verdict.ok
        ? 'delivered'
        : verdict.statusCode === 410
          ? 'gone'
          : !final
            ? 'retry'
            : !verdict.retry && verdict.statusCode === null
              ? 'refused'
              : 'failed',
    });

    if (verdict.ok) {
      log.info('webhook_delivered', { attempt, status_code: verdict.statusCode, duration_ms: durationMs, host });
      return { status_code: verdict.statusCode };
    }
    if (final) {
      log.warn('webhook_gave_up', {
        attempt,
        error: verdict.error,
        detail: verdict.detail,
        status_code: verdict.statusCode,
        host,
      });
      throw new UnrecoverableError(verdict.error ?? 'delivery failed');
    }
    log.info('webhook_attempt_failed', {
      attempt,
      error: verdict.error,
      detail: verdict.detail,
      status_code: verdict.statusCode,
      host,
    });
    throw new Error(verdict.error ?? 'delivery failed');
  };
}

/** The host alone: a webhook URL's path or query may carry the receiver's own token. */
function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid)';
  }
}
