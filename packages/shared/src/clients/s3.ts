import { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/config';

/**
 * An S3 client for the configured endpoint. Checksums are only sent when an operation requires
 * them: S3-compatible servers (MinIO, s3rver) do not all accept the SDK's default CRC headers.
 */
export function createS3(s3: Config['s3']): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
}
