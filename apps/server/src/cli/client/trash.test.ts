import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { useBerthServer } from '../../testing/berth-cli.js';
import { pushArtifact, putManifest } from '../../testing/registry-client.js';

describe('berth trash', () => {
  // web/app's v2 (latest, 2.0) and v1 (1.0), and tools' index (stable) go to the trash.
  const cli = useBerthServer({ seed: 'trashed' });
  const { berth } = cli;

  it('lists the trash with days left and who deleted, filtered by repository', async () => {
    const run = await berth(['trash', 'list', 'team-alpha']);
    expect(run.code).toBe(0);
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(
      /^REPOSITORY\s+DIGEST\s+TAGS\s+SIZE\s+DELETED\s+DAYS LEFT\s+REASON\s+BY$/,
    );
    expect(rows).toHaveLength(4);
    expect(rows.slice(1).every((r) => /\s30\s+deleted\s+user:admin|key:admin\//.test(r))).toBe(
      true,
    );
    const web = await berth([
      'trash',
      'list',
      'team-alpha',
      '--repository',
      'web/app',
      '-o',
      'json',
    ]);
    expect((JSON.parse(web.stdout) as { digest: string }[]).map((i) => i.digest).sort()).toEqual(
      [cli.reg.v1.digest, cli.reg.v2.digest].sort(),
    );
    const empty = await berth(['trash', 'list', 'team-beta']);
    expect(empty.stdout).toBe('the trash of team-beta is empty\n');
    const bad = await berth(['trash', 'list', 'team-alpha', '--search', 'a b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/q is the start of a tag or a digest/);
  });

  it('restores by digest and says which tags could not come back and why', async () => {
    // Another image holds "latest" now: v2 comes back with 2.0 only.
    const other = await pushArtifact(cli.server, 'team-alpha/web/app', 'newer');
    await putManifest(cli.server, 'team-alpha/web/app', 'latest', other).expect(201);
    const run = await berth(['trash', 'restore', `team-alpha/web/app@${cli.reg.v2.digest}`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `restored team-alpha/web/app@${cli.reg.v2.digest} (tags: 2.0)\n` +
        `tag latest not restored: ${run.stdout.split('tag latest not restored: ')[1]!.split(' (held by')[0]} (held by ${other.digest})\n`,
    );
    const again = await berth(['trash', 'restore', `team-alpha/web/app@${cli.reg.v2.digest}`]);
    expect(again.code).toBe(3);
  });

  it('restores by tag: the image that last held the tag, with it', async () => {
    const run = await berth(['trash', 'restore', 'team-alpha/web/app:1.0', '-o', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      restored: { repository: 'web/app', digest: cli.reg.v1.digest, tags: ['1.0'] },
      skippedTags: [],
    });
    const unknown = await berth(['trash', 'restore', 'team-alpha/web/app:never']);
    expect(unknown.code).toBe(3);
  });

  it('restore-repo brings back everything of a repository still in the trash', async () => {
    const run = await berth(['trash', 'restore-repo', 'team-alpha/tools']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('restored 1 images of team-alpha/tools\n');
    const images = await cli.server.api().get(apiPaths.images('team-alpha', 'tools')).expect(200);
    expect((images.body as { items: { tags: string[] }[] }).items[0]!.tags).toEqual(['stable']);
    const before = await cli.server.dump();
    const none = await berth(['trash', 'restore-repo', 'team-alpha/tools']);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/\(TRASH_ENTRY_UNKNOWN, HTTP 404\)\n$/);
    const bad = await berth(['trash', 'restore-repo', 'team-alpha']);
    expect(bad.code).toBe(2);
    expect(await cli.server.dump()).toBe(before);
  });
});
