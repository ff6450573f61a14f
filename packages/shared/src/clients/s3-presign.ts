import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface PresignedLink {
  url: string;
  /** When S3 starts refusing the URL: signing time (whole seconds, as signed) plus the TTL. */
  expiresAt: Date;
}

/**
 * A presigned GET URL for `key`, valid `ttlSeconds`. Signing is local (no request to S3), so
 * this works while S3 is unreachable; the download then fails, not the API call.
 */
export async function presignDownload(
  s3: S3Client,
  bucket: string,
  key: string,
  ttlSeconds: number,
  fileName = 'code.zip',
): Promise<PresignedLink> {
  // X-Amz-Date has whole seconds: sign at a whole second so expires_at is exactly when S3 refuses.
  const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
  const url = await getSignedUrl(
    s3,
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      ResponseContentDisposition: `attachment; filename="${fileName}"`,
    }),
    { expiresIn: ttlSeconds, signingDate },
  );
  return { url, expiresAt: new Date(signingDate.getTime() + ttlSeconds * 1000) };
}
