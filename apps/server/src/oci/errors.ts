import type { Response } from 'express';
import { BerthError, RateLimitedError } from '@berth/domain';
import { UploadRangeError } from '../services/registry/upload-sessions.js';
import { IntegrityError } from '../services/encryption/integrity-error.js';
import { logStorageFull } from '../api/error-middleware.js';
import type { Logger } from 'pino';

/**
 * The OCI Distribution error codes Berth answers with, and their HTTP status, in one place.
 * Services throw Berth errors; their codes either are OCI codes already or map onto one here.
 */
const OCI_STATUS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  PAGINATION_NUMBER_INVALID: 400,
  RANGE_INVALID: 416,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 415,
  TOOMANYREQUESTS: 429,
  /** Not in the OCI list; Distribution answers unexpected failures with it. */
  UNKNOWN: 500,
} as const;

export type OciCode = keyof typeof OCI_STATUS;

/** Berth's own codes as the registry protocol names them, with a status where it differs. */
const FROM_BERTH: Record<string, { code: OciCode; status?: number }> = {
  NAMESPACE_UNKNOWN: { code: 'NAME_UNKNOWN' },
  REPOSITORY_UNKNOWN: { code: 'NAME_UNKNOWN' },
  IMAGE_UNKNOWN: { code: 'MANIFEST_UNKNOWN' },
  IMAGE_IN_TRASH: { code: 'MANIFEST_UNKNOWN' },
  TAG_UNKNOWN: { code: 'MANIFEST_UNKNOWN' },
  IMAGE_IN_INDEX: { code: 'DENIED', status: 409 },
  QUOTA_EXCEEDED: { code: 'DENIED', status: 403 },
  // 403, not 507: skopeo, podman and Docker print only the status line of a 5xx ("received
  // unexpected HTTP status: 507 Insufficient Storage") but the code and message of a 4xx
  // ("denied: the registry's storage is full…"); and they do not retry a DENIED, which could
  // not succeed until an administrator frees space. /api answers 507 STORAGE_FULL.
  STORAGE_FULL: { code: 'DENIED', status: 403 },
  MANIFEST_INVALID: { code: 'MANIFEST_INVALID' },
};

export class OciError extends Error {
  constructor(
    readonly code: OciCode,
    message: string,
    readonly status: number = OCI_STATUS[code],
    readonly detail?: unknown,
    /** Response headers that belong to this error, e.g. a 401's `WWW-Authenticate`. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

function toOci(err: unknown): OciError | null {
  if (err instanceof OciError) return err;
  if (err instanceof UploadRangeError) {
    return new OciError('BLOB_UPLOAD_INVALID', err.message, 416, { offset: err.offset });
  }
  if (err instanceof IntegrityError) {
    // UNKNOWN, Distribution's code for a server-side failure: every code in the OCI list
    // blames the request (MANIFEST_UNKNOWN would tell the client the image is gone, and
    // MANIFEST_INVALID or BLOB_UNKNOWN that it pushed something wrong), while here the request
    // is fine and the stored data is not. The message says which object and what to do, and
    // `detail` carries the same for tools. crane, oras, regctl and curl show the message;
    // skopeo, podman and Docker print only the status line of a 5xx, so the server's log says
    // it too (where the failure was found).
    return new OciError('UNKNOWN', err.message, 500, err.details);
  }
  if (err instanceof BerthError) {
    const mapped = FROM_BERTH[err.code];
    if (mapped) {
      const status = err.kind === 'too_large' ? 413 : (mapped.status ?? OCI_STATUS[mapped.code]);
      return new OciError(mapped.code, err.message, status, err.details);
    }
    if (err.code in OCI_STATUS) {
      const code = err.code as OciCode;
      return new OciError(
        code,
        err.message,
        err.kind === 'too_large' ? 413 : OCI_STATUS[code],
        err.details,
      );
    }
    const byKind = {
      input: 'NAME_INVALID',
      unauthenticated: 'UNAUTHORIZED',
      forbidden: 'DENIED',
      not_found: 'NAME_UNKNOWN',
      conflict: 'DENIED',
      too_large: 'SIZE_INVALID',
      rate_limited: 'TOOMANYREQUESTS',
      storage_full: 'DENIED',
    } as const;
    return new OciError(byKind[err.kind], err.message, undefined, err.details);
  }
  return null;
}

const REPRESENTATION_HEADERS = [
  'Accept-Ranges',
  'Cache-Control',
  'Content-Length',
  'Content-Range',
  'Content-Type',
  'Docker-Content-Digest',
  'ETag',
];

export function sendOciError(res: Response, err: unknown, logger: Logger): void {
  logStorageFull(logger, err);
  let oci = toOci(err);
  if (!oci) {
    const aborted =
      (err as { code?: string })?.code === 'ERR_STREAM_PREMATURE_CLOSE' ||
      (err as { code?: string })?.code === 'ECONNRESET';
    if (aborted) {
      logger.info({ err }, 'client went away during a registry request');
      if (res.headersSent || res.destroyed) return;
      oci = new OciError('BLOB_UPLOAD_INVALID', 'the request body ended early');
    } else {
      logger.error({ err }, 'registry request failed');
      oci = new OciError('UNKNOWN', 'something went wrong on the server; the error is in its log');
    }
  }
  if (err instanceof IntegrityError) {
    // Where it was found logs it too; this line adds the request (its id and path).
    logger.error(err.details, 'a registry read met stored data that failed its integrity check');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Headers set for the answer the handler meant to give (a blob's length, digest, a year of
  // caching) do not describe this error, and a cache must not keep it.
  // A 416's Content-Range says how long the blob is (RFC 9110), so it stays on that one.
  for (const name of REPRESENTATION_HEADERS) {
    if (name !== 'Content-Range' || oci.status !== 416) res.removeHeader(name);
  }
  if (oci.headers) res.set(oci.headers);
  if (err instanceof RateLimitedError) res.set('Retry-After', String(err.retryAfterSeconds));
  if (
    oci.status === 416 &&
    oci.detail &&
    typeof oci.detail === 'object' &&
    'offset' in oci.detail
  ) {
    const offset = Number((oci.detail as { offset: number }).offset);
    res.set('Range', `0-${Math.max(0, offset - 1)}`);
  }
  res.status(oci.status).json({
    errors: [
      {
        code: oci.code,
        message: oci.message,
        ...(oci.detail !== undefined ? { detail: oci.detail } : {}),
      },
    ],
  });
}
