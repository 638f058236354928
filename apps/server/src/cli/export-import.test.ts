import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import type { BuiltManifest } from '../seed/oci-content.js';
import { layoutEntries, readTar, writeTar, type TarEntry } from '../testing/layout-tar.js';
import {
  allBlobs,
  cosignSignatureTag,
  layoutBlob,
  layoutRefDigest,
  randomImage,
  randomIndex,
  readLayout,
  signatureFor,
  writeLayout,
} from '../testing/oci-layout.js';
import {
  type ContainerTools,
  containerTools,
  hasContainerTools,
} from '../testing/container-tools.js';
import { hasSkopeo, inspectRaw, pushLayout, skopeo } from '../testing/skopeo.js';
import { runServerCli } from '../testing/server-cli.js';
import { ADMIN, startTestServer, type TestServer } from '../testing/test-server.js';

const EXPORT_CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../dist/cli/export.js',
);

/*
 * `berth export` and `berth import` as an operator runs them (the built CLIs, child processes
 * beside a serving Berth), checked with skopeo: what export writes skopeo reads byte for byte,
 * what skopeo writes import takes, and bad archives change nothing.
 */

describe.skipIf(!hasSkopeo())('berth export / berth import with skopeo', () => {
  let server: TestServer;
  let work: string;
  let host: string;
  const creds = () => ({ creds: `${ADMIN.username}:${server.adminKey}` });

  const image = randomImage({ seed: 'export-image', layers: 2, layerBytes: 40 * 1024 });
  const older = randomImage({ seed: 'export-older', layers: 1, layerBytes: 8 * 1024 });
  const index = randomIndex({
    seed: 'export-index',
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ],
    layers: 2,
    layerBytes: 12 * 1024,
  });
  const signature = signatureFor(image, 'export-signature');
  const untaggedSignature = signatureFor(index, 'export-index-signature');

  /** Beside `target`, over its data directory (and its database, on PostgreSQL). */
  const cli = (
    name: 'export' | 'import',
    args: string[],
    target: TestServer = server,
    extraEnv: Record<string, string> = {},
  ) =>
    runServerCli(
      name,
      args,
      {
        BERTH_DATA_DIR: target.dataDir,
        ...(target.databaseUrl ? { BERTH_DATABASE_URL: target.databaseUrl } : {}),
        ...extraEnv,
      },
      120_000,
    );

  /** skopeo's own OCI archive of exports/app:v1, its image under `refName`. */
  const skopeoArchive = (file: string, refName: string) =>
    skopeo([
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      creds().creds,
      `docker://${host}/exports/app:v1`,
      `oci-archive:${file}:${refName}`,
    ]);

  async function push(manifest: BuiltManifest, destination: string) {
    const layout = path.join(work, `push-${manifest.digest.slice(7, 19)}`);
    writeLayout(layout, [{ manifest, ref: 'x' }]);
    await pushLayout(layout, 'x', `${host}/${destination}`, {
      ...creds(),
      all: manifest.children.length > 0,
    });
  }

  async function createNamespace(name: string, quotaBytes?: number) {
    await server
      .api()
      .post(apiPaths.namespaces())
      .send({ name, region: 'local', ...(quotaBytes ? { quotaBytes } : {}) })
      .expect(201);
  }

  function expectBlobsIn(dir: string, manifest: BuiltManifest) {
    for (const blob of allBlobs(manifest)) {
      expect(layoutBlob(dir, blob.digest).equals(blob.bytes), blob.digest).toBe(true);
    }
  }

  /**
   * What the registry holds: database rows and blob files. The audit log is left out: a refused
   * import is recorded there (see lastImportAudit), and that is the one change it makes.
   */
  async function snapshot() {
    const rows = JSON.parse(await server.dump()) as Record<string, unknown>;
    delete rows.audit_events;
    return { rows, files: server.blobFiles() };
  }

  async function lastImportAudit() {
    const res = await server
      .api()
      .get(apiPaths.audit())
      .query({ action: 'images.import', limit: 1 })
      .expect(200);
    return (res.body as { items: Record<string, unknown>[] }).items[0];
  }

  beforeAll(async () => {
    server = await startTestServer();
    host = server.url.replace('http://', '');
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-export-'));
    await createNamespace('exports');
    await createNamespace('imports');
    await push(older, 'exports/app:v1');
    // v1 moves to the newer image: the older one stays, untagged.
    await push(image, 'exports/app:v1');
    await push(image, 'exports/app:latest');
    await push(signature, `exports/app:${cosignSignatureTag(image)}`);
    await push(index, 'exports/tools/multi:v1');
    await push(untaggedSignature, 'exports/tools/multi:sig-tmp');
    await server.api().delete('/v2/exports/tools/multi/manifests/sig-tmp').expect(202);
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('exports a namespace that skopeo reads back byte for byte', async () => {
    const out = path.join(work, 'exports.tar');
    const result = await cli('export', ['exports', '--out', out, '--output', 'json']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const summary = JSON.parse(result.stdout) as Record<string, number>;
    expect(summary).toMatchObject({ images: 5, tags: 4, archiveBytes: fs.statSync(out).size });

    const files = await readTar(out);
    const layoutDir = path.join(work, 'exported-layout');
    for (const [name, bytes] of files) {
      fs.mkdirSync(path.dirname(path.join(layoutDir, name)), { recursive: true });
      if (!name.endsWith('/')) fs.writeFileSync(path.join(layoutDir, name), bytes);
    }
    const layout = readLayout(layoutDir);
    expect([...layout.refs.keys()].sort()).toEqual(
      ['app:latest', 'app:v1', `app:${cosignSignatureTag(image)}`, 'tools/multi:v1'].sort(),
    );
    const untagged = layout.manifests.filter(
      (m) => !m.annotations?.['org.opencontainers.image.ref.name'],
    );
    expect(untagged.map((m) => m.digest).sort()).toEqual(
      [older.digest, untaggedSignature.digest].sort(),
    );
    // Each blob once: the shared layers of app:v1 and app:latest are one entry.
    const blobNames = [...files.keys()].filter(
      (n) => n.startsWith('blobs/sha256/') && n.length > 14,
    );
    expect(new Set(blobNames).size).toBe(blobNames.length);

    const pulled = path.join(work, 'pulled-app');
    await skopeo(['copy', '--preserve-digests', `oci-archive:${out}:app:v1`, `oci:${pulled}:v1`]);
    expect(layoutRefDigest(pulled, 'v1')).toBe(image.digest);
    expectBlobsIn(pulled, image);

    const pulledMulti = path.join(work, 'pulled-multi');
    await skopeo([
      'copy',
      '--all',
      '--preserve-digests',
      `oci-archive:${out}:tools/multi:v1`,
      `oci:${pulledMulti}:v1`,
    ]);
    expect(layoutRefDigest(pulledMulti, 'v1')).toBe(index.digest);
    expectBlobsIn(pulledMulti, index);
  });

  it('shows its progress on a terminal, and only there', async () => {
    const out = path.join(work, 'on-a-terminal.tar');
    const command = [process.execPath, EXPORT_CLI, 'exports', '--out', out]
      .map((arg) => `'${arg}'`)
      .join(' ');
    // util-linux `script` gives the command a pseudo-terminal, as a person's shell would.
    const shown = await new Promise<string>((resolve, reject) => {
      execFile(
        'script',
        ['-qfec', command, '/dev/null'],
        {
          env: {
            PATH: process.env.PATH,
            BERTH_DATA_DIR: server.dataDir,
            ...(server.databaseUrl ? { BERTH_DATABASE_URL: server.databaseUrl } : {}),
          },
          timeout: 120_000,
        },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    expect(shown).toMatch(/exporting: [\d.]+ \w+ of [\d.]+ \w+ \(\d+ %\)/);
    expect(shown).toMatch(/exported 5 image\(s\)/);
    expect(fs.existsSync(out)).toBe(true);
  });

  it('imports its own export into another namespace, every image and referrer intact', async () => {
    const out = path.join(work, 'round-trip.tar');
    const exported = await cli('export', ['exports', '--out', out]);
    expect(exported.code, exported.stdout + exported.stderr).toBe(0);
    // The archive is read where it lies: no scratch space is needed, so a TMPDIR that cannot
    // be written (a full or read-only /tmp) does not matter.
    const result = await cli('import', [out, '--into', 'imports', '--output', 'json'], server, {
      TMPDIR: path.join(work, 'no-such-tmp'),
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as { imported: { images: number; tags: number } };
    expect(report.imported).toMatchObject({ images: 5, tags: 4 });
    expect(await lastImportAudit()).toMatchObject({
      action: 'images.import',
      target: 'imports',
      outcome: 'success',
      details: expect.objectContaining({ imported: 5, tags: 4, refused: 0 }),
    });

    expect((await inspectRaw(`${host}/imports/app:v1`, creds())).equals(image.bytes)).toBe(true);
    expect((await inspectRaw(`${host}/imports/app:latest`, creds())).equals(image.bytes)).toBe(
      true,
    );
    expect(
      (await inspectRaw(`${host}/imports/app@${older.digest}`, creds())).equals(older.bytes),
    ).toBe(true);
    const pulled = path.join(work, 'imported-multi');
    await skopeo([
      'copy',
      '--all',
      '--preserve-digests',
      '--src-tls-verify=false',
      '--src-creds',
      creds().creds,
      `docker://${host}/imports/tools/multi:v1`,
      `oci:${pulled}:v1`,
    ]);
    expectBlobsIn(pulled, index);
    // Referrers are found through the referrers API, the untagged one included.
    const referrers = await server
      .api()
      .get(`/v2/imports/tools/multi/referrers/${index.digest}`)
      .expect(200);
    expect(referrers.body.manifests.map((m: { digest: string }) => m.digest)).toEqual([
      untaggedSignature.digest,
    ]);
    const signed = await server.api().get(`/v2/imports/app/referrers/${image.digest}`).expect(200);
    expect(signed.body.manifests.map((m: { digest: string }) => m.digest)).toEqual([
      signature.digest,
    ]);
  });

  it('imports what skopeo writes, naming the repository when the ref is only a tag', async () => {
    const named = path.join(work, 'skopeo-named.tar');
    await skopeoArchive(named, 'copied/app:v2');
    const namedImport = await cli('import', [named, '--into', 'imports']);
    expect(namedImport.code, namedImport.stdout + namedImport.stderr).toBe(0);
    expect((await inspectRaw(`${host}/imports/copied/app:v2`, creds())).equals(image.bytes)).toBe(
      true,
    );

    const bare = path.join(work, 'skopeo-bare.tar');
    await skopeoArchive(bare, 'v3');
    const before = await snapshot();
    const refused = await cli('import', [bare, '--into', 'imports']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/names no repository: pass --repository/);
    expect(await snapshot()).toEqual(before);
    const bareImport = await cli('import', [bare, '--into', 'imports', '--repository', 'bare']);
    expect(bareImport.code, bareImport.stdout + bareImport.stderr).toBe(0);
    expect((await inspectRaw(`${host}/imports/bare:v3`, creds())).equals(image.bytes)).toBe(true);
  });

  it('imports a layout directory, checking its blobs in place', async () => {
    const fromDir = randomImage({ seed: 'export-from-dir', layers: 1, layerBytes: 3000 });
    const dir = path.join(work, 'layout-dir');
    writeLayout(dir, [{ manifest: fromDir, ref: 'from-dir:v1' }]);
    const layer = path.join(dir, 'blobs', 'sha256', fromDir.layers[0]!.digest.slice(7));
    const original = fs.readFileSync(layer);
    fs.writeFileSync(layer, Buffer.from('tampered'));
    const before = await snapshot();
    const refused = await cli('import', [dir, '--into', 'imports']);
    expect(refused.code).toBe(1);
    // In a directory the blob is checked when its image is: that image is refused.
    expect(refused.stdout).toMatch(/refused .*from-dir.*hashes to sha256:/);
    expect(await snapshot()).toEqual(before);

    fs.writeFileSync(layer, original);
    const imported = await cli('import', [dir, '--into', 'imports']);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    expect((await inspectRaw(`${host}/imports/from-dir:v1`, creds())).equals(fromDir.bytes)).toBe(
      true,
    );
  });

  describe('refuses bad archives and stores nothing', () => {
    const small = randomImage({ seed: 'export-bad', layers: 1, layerBytes: 2048 });
    let good: { name: string; content: Buffer }[];
    beforeAll(() => {
      const dir = path.join(work, 'bad-source');
      writeLayout(dir, [{ manifest: small, ref: 'bad:v1' }]);
      good = layoutEntries(dir);
    });
    const layer = () => small.layers[0]!;
    const without = (digest: string) => good.filter((e) => !e.name.endsWith(digest.slice(7)));
    const cases: { name: string; entries: () => TarEntry[]; truncate?: number; error: RegExp }[] = [
      {
        name: 'a missing blob',
        entries: () => without(layer().digest),
        error: new RegExp(`blob ${layer().digest} is missing`),
      },
      {
        name: 'a blob that does not match its digest',
        entries: () => [
          ...without(layer().digest),
          {
            name: `blobs/sha256/${layer().digest.slice(7)}`,
            content: Buffer.from('not the layer'),
          },
        ],
        error: /hashes to sha256:.*the archive is corrupt/,
      },
      {
        name: 'a truncated archive',
        entries: () => good,
        truncate: 1500,
        error: /not a complete tar archive/,
      },
      {
        name: 'an entry outside the layout',
        entries: () => [{ name: '../escaped', content: 'x' }, ...good],
        error: /points outside the layout/,
      },
      {
        name: 'a symbolic link',
        entries: () => [{ name: 'blobs/sha256/link', symlinkTo: '/etc/passwd' }, ...good],
        error: /is a symlink/,
      },
      {
        name: 'a huge index.json',
        entries: () => [
          ...good.filter((e) => e.name !== 'index.json'),
          { name: 'index.json', content: Buffer.alloc(9 * 1024 * 1024, 0x20) },
        ],
        error: /index.json is \d+ bytes, more than/,
      },
      {
        name: 'something that is not a layout',
        entries: () => [{ name: 'hello.txt', content: 'hello' }],
        error: /not an OCI image layout/,
      },
    ];
    it.each(cases)('$name', async ({ entries, truncate, error }) => {
      const file = path.join(work, `bad-${Math.random().toString(36).slice(2)}.tar`);
      await writeTar(file, entries(), { truncateTo: truncate });
      const before = await snapshot();
      const result = await cli('import', [file, '--into', 'imports']);
      expect(result.code).toBe(1);
      expect(`${result.stdout}${result.stderr}`).toMatch(error);
      expect(await snapshot()).toEqual(before);
      expect(await lastImportAudit()).toMatchObject({
        actor: 'cli:import',
        target: 'imports',
        outcome: 'failure',
        details: expect.objectContaining({ imported: 0 }),
      });
      expect(fs.existsSync(path.join(work, 'escaped'))).toBe(false);
    });

    it('a namespace that does not exist, or a full quota', async () => {
      const file = path.join(work, 'good.tar');
      await writeTar(file, good);
      const before = await snapshot();
      const missing = await cli('import', [file, '--into', 'no-such-ns']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/namespace "no-such-ns" does not exist/);
      await createNamespace('tiny', 1024);
      const afterCreate = await snapshot();
      const full = await cli('import', [file, '--into', 'tiny']);
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/quota.*nothing was imported/i);
      expect(await snapshot()).toEqual(afterCreate);
      expect(before.files).toEqual(afterCreate.files);
    });
  });

  it('usage errors exit 2', async () => {
    expect((await cli('export', [])).code).toBe(2);
    expect((await cli('export', ['exports'])).code).toBe(2);
    expect((await cli('export', ['Bad Name', '--out', path.join(work, 'x.tar')])).code).toBe(2);
    expect((await cli('import', [path.join(work, 'x.tar')])).code).toBe(2);
    expect((await cli('import', ['--bogus'])).code).toBe(2);
    const help = await cli('export', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: berth export/);
  });

  /** Flips a byte of a stored layer, then exports: exit 1, the blob named, no file left. */
  async function exportCorrupted(target: TestServer, env: Record<string, string>) {
    await target.api().post(apiPaths.namespaces()).send({ name: 'corrupt', region: 'local' });
    const victim = randomImage({ seed: 'export-corrupt', layers: 1, layerBytes: 4096 });
    const layout = path.join(work, `corrupt-${Math.random().toString(36).slice(2)}`);
    writeLayout(layout, [{ manifest: victim, ref: 'x' }]);
    await pushLayout(layout, 'x', `${target.url.replace('http://', '')}/corrupt/app:v1`, {
      creds: `${ADMIN.username}:${target.adminKey}`,
    });
    const hex = victim.layers[0]!.digest.slice(7);
    const file = target.blobFiles().find((f) => f.endsWith(hex));
    expect(file).toBeDefined();
    const stored = path.join(target.dataDir, 'blobs', file!);
    const bytes = fs.readFileSync(stored);
    bytes[100] = bytes[100]! ^ 0xff;
    fs.writeFileSync(stored, bytes);
    const out = path.join(work, 'corrupt.tar');
    const result = await cli('export', ['corrupt/app:v1', '--out', out], target, env);
    expect(result.code).toBe(1);
    expect(fs.readdirSync(work).filter((f) => f.startsWith('corrupt.tar'))).toEqual([]);
    return { result, digest: victim.layers[0]!.digest };
  }

  it('a corrupt blob (encrypted store) fails the export loudly and leaves no file', async () => {
    // Encryption at rest refuses altered bytes before the export's own check sees them.
    const { result, digest } = await exportCorrupted(server, {});
    expect(result.stderr).toMatch(new RegExp(`berth export: .*${digest}`));
  });

  it('a corrupt blob (plaintext store) fails the export loudly and leaves no file', async () => {
    const env = { BERTH_ENCRYPT_IMAGE_DATA: 'false' };
    const plain = await startTestServer({ env });
    try {
      const { result, digest } = await exportCorrupted(plain, env);
      expect(result.stderr).toMatch(new RegExp(`berth export: stored blob ${digest} is corrupt`));
    } finally {
      await plain.stop();
    }
  });
  describe.skipIf(!hasContainerTools())('with podman', () => {
    let tools: ContainerTools;
    beforeAll(async () => {
      tools = containerTools();
      await createNamespace('podmans');
    });
    afterAll(() => tools?.dispose());

    const imageId = async (ref: string) => {
      const inspected = await tools.podman(['image', 'inspect', '--format', '{{.Id}}', ref]);
      expect(inspected.code, inspected.stderr).toBe(0);
      return inspected.stdout.trim();
    };

    it('podman reads what berth export writes, and berth import takes what podman save writes', async () => {
      // A real image (a tar layer podman can unpack), pushed by podman itself.
      await tools.buildImage('localhost/built:1', 'exported by berth, read by podman');
      const built = await imageId('localhost/built:1');
      const pushed = await tools.podman([
        'push',
        '--tls-verify=false',
        '--creds',
        creds().creds,
        'localhost/built:1',
        `${host}/podmans/built:1`,
      ]);
      expect(pushed.code, pushed.stderr).toBe(0);

      const out = path.join(work, 'for-podman.tar');
      const exported = await cli('export', ['podmans/built:1', '--out', out]);
      expect(exported.code, exported.stdout + exported.stderr).toBe(0);
      await tools.podman(['rmi', 'localhost/built:1']);
      const pulled = await tools.podman(['pull', `oci-archive:${out}:built:1`]);
      expect(pulled.code, pulled.stderr).toBe(0);
      // The same image: its id is its config's digest.
      expect(pulled.stdout.trim().split('\n').at(-1)).toBe(built);

      const saved = path.join(work, 'from-podman.tar');
      const save = await tools.podman([
        'save',
        '--format',
        'oci-archive',
        '-o',
        saved,
        pulled.stdout.trim().split('\n').at(-1)!,
      ]);
      expect(save.code, save.stderr).toBe(0);
      const imported = await cli('import', [saved, '--into', 'podmans', '--repository', 'saved']);
      expect(imported.code, imported.stdout + imported.stderr).toBe(0);
      const config = JSON.parse(
        (await inspectRaw(`${host}/podmans/saved@${await savedDigest(saved)}`, creds())).toString(
          'utf8',
        ),
      ) as { config: { digest: string } };
      expect(config.config.digest).toBe(`sha256:${built}`);
    });

    /** The digest of the one image in an OCI archive podman saved. */
    async function savedDigest(file: string): Promise<string> {
      const entries = await readTar(file);
      const index = JSON.parse(entries.get('index.json')!.toString('utf8')) as {
        manifests: { digest: string }[];
      };
      return index.manifests[0]!.digest;
    }
  });
});
