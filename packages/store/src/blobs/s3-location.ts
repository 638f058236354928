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
