import type { Request, Response } from 'express';
import { OciError } from './errors.js';

export type Handler = (req: Request, res: Response, params: string[]) => Promise<void>;

/** The first value of a query parameter (the simple parser gives arrays for repeats). */
export function query(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

/** Every value of a repeated query parameter (`?tag=a&tag=b`), in order. */
export function queryAll(req: Request, name: string): string[] {
  const v = (req.query as Record<string, unknown>)[name];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

export function header(req: Request, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `n` and `last` of the tag and catalog listings. */
export function pageParams(req: Request, max: number): { n: number; last?: string } {
  const raw = query(req, 'n');
  let n = max;
  if (raw !== undefined) {
    if (!/^\d{1,9}$/.test(raw)) {
      throw new OciError(
        'PAGINATION_NUMBER_INVALID',
        `n must be a non-negative integer (got "${raw.slice(0, 20)}")`,
      );
    }
    n = Math.min(Number(raw), max);
  }
  const last = query(req, 'last');
  return { n, ...(last !== undefined && last !== '' ? { last: last.slice(0, 512) } : {}) };
}

/** `Link: <…>; rel="next"` as the spec's pagination describes. */
export function setNextLink(
  res: Response,
  path: string,
  n: number,
  last: string,
  keep: Record<string, string> = {},
): void {
  const params = new URLSearchParams({ ...keep, n: String(n), last });
  res.set('Link', `<${path}?${params.toString()}>; rel="next"`);
}

/** Content-Range of a chunk: `<start>-<end>` (OCI) or `bytes <start>-<end>/<total>`. */
export function chunkRange(req: Request): { start: number; end: number } | null {
  const raw = header(req, 'content-range');
  if (raw === undefined) return null;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(raw.trim());
  if (!m)
    throw new OciError(
      'BLOB_UPLOAD_INVALID',
      `Content-Range "${raw.slice(0, 60)}" is not <start>-<end>`,
    );
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start)
    throw new OciError('BLOB_UPLOAD_INVALID', 'Content-Range ends before it starts', 416);
  const length = header(req, 'content-length');
  if (length !== undefined && Number(length) !== end - start + 1) {
    throw new OciError(
      'BLOB_UPLOAD_INVALID',
      `Content-Range covers ${end - start + 1} bytes but Content-Length is ${length}`,
    );
  }
  return { start, end };
}

/** A single `bytes=` range of a GET; null means the whole blob. */
export function byteRange(req: Request, size: number): { start: number; end: number } | null {
  const raw = header(req, 'range');
  if (raw === undefined) return null;
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(raw.trim());
  const unsatisfiable = () =>
    new OciError(
      'RANGE_INVALID',
      `range "${raw.slice(0, 60)}" cannot be served from ${size} bytes`,
      416,
      { size },
    );
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable();
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
}

export function uploadLocation(name: string, id: string): string {
  return `/v2/${name}/blobs/uploads/${id}`;
}

export function blobLocation(name: string, digest: string): string {
  return `/v2/${name}/blobs/${digest}`;
}
