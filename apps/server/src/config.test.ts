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
