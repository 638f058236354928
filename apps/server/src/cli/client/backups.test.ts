import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';

/* `berth backups list`: the schedule, the last good backup and the runs, from a real run. */
describe.skipIf(process.env.BERTH_TEST_ENGINE === 'postgres')('berth backups', () => {
  const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-backups-')), 'b');
  afterAll(() => fs.rmSync(path.dirname(target), { recursive: true, force: true }));
  const cli = useBerthServer({
    seed: 'small',
    env: { BERTH_BACKUP_TARGET: target, BERTH_BACKUP_AT: '03:30', BERTH_BACKUP_KEEP: '2' },
  });
  const { berth } = cli;

  it('before any run: the schedule and "never"', async () => {
    const run = await berth(['backups', 'list']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(
      `schedule:     daily at 03:30 UTC into ${target}, keeping 2\n` +
        'last success: never\n' +
        'no runs recorded\n',
    );
  });

  it('after a scheduled run: its backup, size and the runs table (and JSON)', async () => {
    expect(await cli.server.services.backups.tick()).toBe(true);
    const run = await berth(['backups', 'list']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^last success: \S+ at 2026-\d\d-\d\d \d\d:\d\dZ \(\d+(\.\d)? KiB\)$/m,
    );
    expect(run.stdout).toMatch(
      /^STARTED\s+STATE\s+BACKUP\s+SIZE\s+COPIED\s+PRUNED\s+ERROR\n\S+ \S+\s+succeeded\s+/m,
    );
    const json = await berth(['backups', 'list', '-o', 'json']);
    const api = await cli.server.api().get(apiPaths.backups()).expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body);
  }, 120_000);

  it('is for administrators (exit 4), and takes no arguments (exit 2)', async () => {
    const u = await addAccount(cli.server, 'someone');
    const key = await createKey(
      await signIn(cli.server.url, u.username, u.password),
      'k',
      'read-write',
    );
    const denied = await berth(['backups', 'list'], { env: { BERTH_API_KEY: key } });
    expect(denied.code).toBe(4);
    expect(denied.stdout).toBe('');
    const extra = await berth(['backups', 'list', 'now']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe('berth: unexpected argument "now": berth backups list\n');
    const help = await berth(['backups', '--help']);
    expect(help.stdout).toMatch(/^ {2}list +the backup schedule/m);
  });
});
