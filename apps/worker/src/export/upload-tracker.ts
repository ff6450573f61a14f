import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * `s3` as one lib-storage `Upload` sees it, counting the requests that upload has in flight and
 * noting whether S3 stored its object. lib-storage's own abort does not wait for the parts in
 * flight (an S3 multipart upload aborted while a part is still arriving may keep that part), and
 * an aborted `done()` rejects even when S3 had just completed the upload; with this, the export
 * waits for the upload's last request, knows the outcome, and aborts the multipart upload itself.
 */
export interface UploadTracker {
  /** Give this to the `Upload` (with `leavePartsOnError: true`: the tracker aborts). */
  readonly client: S3Client;
  /** S3 answered a CompleteMultipartUpload or PutObject of this upload: the object exists. */
  readonly stored: boolean;
  /**
   * Waits until the upload has no request in flight, then aborts multipart upload `uploadId`
   * unless S3 stored the object. Resolves with whether the object exists.
   */
  settle(uploadId: string | undefined): Promise<boolean>;
}

export function createUploadTracker(s3: S3Client, target: { Bucket: string; Key: string }): UploadTracker {
  const inFlight = new Set<Promise<unknown>>();
  let stored = false;
  // Everything but `send` is the real client's (config, middleware stack), by its prototype.
  const client = Object.create(s3) as S3Client;
  client.send = ((command: Parameters<S3Client['send']>[0]) => {
    const sent = s3.send(command);
    inFlight.add(sent);
    const writes = command instanceof CompleteMultipartUploadCommand || command instanceof PutObjectCommand;
    sent.then(
      () => {
        if (writes) stored = true;
        inFlight.delete(sent);
      },
      () => inFlight.delete(sent),
    );
    return sent;
  }) as S3Client['send'];

  return {
    client,
    get stored() {
      return stored;
    },
    async settle(uploadId) {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      if (stored || !uploadId) return stored;
      await s3.send(new AbortMultipartUploadCommand({ ...target, UploadId: uploadId }));
      return false;
    },
  };
}
