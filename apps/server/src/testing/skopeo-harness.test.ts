import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltManifest } from '../seed/oci-content.js';
import { startDistribution, type Distribution } from './distribution.js';
import {
  allBlobs,
  cosignSignatureTag,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  randomIndex,
  signatureFor,
  writeLayout,
} from './oci-layout.js';
import { deleteImage, inspectRaw, pullToLayout, pushLayout } from './skopeo.js';

// Proves the harness itself against a reference registry, so a failure in Berth's /v2 tests
// points at Berth and not at the layouts or the skopeo wrapper.
// Not skipped when the tools are missing: CI installs them, and a silent skip would hide that.
describe('skopeo harness against CNCF Distribution', () => {
  const image = randomImage({ seed: 'harness-image', layers: 3, layerBytes: 24 * 1024 });
  const index = randomIndex({
    seed: 'harness-index',
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
    layers: 2,
    layerBytes: 16 * 1024,
  });
  const signature = signatureFor(image, 'harness-signature');

  let registry: Distribution;
  let work: string;
  let source: string;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-harness-'));
    source = path.join(work, 'source');
    writeLayout(source, [
      { manifest: image, ref: 'image' },
      { manifest: index, ref: 'index' },
      { manifest: signature, ref: 'signature' },
    ]);
    registry = await startDistribution();
  });

  afterAll(async () => {
    await registry?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  function freshLayout(name: string): string {
    return path.join(work, `pulled-${name}`);
  }

  function expectLayoutHolds(dir: string, ref: string, manifest: BuiltManifest): void {
    expect(layoutRefDigest(dir, ref)).toBe(manifest.digest);
    for (const blob of allBlobs(manifest)) {
      // Buffer#equals rather than toEqual: a diff of 24 KiB of random bytes helps nobody.
      expect(layoutBlob(dir, blob.digest).equals(blob.bytes), blob.digest).toBe(true);
    }
  }

  it('pushes and pulls a single image byte for byte', async () => {
    const ref = `${registry.host}/harness/image:v1`;
    expect(await pushLayout(source, 'image', ref)).toBe(image.digest);
    expect((await inspectRaw(ref)).equals(image.bytes)).toBe(true);

    const pulled = freshLayout('image');
    expect(await pullToLayout(ref, pulled, 'v1')).toBe(image.digest);
    expectLayoutHolds(pulled, 'v1', image);
  });

  it('pushes and pulls a multi-arch index with --all', async () => {
    const repo = `${registry.host}/harness/multi`;
    expect(await pushLayout(source, 'index', `${repo}:v1`, { all: true })).toBe(index.digest);
    expect((await inspectRaw(`${repo}:v1`)).equals(index.bytes)).toBe(true);
    for (const child of index.children) {
      expect((await inspectRaw(`${repo}@${child.digest}`)).equals(child.bytes)).toBe(true);
    }

    const pulled = freshLayout('index');
    expect(await pullToLayout(`${repo}:v1`, pulled, 'v1', { all: true })).toBe(index.digest);
    expectLayoutHolds(pulled, 'v1', index);
  });

  it('pushes a signature artifact for the image under its cosign tag', async () => {
    const repo = `${registry.host}/harness/signed`;
    await pushLayout(source, 'image', `${repo}:v1`);
    const sigRef = `${repo}:${cosignSignatureTag(image)}`;
    expect(await pushLayout(source, 'signature', sigRef)).toBe(signature.digest);

    const served = await inspectRaw(sigRef);
    expect(served.equals(signature.bytes)).toBe(true);
    expect(JSON.parse(served.toString('utf8'))).toMatchObject({
      artifactType: signature.artifactType,
      subject: { digest: image.digest, size: image.bytes.length },
    });

    const pulled = freshLayout('signature');
    expect(await pullToLayout(sigRef, pulled, 'sig')).toBe(signature.digest);
    expectLayoutHolds(pulled, 'sig', signature);
  });

  it('deletes a manifest by tag', async () => {
    const ref = `${registry.host}/harness/doomed:v1`;
    await pushLayout(source, 'image', ref);
    await deleteImage(ref);
    await expect(inspectRaw(ref)).rejects.toThrow(/manifest unknown/i);
  });
});
