import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiPaths, type RepositoryExportPreview } from '@berth/contract';
import { addAccount, createKey, signIn } from '../../testing/accounts.js';
import { runBerth, useBerthServer } from '../../testing/berth-cli.js';

/* `berth repos export`: a repository downloaded as an OCI image layout tar, checked to the byte. */
describe('berth repos export', () => {
  const cli = useBerthServer({ seed: 'small' });
  const { berth } = cli;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cli-export-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = (name: string) => path.join(dir, name);

  const preview = async () =>
    (
      await cli.server
        .api()
        .get(apiPaths.repositoryExportPreview('team-alpha', 'web/app'))
        .expect(200)
    ).body as RepositoryExportPreview;

  it('writes the archive the API serves, byte for byte, and says what it holds', async () => {
    const file = out('app.tar');
    const run = await berth(['repos', 'export', 'team-alpha/web/app', '--out', file]);
    expect(run.code, run.stderr).toBe(0);
    const p = await preview();
    expect(run.stderr).toMatch(
      new RegExp(`^Exporting team-alpha/web/app: ${p.images} images, ${p.tags} tags, `),
    );
    expect(run.stdout).toMatch(
      new RegExp(`^wrote ${file}: .*, ${p.images} images, ${p.tags} tags\\n$`),
    );
    expect(fs.statSync(file).size).toBe(p.archiveBytes);
    const api = await cli.server
      .api()
      .get(apiPaths.repositoryExport('team-alpha', 'web/app'))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(fs.readFileSync(file).equals(api.body as Buffer)).toBe(true);
    const names = execFileSync('tar', ['tf', file], { encoding: 'utf8' }).split('\n');
    expect(names).toContain('oci-layout');
    expect(names).toContain('index.json');
    expect(fs.existsSync(`${file}.part`)).toBe(false);
  });

  it('on a terminal, shows a progress line; -o json prints the preview and the file', async () => {
    const file = out('tty.tar');
    const run = await berth(['repos', 'export', 'team-alpha/tools', '--out', file], { tty: true });
    expect(run.code).toBe(0);
    // Rewritten in place: carriage return and erase-line before each state of the line.
    expect(run.stdout).toContain('\r\x1b[2Kteam-alpha/tools: ');
    expect(run.stdout).toMatch(/team-alpha\/tools: [\d.]+ KiB of [\d.]+ KiB \(100%\)/);
    const json = await berth([
      'repos',
      'export',
      'team-alpha/tools',
      '--out',
      file,
      '--force',
      '-o',
      'json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      namespace: 'team-alpha',
      repository: 'tools',
      file,
      bytes: fs.statSync(file).size,
    });
  });

  it('refuses to replace a file without --force (5); bad input 2; unknown 3: nothing written', async () => {
    const file = out('app.tar');
    const before = fs.readFileSync(file);
    fs.writeFileSync(out('keep.txt'), 'mine');
    const exists = await berth(['repos', 'export', 'team-alpha/web/app', '--out', out('keep.txt')]);
    expect(exists.code).toBe(5);
    expect(exists.stderr).toMatch(/keep\.txt exists; pass --force to replace it\n$/);
    expect(fs.readFileSync(out('keep.txt'), 'utf8')).toBe('mine');
    expect((await berth(['repos', 'export', 'team-alpha/web/app'])).code).toBe(2);
    expect((await berth(['repos', 'export', 'team-alpha/web/app', '--out', dir])).code).toBe(2);
    expect((await berth(['repos', 'export', 'team-alpha', '--out', out('x.tar')])).code).toBe(2);
    const missing = await berth(['repos', 'export', 'team-alpha/nothing', '--out', out('x.tar')]);
    expect(missing.code).toBe(3);
    expect(fs.existsSync(out('x.tar'))).toBe(false);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  it('a user who may not read the namespace gets nothing: it answers as missing (exit 3)', async () => {
    const u = await addAccount(cli.server, 'outsider', { namespaces: { 'team-beta': 'viewer' } });
    const key = await createKey(
      await signIn(cli.server.url, u.username, u.password),
      'k',
      'read-only',
    );
    const run = await berth(['repos', 'export', 'team-alpha/web/app', '--out', out('no.tar')], {
      env: { BERTH_API_KEY: key },
    });
    // Reading is the least role there is: a namespace one cannot read is one that is not there.
    expect(run.code).toBe(3);
    expect(fs.existsSync(out('no.tar'))).toBe(false);
  });

  it('a download cut short, by a reset or an early close, is exit 1 and leaves no file', async () => {
    // A server that announces more bytes than it sends, then cuts the connection: what a
    // Berth whose storage fails mid-export does once the headers are out.
    let mode: 'cut' | 'short' = 'cut';
    const fake = http.createServer((req, res) => {
      if (req.url?.endsWith('/export/preview')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            namespace: 'ns-one',
            repository: 'r',
            images: 1,
            tags: 1,
            contentBytes: 10,
            archiveBytes: 1000,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': '1000' });
      // Once the first bytes are surely out, as after a real export's first blobs.
      res.write(Buffer.alloc(400), () =>
        setTimeout(() => (mode === 'cut' ? res.destroy() : res.socket?.end()), 50),
      );
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
      for (const m of ['cut', 'short'] as const) {
        mode = m;
        const file = out(`${m}.tar`);
        const run = await runBerth(['repos', 'export', 'ns-one/r', '--out', file], {
          env: { BERTH_URL: url, BERTH_API_KEY: 'k' },
        });
        expect(run.code, m).toBe(1);
        expect(run.stderr, m).toMatch(/after 400 of 1000 bytes; nothing was written to /);
        expect(fs.existsSync(file), m).toBe(false);
        expect(fs.existsSync(`${file}.part`), m).toBe(false);
      }
    } finally {
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });
});
