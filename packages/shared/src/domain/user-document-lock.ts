import type { Redis } from 'ioredis';
import type { ObjectId } from 'mongodb';
import { withRedisMutex } from './redis-mutex';

/**
 * The one lock every write to a user's document takes. FerretDB v1 (the local stand-in) runs
 * each update as read, modify, write of the whole document, so two concurrent updates of one
 * user lose one of them, whatever fields they touch: measured here, 100 `$inc: {credits: 1}`
 * beside 100 `$push` of another field left `credits: 11`. A logout or an admin's plan change
 * beside a debit would so undo the debit. On MongoDB every single-document update is atomic
 * and the lock only orders them; it costs two Redis round trips.
 */
export interface UserDocumentLock {
  run<T>(userId: ObjectId, fn: () => Promise<T>): Promise<T>;
}

/** The Redis key of the lock (shared with the credits ledger, which takes the same lock). */
export function userDocumentLockKey(keyPrefix: string, userId: ObjectId): string {
  return `${keyPrefix}:lock:credits:${userId.toHexString()}`;
}

export function createUserDocumentLock(redis: Redis, keyPrefix: string): UserDocumentLock {
  return { run: (userId, fn) => withRedisMutex(redis, userDocumentLockKey(keyPrefix, userId), fn) };
}
