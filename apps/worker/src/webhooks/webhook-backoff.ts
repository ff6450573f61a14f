import type { AdvancedOptions } from 'bullmq';
import { WEBHOOK_BACKOFF_TYPE, webhookRetryDelayMs } from '@vectort/shared';

/**
 * Worker settings for the `webhook` queue: maps its custom backoff type to
 * {@link webhookRetryDelayMs}. BullMQ calls the strategy with the number of attempts made so
 * far, which is the retry number the schedule expects.
 */
export function webhookWorkerSettings(retryBaseMs: number): AdvancedOptions {
  return {
    backoffStrategy: (attemptsMade, type, _err, job) => {
      if (type !== WEBHOOK_BACKOFF_TYPE) throw new Error(`Unknown backoff type ${String(type)} on the webhook queue`);
      return webhookRetryDelayMs(attemptsMade, retryBaseMs, String(job?.id ?? ''));
    },
  };
}
