import { ObjectId } from 'mongodb';
import { NotFoundError } from '@vectort/shared';

/**
 * Turns a path id into an ObjectId. Ids are opaque to clients, so one that cannot exist is
 * answered like any unknown object: 404.
 */
export function parseObjectId(raw: string | undefined, what: string): ObjectId {
  if (!raw || !/^[0-9a-f]{24}$/i.test(raw)) throw new NotFoundError(what);
  return new ObjectId(raw);
}
