import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { signIn } from '../../testing/accounts.js';
import { useBerthServer } from '../../testing/berth-cli.js';
import { pushArtifact, putManifest } from '../../testing/registry-client.js';
import { ADMIN } from '../../testing/test-server.js';

describe('berth images', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;

  const imagesOf = async (repo: string) =>
    (
      (await cli.server.api().get(apiPaths.images('team-alpha', repo)).expect(200)).body as {
        items: { digest: string; tags: string[] }[];
      }
    ).items;

  it('get shows one image: tags, pull reference, layers, signatures (table and JSON)', async () => {
    const run = await berth(['images', 'get', 'team-alpha/web/app:latest']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`^image: +team-alpha/web/app@${cli.reg.v2.digest}$`, 'm'),
    );
    expect(run.stdout).toMatch(/^tags: +(2\.0,latest|latest,2\.0)$/m);
    expect(run.stdout).toMatch(/^LAYER\s+SIZE\s+MEDIA TYPE$/m);
    expect(run.stdout).toMatch(
      new RegExp(`^REFERRER\\s+TYPE\\s+PUSHED\n${cli.reg.sig.digest.slice(0, 19)}\\s`, 'm'),
    );
    const json = await berth([
      'images',
      'get',
      `team-alpha/web/app@${cli.reg.v2.digest}`,
      '-o',
      'json',
    ]);
    const api = await cli.server
      .api()
      .get(apiPaths.image('team-alpha', 'web/app', cli.reg.v2.digest))
      .expect(200);
    expect(JSON.parse(json.stdout)).toEqual(api.body);
    const index = await berth(['images', 'get', 'team-alpha/tools:stable']);
    expect(index.stdout).toMatch(/^PLATFORM\s+DIGEST\s+SIZE\nlinux\/amd64\s/m);
    expect((await berth(['images', 'get', 'team-alpha/web/app:nope'])).code).toBe(3);
    expect((await berth(['images', 'get', 'team-alpha/web/app'])).code).toBe(2);
  });

  it('manifest prints the manifest byte for byte: its digest is the image digest', async () => {
    const run = await berth(['images', 'manifest', 'team-alpha/web/app:2.0', '-o', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const digest = `sha256:${createHash('sha256').update(run.stdout, 'utf8').digest('hex')}`;
    expect(digest).toBe(cli.reg.v2.digest);
  });

  it('lists images with short digests and tags; --untagged and --tagged filter', async () => {
    const run = await berth(['images', 'list', 'team-alpha/web/app']);
    expect(run.code).toBe(0);
    const rows = run.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^DIGEST\s+TAGS\s+SIZE\s+CREATED\s+PUSHED$/);
    expect(rows[1]).toMatch(
      new RegExp(`^${cli.reg.v2.digest.slice(0, 19)}\\s+(latest,2\\.0|2\\.0,latest)\\s`),
    );
    expect(rows).toHaveLength(4);
    const untagged = await berth([
      'images',
      'list',
      'team-alpha/web/app',
      '--untagged',
      '-o',
      'json',
    ]);
    expect((JSON.parse(untagged.stdout) as { digest: string }[]).map((i) => i.digest)).toEqual([
      cli.reg.old.digest,
    ]);
    const both = await berth(['images', 'list', 'team-alpha/web/app', '--untagged', '--tagged']);
    expect(both.code).toBe(2);
  });

  it('untag removes one tag and keeps the image', async () => {
    const run = await berth(['images', 'untag', 'team-alpha/web/app:2.0']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`removed tag 2.0 from team-alpha/web/app@${cli.reg.v2.digest}\n`);
    expect((await imagesOf('web/app')).find((i) => i.digest === cli.reg.v2.digest)?.tags).toEqual([
      'latest',
    ]);
    const again = await berth(['images', 'untag', 'team-alpha/web/app:2.0']);
    expect(again.code).toBe(3);
    const digest = await berth(['images', 'untag', `team-alpha/web/app@${cli.reg.v2.digest}`]);
    expect(digest.code).toBe(2);
  });

  it('rm by tag and by digest moves the image to the trash', async () => {
    const byTag = await berth(['images', 'rm', 'team-alpha/web/app:1.0']);
    expect(byTag.code).toBe(0);
    expect(byTag.stdout).toMatch(
      new RegExp(`^moved to the trash: team-alpha/web/app@${cli.reg.v1.digest} \\(tags: 1\\.0, `),
    );
    const byDigest = await berth([
      'images',
      'rm',
      `team-alpha/web/app@${cli.reg.old.digest}`,
      '-o',
      'json',
    ]);
    expect(byDigest.code).toBe(0);
    expect(JSON.parse(byDigest.stdout)).toMatchObject({
      trashed: [{ digest: cli.reg.old.digest, tags: [] }],
    });
    expect((await imagesOf('web/app')).map((i) => i.digest)).toEqual([cli.reg.v2.digest]);
  });

  /** Two images in team-alpha/bulk/one (one tagged a1, one untagged), one in bulk/two (c1). */
  const pushBulk = async (seed: string) => {
    const a = await pushArtifact(cli.server, 'team-alpha/bulk/one', `${seed}-a`);
    await putManifest(cli.server, 'team-alpha/bulk/one', 'a1', a).expect(201);
    const b = await pushArtifact(cli.server, 'team-alpha/bulk/one', `${seed}-b`);
    const c = await pushArtifact(cli.server, 'team-alpha/bulk/two', `${seed}-c`);
    await putManifest(cli.server, 'team-alpha/bulk/two', 'c1', c).expect(201);
    return { a, b, c };
  };

  it('rm with several images (tags and digests, two repositories) trashes them in one request', async () => {
    const { a, b, c } = await pushBulk('bulk');
    const run = await berth([
      'images',
      'rm',
      'team-alpha/bulk/one:a1',
      `team-alpha/bulk/one@${b.digest}`,
      'team-alpha/bulk/two:c1',
      // The same image again, by digest: sent once.
      `team-alpha/bulk/one@${a.digest}`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n').slice(0, -1)).toEqual([
      expect.stringMatching(
        new RegExp(`^moved to the trash: team-alpha/bulk/one@${a.digest} \\(tags: a1, \\d+ B\\)$`),
      ),
      expect.stringMatching(
        new RegExp(`^moved to the trash: team-alpha/bulk/one@${b.digest} \\(tags: -, \\d+ B\\)$`),
      ),
      expect.stringMatching(
        new RegExp(`^moved to the trash: team-alpha/bulk/two@${c.digest} \\(tags: c1, \\d+ B\\)$`),
      ),
    ]);
    expect(await imagesOf('bulk/one')).toEqual([]);
    expect(await imagesOf('bulk/two')).toEqual([]);
    const trash = await berth(['trash', 'list', 'team-alpha', '-o', 'json']);
    const listed = (JSON.parse(trash.stdout) as { repository: string; digest: string }[]).map(
      (t) => `${t.repository}@${t.digest}`,
    );
    expect(listed).toEqual(
      expect.arrayContaining([
        `bulk/one@${a.digest}`,
        `bulk/one@${b.digest}`,
        `bulk/two@${c.digest}`,
      ]),
    );
    // One request, so one audit event naming all three.
    const audit = await cli.server
      .api()
      .get(apiPaths.audit())
      .query({ action: 'image.delete', namespace: 'team-alpha', limit: 1 })
      .expect(200);
    const [event] = (audit.body as { items: { details: { images: unknown[] } }[] }).items;
    expect(event?.details.images).toHaveLength(3);
  });

  it('rm with several images: mixed namespaces, a bad reference or an unknown one change nothing', async () => {
    const { a, b } = await pushBulk('again');
    const before = await imagesOf('bulk/one');
    const dump = await cli.server.dump();
    const mixed = await berth(['images', 'rm', 'team-alpha/bulk/one:a1', 'team-beta/db:15']);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toBe(
      'berth: all references must be in one namespace (got team-alpha, team-beta): run one command per namespace\n',
    );
    const malformed = await berth([
      'images',
      'rm',
      'team-alpha/bulk/one:a1',
      'team-alpha/bulk/one',
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toBe(
      'berth: "team-alpha/bulk/one" names no image: write <namespace>/<repository>@<digest> or :<tag>\n',
    );
    const unknown = `sha256:${'0'.repeat(64)}`;
    const missing = await berth([
      'images',
      'rm',
      `team-alpha/bulk/one@${a.digest}`,
      `team-alpha/bulk/one@${unknown}`,
    ]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe(
      `berth: image ${unknown} does not exist in team-alpha/bulk/one (IMAGE_UNKNOWN, HTTP 404)\n`,
    );
    const noTag = await berth([
      'images',
      'rm',
      `team-alpha/bulk/one@${b.digest}`,
      'team-alpha/bulk/one:zz',
    ]);
    expect(noTag.code).toBe(3);
    expect(noTag.stderr).toBe('berth: team-alpha/bulk/one:zz: no image holds this tag\n');
    expect(await imagesOf('bulk/one')).toEqual(before);
    expect(await cli.server.dump()).toBe(dump);
  });

  it('bad references are exit 2, unknown ones 3, and a read-only key 4; nothing changes', async () => {
    const before = await cli.server.dump();
    for (const ref of [
      'team-alpha/web/app',
      'team-alpha/web/app@sha256:123',
      'team-alpha/web/app:-x',
    ]) {
      const run = await berth(['images', 'rm', ref]);
      expect(run.code, ref).toBe(2);
      expect(run.stderr, ref).toMatch(/^berth: /);
    }
    expect((await berth(['images', 'rm', 'team-alpha/web/app:nope'])).code).toBe(3);
    expect(
      (await berth(['images', 'rm', `team-alpha/web/app@sha256:${'0'.repeat(64)}`])).code,
    ).toBe(3);
    expect((await berth(['images', 'list', 'team-alpha/nothing-here'])).code).toBe(3);

    const admin = await signIn(cli.server.url, ADMIN.username, ADMIN.password);
    const key = await admin.agent
      .post(apiPaths.apiKeys())
      .send({ name: 'ro', access: 'read-only' })
      .expect(201);
    const afterKey = await cli.server.dump();
    const readOnly = await berth(['images', 'rm', 'team-alpha/web/app:latest'], {
      env: { BERTH_API_KEY: (key.body as { secret: string }).secret },
    });
    expect(readOnly.code).toBe(4);
    expect(await cli.server.dump()).toBe(afterKey);
    expect(before).not.toBe(afterKey);
  });
});
