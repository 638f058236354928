import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

  /** Pushes images to team-alpha/multi with these tags, then moves them to the trash. */
  const trashed = async (seeds: Record<string, string[]>) => {
    const pushed: Record<string, string> = {};
    for (const [seed, tags] of Object.entries(seeds)) {
      const m = await pushArtifact(cli.server, 'team-alpha/multi', seed);
      for (const tag of tags) await putManifest(cli.server, 'team-alpha/multi', tag, m).expect(201);
      pushed[seed] = m.digest;
    }
    await cli.server
      .api()
      .post(apiPaths.imagesDelete('team-alpha'))
      .send({
        images: Object.values(pushed).map((digest) => ({ repository: 'multi', digest })),
      })
      .expect(200);
    return pushed;
  };

  it('restores several images at once: each one, and every tag that could not come back', async () => {
    const { m1, m2 } = await trashed({ m1: ['one'], m2: ['two'] });
    // Another image holds "two" now: m2 comes back without it.
    const m3 = await pushArtifact(cli.server, 'team-alpha/multi', 'm3');
    await putManifest(cli.server, 'team-alpha/multi', 'two', m3).expect(201);
    const run = await berth([
      'trash',
      'restore',
      `team-alpha/multi@${m1}`,
      `team-alpha/multi@${m2}`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`restored team-alpha/multi@${m1} (tags: one)\n`);
    expect(run.stdout).toMatch(
      new RegExp(
        `restored team-alpha/multi@${m2} \\(tags: -\\)\ntag two not restored: .+ \\(held by ${m3.digest}\\)\n`,
      ),
    );
    expect(run.stdout.split('\n')).toHaveLength(4);
    const live = await cli.server.api().get(apiPaths.images('team-alpha', 'multi')).expect(200);
    expect(
      (live.body as { items: { digest: string }[] }).items.map((i) => i.digest).sort(),
    ).toEqual([m1, m2, m3.digest].sort());
  });

  it('restores what a trash list piped to --from-file - names (and from a file)', async () => {
    const { p1, p2 } = await trashed({ p1: ['p-one'], p2: [] });
    const list = await berth([
      'trash',
      'list',
      'team-alpha',
      '--repository',
      'multi',
      '-o',
      'json',
    ]);
    // What `jq -r '.[] | "team-alpha/\(.repository)@\(.digest)"'` writes.
    const lines = (JSON.parse(list.stdout) as { repository: string; digest: string }[])
      .map((t) => `team-alpha/${t.repository}@${t.digest}\n`)
      .join('');
    expect(lines.split('\n')).toHaveLength(3);
    const run = await berth(['trash', 'restore', '--from-file', '-', '-o', 'json'], {
      input: `${lines}\n`,
    });
    expect(run.code, run.stderr).toBe(0);
    const done = JSON.parse(run.stdout) as { restored: number; images: { digest: string }[] };
    expect(done.restored).toBe(2);
    expect(done.images.map((i) => i.digest).sort()).toEqual([p1, p2].sort());

    const { p3 } = await trashed({ p3: [] });
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'berth-restore-')), 'refs.txt');
    fs.writeFileSync(file, `team-alpha/multi@${p3}\n`);
    const fromFile = await berth(['trash', 'restore', '--from-file', file]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stdout).toBe(`restored team-alpha/multi@${p3} (tags: -)\n`);
  });

  it('several restores refuse mixed namespaces, tags, bad or unknown references; nothing changes', async () => {
    const { b1 } = await trashed({ b1: ['b-one'] });
    const unknown = `sha256:${'0'.repeat(64)}`;
    const before = await cli.server.dump();
    const cases: [string[], string | undefined, number, string][] = [
      [
        [`team-alpha/multi@${b1}`, `team-beta/db@${unknown}`],
        undefined,
        2,
        'berth: all references must be in one namespace (got team-alpha, team-beta): run one command per namespace\n',
      ],
      [
        [`team-alpha/multi@${b1}`, 'team-alpha/multi:b-one'],
        undefined,
        2,
        'berth: team-alpha/multi:b-one: several images are restored by digest (<namespace>/<repository>@<digest>); restore a tag on its own\n',
      ],
      [
        ['--from-file', '-'],
        `team-alpha/multi@${b1}\nteam-alpha/multi@sha256:12\n`,
        2,
        'berth: digest "sha256:12" ',
      ],
      [
        [`team-alpha/multi@${b1}`, `team-alpha/multi@${unknown}`],
        undefined,
        3,
        `berth: the trash of team-alpha/multi holds no image ${unknown}; nothing was restored (TRASH_ENTRY_UNKNOWN, HTTP 404)\n`,
      ],
      [['--from-file', '-'], '\n \n', 2, 'berth: --from-file: stdin holds no references\n'],
      [
        ['--from-file', '/nonexistent/refs'],
        undefined,
        2,
        'berth: --from-file: cannot read "/nonexistent/refs" (ENOENT)\n',
      ],
      [[], undefined, 2, 'berth: missing argument: give an <image>, or --from-file FILE\n'],
    ];
    for (const [args, input, code, message] of cases) {
      const run = await berth(['trash', 'restore', ...args], { input });
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr.startsWith(message), run.stderr).toBe(true);
      expect(run.stdout).toBe('');
    }
    expect(await cli.server.dump()).toBe(before);
  });
});
