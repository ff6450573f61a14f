import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface DeletePrefixOptions {
  /** Keys per ListObjectsV2 page and per DeleteObjects batch (S3 caps both at 1000). @defaultValue 1000 */
  pageSize?: number;
}

/**
 * Deletes every object under `prefix`: ListObjectsV2 page by page, one DeleteObjects batch per
 * page. Returns how many keys it deleted. Throws on any S3 error, including a key that
 * DeleteObjects reports it could not delete, so callers never believe a prefix is empty when
 * it is not.
 */
export async function deletePrefix(
  s3: S3Client,
  bucket: string,
  prefix: string,
  options: DeletePrefixOptions = {},
): Promise<number> {
  if (!prefix.endsWith('/')) throw new Error(`refusing to delete prefix "${prefix}": it must end with "/"`);
  const pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
  let deleted = 0;
  let token: string | undefined;
  // Deleting while listing is safe: a continuation token points past the last key returned.
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).map((o) => o.Key).filter((k): k is string => typeof k === 'string');
    if (keys.length) {
      const result = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = result.Errors ?? [];
      if (failed.length) {
        throw new Error(
          `S3 could not delete ${failed.length} object(s) under ${prefix}: ${failed[0]?.Code ?? 'unknown'} ${failed[0]?.Message ?? ''}`.trim(),
        );
      }
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}
