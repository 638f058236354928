import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';
import { seedRepository } from '../../testing/operations.js';

/* `berth operations`: bulk work the server ran in chunks, listed and read back. */
describe('berth operations', () => {
  const cli = useBerthServer({ env: { BERTH_BULK_CHUNK_IMAGES: '4' } });
  const { berth } = cli;
  let id = '';

  it('lists a repository delete that ran as an operation, and shows it (table and JSON)', async () => {
    await seedRepository(cli.server, 'big/app', 10, { tagged: (i) => i % 2 === 1 });
    const rm = await berth(['repos', 'rm', 'team/big/app', '--force']);
    expect(rm.code, rm.stderr).toBe(0);

    const list = await berth(['operations', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+TARGET\s+STATE\s+DONE\s+BY\s+STARTED\s+FINISHED$/);
    expect(lines[1]).toMatch(
      /^\d+\s+repository\.delete\s+team\/big\/app\s+succeeded\s+10\/10\s+key:admin\//,
    );
    id = lines[1]!.split(/\s+/)[0]!;

    const json = await berth([
      'operations',
      'list',
      '--namespace',
      'team',
      '--state',
      'succeeded',
      '-o',
      'json',
    ]);
    const api = await cli.server
      .api()
      .get(apiPaths.operations())
      .query({ namespace: 'team' })
      .expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body.items);
    expect(
      JSON.parse((await berth(['operations', 'list', '--state', 'failed', '-o', 'json'])).stdout),
    ).toEqual([]);

    const get = await berth(['operations', 'get', id]);
    expect(get.stdout).toMatch(/^kind: +repository\.delete$/m);
    expect(get.stdout).toMatch(/^images: +10 of 10$/m);
    const one = await berth(['operations', 'get', id, '-o', 'json']);
    expect(JSON.parse(one.stdout)).toMatchObject({ id, state: 'succeeded', done: 10 });
  });

  it('bad input 2; unknown 3; another user does not see it (3)', async () => {
    const state = await berth(['operations', 'list', '--state', 'done']);
    expect(state.code).toBe(2);
    expect(state.stderr).toBe('berth: --state takes running, succeeded, failed (got "done")\n');
    expect((await berth(['operations', 'list', '--namespace', 'No'])).code).toBe(2);
    expect((await berth(['operations', 'get'])).code).toBe(2);
    expect((await berth(['operations', 'get', '999999'])).code).toBe(3);
    const u = await addAccount(cli.server, 'other');
    const key = await createKey(
      await signIn(cli.server.url, u.username, u.password),
      'k',
      'read-only',
    );
    const env = { BERTH_API_KEY: key };
    expect(JSON.parse((await berth(['operations', 'list', '-o', 'json'], { env })).stdout)).toEqual(
      [],
    );
    expect((await berth(['operations', 'get', id], { env })).code).toBe(3);
  });
});
