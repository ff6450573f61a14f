import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUE_NAMES, queuePrefix, type QueueName } from './queue-contract';

/** A BullMQ producer for every queue, sharing `connection`. */
export function createQueues(connection: Redis, keyPrefix: string): Record<QueueName, Queue> {
  const prefix = queuePrefix(keyPrefix);
  return Object.fromEntries(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })])) as Record<
    QueueName,
    Queue
  >;
}
