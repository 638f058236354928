import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berthAt } from '../../testing/berth-cli.js';
import { seedSmallRegistry } from '../../testing/fixtures.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

describe('berth gc', () => {
  let server: TestServer;
  let berth: ReturnType<typeof berthAt>;

  beforeAll(async () => {
    server = await startTestServer();
    await seedSmallRegistry(server);
    berth = berthAt(server);
  });
  afterAll(() => server.stop());

  it('--dry-run reports and removes nothing; a run reports what it removed', async () => {
    const blobs = server.blobFiles();
    const dry = await berth(['gc', 'run', '--dry-run', '-o', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, blobs: 0 });
    const run = await berth(['gc', 'run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^removed blobs: 0 \(0 B\)$/m);
    expect(server.blobFiles()).toEqual(blobs);
    expect((await berth(['gc', 'runs'])).code).toBe(2);
    expect((await berth(['gc', 'run', 'now'])).code).toBe(2);
  });
});
