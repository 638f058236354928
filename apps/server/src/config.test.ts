import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-config-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const load = (extra: Record<string, string>) =>
  loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_PORT: '0', BERTH_DEMO: '0', ...extra });

function problemsOf(extra: Record<string, string>): string[] {
  try {
    load(extra);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration was accepted');
}

describe('bulk work settings', () => {
  it('sizes chunks to 25 ms of at most 250 images unless told otherwise', () => {
    expect(load({}).operations).toMatchObject({ chunkImages: 250, chunkTargetMs: 25 });
    expect(load({ BERTH_BULK_CHUNK_MS: '0' }).operations.chunkTargetMs).toBe(0);
  });

  it('rests between chunks only when told to', () => {
    expect(load({}).operations.restMs).toBe(0);
    expect(load({ BERTH_BULK_REST_MS: '40' }).operations.restMs).toBe(40);
  });

  it.each(['BERTH_BULK_CHUNK_MS', 'BERTH_BULK_REST_MS'])(
    'refuses bad values of %s, naming it',
    (name) => {
      for (const value of ['-1', 'fast', '1.5', '10001']) {
        const problems = problemsOf({ [name]: value });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toContain(name);
      }
    },
  );
});

describe('BERTH_BLOB_REDIRECT', () => {
  const s3 = 's3://images/berth?endpoint=http://127.0.0.1:7480';

  it('is off unless set, and otherwise a lifetime with its unit, in seconds', () => {
    expect(load({}).blobRedirectSeconds).toBeNull();
    expect(load({ BERTH_BLOB_REDIRECT: 'off' }).blobRedirectSeconds).toBeNull();
    expect(load({ BERTH_BLOB_STORE: s3, BERTH_BLOB_REDIRECT: '300s' }).blobRedirectSeconds).toBe(
      300,
    );
    expect(load({ BERTH_BLOB_STORE: s3, BERTH_BLOB_REDIRECT: '20m' }).blobRedirectSeconds).toBe(
      1200,
    );
    expect(load({ BERTH_BLOB_STORE: s3, BERTH_BLOB_REDIRECT: '1h' }).blobRedirectSeconds).toBe(
      3600,
    );
    expect(load({ BERTH_BLOB_STORE: s3, BERTH_BLOB_REDIRECT: '1s' }).blobRedirectSeconds).toBe(1);
  });

  it.each([
    ['300', 'BERTH_BLOB_REDIRECT: "300" needs a unit: 300s for seconds, or minutes such as 20m'],
    [
      'soon',
      'BERTH_BLOB_REDIRECT: "soon" is not a lifetime: off, or seconds (300s), minutes (20m) or 1h',
    ],
    [
      '1.5m',
      'BERTH_BLOB_REDIRECT: "1.5m" is not a lifetime: off, or seconds (300s), minutes (20m) or 1h',
    ],
    [
      '-5s',
      'BERTH_BLOB_REDIRECT: "-5s" is not a lifetime: off, or seconds (300s), minutes (20m) or 1h',
    ],
    ['0s', 'BERTH_BLOB_REDIRECT: "0s" is not between 1s and 1h'],
    ['61m', 'BERTH_BLOB_REDIRECT: "61m" is not between 1s and 1h'],
    ['2h', 'BERTH_BLOB_REDIRECT: "2h" is not between 1s and 1h'],
  ])('refuses %s in one sentence', (value, problem) => {
    expect(problemsOf({ BERTH_BLOB_STORE: s3, BERTH_BLOB_REDIRECT: value })).toEqual([problem]);
  });

  it('is refused with blobs under the data directory, which cannot be presigned', () => {
    expect(problemsOf({ BERTH_BLOB_REDIRECT: '20m' })).toEqual([
      'BERTH_BLOB_REDIRECT: redirects send clients to the blob in S3, and blobs are kept under BERTH_DATA_DIR; set BERTH_BLOB_STORE=s3://… or BERTH_BLOB_REDIRECT=off',
    ]);
  });

  it('takes a public endpoint for the presigned URLs, which without redirects is a mistake', () => {
    const address = `${s3}&publicEndpoint=https://s3.example.com`;
    expect(
      load({ BERTH_BLOB_STORE: address, BERTH_BLOB_REDIRECT: '20m' }).blobStore?.publicEndpoint,
    ).toBe('https://s3.example.com');
    expect(problemsOf({ BERTH_BLOB_STORE: address })).toEqual([
      'BERTH_BLOB_STORE: publicEndpoint is only used by blob redirects, which are off; set BERTH_BLOB_REDIRECT (such as 20m) or remove publicEndpoint',
    ]);
  });
});

describe('BERTH_SCAN_ATTACH_SBOM', () => {
  it('is off unless set, and refuses a value that is not a yes or a no', () => {
    expect(load({}).scanning.attachSbom).toBe(false);
    expect(load({ BERTH_SCAN_ATTACH_SBOM: 'true' }).scanning.attachSbom).toBe(true);
    expect(load({ BERTH_SCAN_ATTACH_SBOM: '0' }).scanning.attachSbom).toBe(false);
    const problems = problemsOf({ BERTH_SCAN_ATTACH_SBOM: 'sometimes' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('BERTH_SCAN_ATTACH_SBOM');
  });
});

describe('BERTH_CIPHER_WORKERS', () => {
  it('is the default for the cores unless set, and refuses what is not 0 to 16 threads', () => {
    expect(load({}).cipherWorkers).toBeNull();
    expect(load({ BERTH_CIPHER_WORKERS: '0' }).cipherWorkers).toBe(0);
    expect(load({ BERTH_CIPHER_WORKERS: '3' }).cipherWorkers).toBe(3);
    for (const value of ['-1', '1.5', '17', 'many']) {
      const problems = problemsOf({ BERTH_CIPHER_WORKERS: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain('BERTH_CIPHER_WORKERS');
    }
  });
});
