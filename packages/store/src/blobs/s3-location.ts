import { HeadBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { isNotFound, nameOf, statusOf } from './s3-errors.js';

/** Where blobs live in S3, as `BERTH_BLOB_STORE=s3://bucket/prefix?endpoint=…&region=…` says. */
export interface S3Location {
  bucket: string;
  /** '' or a key prefix ending in '/'. */
  prefix: string;
  /** An S3-compatible server (Ceph RGW, MinIO); unset: AWS. */
  endpoint?: string;
  /**
   * The same server as clients reach it, when under another name than Berth does: presigned
   * URLs (blob redirects) are signed for this host. Unset: `endpoint`.
   */
  publicEndpoint?: string;
  region: string;
  /** Bucket in the path, not the host name: what self-hosted servers expect. */
  pathStyle: boolean;
}

const PARAMETERS = new Set(['endpoint', 'publicEndpoint', 'region', 'pathStyle']);
// S3's rules for new buckets: 3-63 characters, lowercase letters, digits, dots and hyphens,
// starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export class S3LocationError extends Error {
  override readonly name = 'S3LocationError';
}

/** Reads an `s3://` address, or throws S3LocationError saying what is wrong with it. */
export function parseS3Location(address: string): S3Location {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new S3LocationError(
      `"${address}" is not an address: expected s3://bucket/prefix?endpoint=…&region=…`,
    );
  }
  if (url.protocol !== 's3:') {
    throw new S3LocationError(`"${address}" does not start with s3://`);
  }
  if (url.username || url.password) {
    throw new S3LocationError(
      'credentials do not belong in the address: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_SHARED_CREDENTIALS_FILE',
    );
  }
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) {
    throw new S3LocationError(
      `"${bucket}" is not a bucket name: 3-63 lowercase letters, digits, dots and hyphens`,
    );
  }
  for (const name of url.searchParams.keys()) {
    if (!PARAMETERS.has(name)) {
      throw new S3LocationError(
        `unknown parameter "${name}": expected endpoint, publicEndpoint, region or pathStyle`,
      );
    }
  }
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+/, '').replace(/\/+$/, '');
  if (prefix !== '' && prefix.split('/').some((part) => ['', '.', '..'].includes(part))) {
    throw new S3LocationError(`"${prefix}" is not a usable key prefix`);
  }
  const endpoint = httpAddress(url.searchParams, 'endpoint');
  const publicEndpoint = httpAddress(url.searchParams, 'publicEndpoint');
  const pathStyle = url.searchParams.get('pathStyle');
  if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') {
    throw new S3LocationError(`pathStyle must be true or false, not "${pathStyle}"`);
  }
  return {
    bucket,
    prefix: prefix ? `${prefix}/` : '',
    endpoint,
    publicEndpoint,
    region: url.searchParams.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
    // A custom endpoint is almost always a self-hosted server, where path style is the norm.
    pathStyle: pathStyle === null ? endpoint !== undefined : pathStyle === 'true',
  };
}

/** The parameter `name`, which must be an http:// or https:// address when set. */
function httpAddress(parameters: URLSearchParams, name: string): string | undefined {
  const value = parameters.get(name);
  if (value === null) return undefined;
  let parsed: URL | null = null;
  try {
    parsed = new URL(value);
  } catch {
    // reported below
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new S3LocationError(`${name} "${value}" is not an http:// or https:// address`);
  }
  return value;
}

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
