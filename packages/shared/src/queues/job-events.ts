import type { Redis } from 'ioredis';

/** Pub/sub channel on which workers announce that a job's document changed. */
export function jobEventsChannel(keyPrefix: string): string {
  return `${keyPrefix}:job-events`;
}

/**
 * Tells listeners (the API's long-polls and event streams) to read the job again. Best effort:
 * listeners also re-read on a timer, so a message lost while Redis restarts costs latency only.
 */
export async function announceJobChange(redis: Redis, keyPrefix: string, jobId: string): Promise<void> {
  await redis.publish(jobEventsChannel(keyPrefix), jobId).catch(() => undefined);
}
