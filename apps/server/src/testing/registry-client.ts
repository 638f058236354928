import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type request from 'supertest';
import { expect } from 'vitest';
import { MEDIA_TYPES } from '../seed/oci-content.js';
import type { TestServer } from './test-server.js';
import { type AnyResponse, expectOciError } from './oci-errors.js';

// /v2 spoken by hand for tests that build their content byte by byte (sha512 digests,
// artifacts): no client we can run produces those.

export const OCTETS = 'application/octet-stream';
export type Algorithm = 'sha256' | 'sha512';

export function digestOf(bytes: Uint8Array, algorithm: Algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

/** The bytes as they are: superagent would otherwise JSON-encode a Buffer sent as `+json`. */
export function sendBytes(req: request.Test, type: string, bytes: Buffer): request.Test {
  return req
    .set('Content-Type', type)
    .serialize((body: Buffer) => body as unknown as string)
    .send(bytes);
}

/** Single-request upload (`POST ?digest=`), in the given algorithm. */
export async function pushBlob(
  server: TestServer,
  repo: string,
  bytes: Buffer,
  algorithm: Algorithm = 'sha256',
): Promise<string> {
  const digest = digestOf(bytes, algorithm);
  const res = await server
    .api()
    .post(`/v2/${repo}/blobs/uploads/`)
    .query({ digest })
    .set('Content-Type', OCTETS)
    .send(bytes)
    .expect(201);
  expect(res.headers['docker-content-digest']).toBe(digest);
  return digest;
}

export interface RawManifest {
  mediaType: string;
  bytes: Buffer;
}

export function putManifest(
  server: TestServer,
  repo: string,
  reference: string,
  m: RawManifest,
): request.Test {
  return sendBytes(server.api().put(`/v2/${repo}/manifests/${reference}`), m.mediaType, m.bytes);
}

/**
 * An OCI image manifest over one config and one layer, both uploaded, every digest in
 * `algorithm`. `extra` adds fields (artifactType, subject, annotations) to the manifest.
 */
export async function pushArtifact(
  server: TestServer,
  repo: string,
  seed: string,
  opts: {
    algorithm?: Algorithm;
    configType?: string;
    extra?: Record<string, unknown>;
  } = {},
): Promise<RawManifest & { digest: string }> {
  const algorithm = opts.algorithm ?? 'sha256';
  const config = json({ seed, architecture: 'amd64', os: 'linux' });
  const layer = Buffer.from(`layer of ${seed}`);
  const configDigest = await pushBlob(server, repo, config, algorithm);
  const layerDigest = await pushBlob(server, repo, layer, algorithm);
  const m = {
    mediaType: MEDIA_TYPES.manifest,
    bytes: json({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: {
        mediaType: opts.configType ?? MEDIA_TYPES.config,
        digest: configDigest,
        size: config.length,
      },
      layers: [{ mediaType: MEDIA_TYPES.layer, digest: layerDigest, size: layer.length }],
      ...opts.extra,
    }),
  };
  const digest = digestOf(m.bytes, algorithm);
  const res = await putManifest(server, repo, digest, m).expect(201);
  expect(res.headers['docker-content-digest']).toBe(digest);
  return { ...m, digest };
}

export function uploadFiles(server: TestServer): string[] {
  const dir = path.join(server.dataDir, 'uploads');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort();
}

/** Sends a write that must be refused, and checks that the database, blobs and uploads stayed. */
export async function refused<R extends AnyResponse>(
  server: TestServer,
  send: () => PromiseLike<R>,
  status: number,
  code: string,
): Promise<R> {
  const before = [await server.dump(), server.blobFiles(), uploadFiles(server)];
  const res = await send();
  expectOciError(res, status, code);
  expect([await server.dump(), server.blobFiles(), uploadFiles(server)]).toEqual(before);
  return res;
}

/** A blob as `server` serves it through `repo` (decrypted when it is stored encrypted). */
export async function pullBlob(server: TestServer, repo: string, digest: string): Promise<Buffer> {
  const res = await server
    .api()
    .get(`/v2/${repo}/blobs/${digest}`)
    .buffer(true)
    .parse(binary)
    .expect(200);
  return res.body as Buffer;
}

/** A supertest parser that keeps a response body as bytes, whatever its content type. */
export function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}
