import { HeadBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { isNotFound, nameOf, statusOf } from './s3-errors.js';
import { type S3Location, S3LocationError } from './s3-location.js';

/**
 * An S3 client for `location`. Credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID
 * and AWS_SECRET_ACCESS_KEY, AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE, instance roles)
 * unless given. Checksums only where S3 requires them: with the SDK's default, streamed
 * uploads are sent with chunked checksum framing that Ceph RGW refuses (411).
 */
export function createS3Client(
  location: S3Location,
  credentials?: S3ClientConfig['credentials'],
): S3Client {
  return new S3Client({
    region: location.region,
    endpoint: location.endpoint,
    forcePathStyle: location.pathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(credentials ? { credentials } : {}),
  });
}

/**
 * Checks at start that the bucket is there and the credentials may use it, so that a wrong
 * setting is one clear sentence, not a stack trace at the first push.
 */
export async function checkS3Location(client: S3Client, location: S3Location): Promise<void> {
  const where = `s3://${location.bucket}${location.endpoint ? ` at ${location.endpoint}` : ''}`;
  try {
    await client.send(new HeadBucketCommand({ Bucket: location.bucket }));
  } catch (error) {
    const status = statusOf(error);
    const name = nameOf(error);
    const code = (error as { code?: string }).code ?? '';
    if (isNotFound(error)) {
      throw new S3LocationError(`${where}: the bucket does not exist; create it first`);
    }
    if (status === 403 || status === 401) {
      throw new S3LocationError(
        `${where}: access denied; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the credentials file) and the bucket's policy`,
      );
    }
    if (name === 'CredentialsProviderError') {
      throw new S3LocationError(
        `${where}: no credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE`,
      );
    }
    if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET'].includes(code)) {
      throw new S3LocationError(`${where}: cannot reach the server (${code})`);
    }
    throw new S3LocationError(`${where}: ${(error as Error).message || name || 'unknown error'}`);
  }
}

/** A client for `location` once checkS3Location has passed; the caller destroys it. */
export async function connectS3(location: S3Location): Promise<S3Client> {
  const client = createS3Client(location);
  try {
    await checkS3Location(client, location);
  } catch (error) {
    client.destroy();
    throw error;
  }
  return client;
}
