import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';

/* `berth search`: what the console's search box finds, against a real server. */
describe('berth search', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;

  it('finds namespaces, repositories, tags and digests by how they start (table and JSON)', async () => {
    const ns = await berth(['search', 'team']);
    expect(ns.code, ns.stderr).toBe(0);
    expect(ns.stdout).toBe(
      'KIND       NAME        DETAIL\nnamespace  team-alpha\nnamespace  team-beta\n',
    );
    const tag = await berth(['search', 'team-alpha/web/app:1']);
    expect(tag.stdout).toMatch(/^tag\s+team-alpha\/web\/app:1\.0\s+sha256:[0-9a-f]{12}$/m);
    const digest = await berth(['search', cli.reg.v2.digest.slice(0, 16)]);
    expect(digest.stdout).toMatch(
      new RegExp(`^digest\\s+team-alpha/web/app@${cli.reg.v2.digest}\\s+2\\.0,latest$`, 'm'),
    );
    const json = await berth(['search', 'team', '-o', 'json']);
    const api = await cli.server.api().get(apiPaths.search()).query({ q: 'team' }).expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body);
    const none = await berth(['search', 'zzz']);
    expect(none.stdout).toBe('nothing starts with "zzz"\n');
  });

  it('says on stderr when a kind was cut at --limit', async () => {
    const one = await berth(['search', 'team', '--limit', '1']);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(one.stderr).toBe(
      '(more namespaces than shown: type more of the name, or raise --limit)\n',
    );
  });

  it('bad input is exit 2 with the contract message; others only find what they may read', async () => {
    const empty = await berth(['search', ' ']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('berth: q: type at least one character to search for\n');
    const limit = await berth(['search', 'team', '--limit', '11']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toBe('berth: limit: limit must be at most 10\n');
    expect((await berth(['search'])).code).toBe(2);
    const u = await addAccount(cli.server, 'beta-only', { namespaces: { 'team-beta': 'viewer' } });
    const key = await createKey(
      await signIn(cli.server.url, u.username, u.password),
      'k',
      'read-only',
    );
    const theirs = await berth(['search', 'team', '-o', 'json'], { env: { BERTH_API_KEY: key } });
    expect(JSON.parse(theirs.stdout).namespaces.items).toEqual([{ namespace: 'team-beta' }]);
    const wrong = await berth(['search', 'team'], { env: { BERTH_API_KEY: 'berth_wrong' } });
    expect(wrong.code).toBe(4);
  });
});
