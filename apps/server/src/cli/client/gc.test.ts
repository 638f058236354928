import { describe, expect, it } from 'vitest';
import { useBerthServer } from '../../testing/berth-cli.js';

describe('berth gc', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;

  it('--dry-run reports and removes nothing; a run reports what it removed', async () => {
    const blobs = cli.server.blobFiles();
    const dry = await berth(['gc', 'run', '--dry-run', '-o', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, blobs: 0 });
    const run = await berth(['gc', 'run']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^removed blobs: 0 \(0 B\)$/m);
    expect(cli.server.blobFiles()).toEqual(blobs);
    expect((await berth(['gc', 'runs'])).code).toBe(2);
    expect((await berth(['gc', 'run', 'now'])).code).toBe(2);
  });
});
