import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFilesystemDriver } from '../blobs/filesystem-driver.js';
import { createMemoryDriver } from '../blobs/memory-driver.js';
import { BlobCopyError, copyBlobs } from './copy-blobs.js';

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('copyBlobs with blobs stored in another form (encrypted at rest)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-copy-blobs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('copies stored bytes of the named blobs as they are, and content-verifies the others', async () => {
    const source = createFilesystemDriver(dir);
    const target = createMemoryDriver();
    const plain = Buffer.from('a plaintext layer');
    await source.put(digestOf(plain), plain);
    const content = Buffer.from('the content of an encrypted layer');
    const ciphertext = Buffer.from('BERTHENC… stands in for the ciphertext of that layer');
    const encrypted = digestOf(content);
    await source.putStored(encrypted, ciphertext, {
      sha256: sha256(ciphertext),
      size: ciphertext.length,
    });

    // Without naming it, the ciphertext does not hash to its digest: refused as damaged.
    await expect(copyBlobs(source, createMemoryDriver())).rejects.toBeInstanceOf(BlobCopyError);

    const result = await copyBlobs(source, target, { storedForm: new Set([encrypted]) });
    expect(result).toMatchObject({ copied: 2, present: 0 });
    expect(await target.readAll(encrypted)).toEqual(ciphertext);
    expect(await target.readAll(digestOf(plain))).toEqual(plain);
    // A second run finds both in place and checks them.
    const again = await copyBlobs(source, target, { storedForm: new Set([encrypted]) });
    expect(again).toMatchObject({ copied: 0, present: 2 });

    // Other stored bytes already under that name in the target are refused, not overwritten.
    const other = createMemoryDriver();
    const wrong = Buffer.from('something else');
    await other.putStored(encrypted, wrong, { sha256: sha256(wrong), size: wrong.length });
    await expect(
      copyBlobs(source, other, { storedForm: new Set([encrypted]) }),
    ).rejects.toBeInstanceOf(BlobCopyError);
    expect(await other.readAll(encrypted)).toEqual(wrong);
  });
});
