import { toJobView, type JobDocument, type JobKind, type JobView } from '../domain/job';

/** The subject of each job kind's events: `generation.completed`, `export.failed`. */
const EVENT_SUBJECT: Record<JobKind, string> = {
  generate: 'generation',
  // An edit's result is a generation (a new version): receivers see the same events.
  edit: 'generation',
  export: 'export',
};

export type WebhookOutcome = 'completed' | 'failed' | 'cancelled';

/** `generation.completed`, `export.failed`, ... */
export function webhookEventType(kind: JobKind, outcome: WebhookOutcome): string {
  return `${EVENT_SUBJECT[kind]}.${outcome}`;
}

/**
 * The `webhook-id` of a job's end event, also the BullMQ job id of its delivery and the id of
 * its `webhook_deliveries` record. Derived, not random: a redelivered job that ends again maps to
 * the same delivery, so the receiver sees one event however often the worker repeats itself.
 * No `:` (BullMQ refuses it in custom ids) and no `.` (the signed content is dot-separated).
 */
export function webhookId(jobId: string, eventType: string): string {
  return `msg_${jobId}_${eventType.replace(/\./g, '_')}`;
}

export interface WebhookBody {
  type: string;
  /** When the event happened (the job's end), the same on every retry. */
  timestamp: string;
  data: JobView;
}

/** The JSON body of a job's end event. */
export function webhookBody(job: JobDocument, eventType: string): WebhookBody {
  return { type: eventType, timestamp: (job.finished_at ?? job.updated_at).toISOString(), data: toJobView(job) };
}
