import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import request from 'supertest';
import { afterEach, expect, it } from 'vitest';
import { apiPaths } from '@berth/contract';
import { openSqlite } from '@berth/store';
import { pino } from 'pino';
import { loadConfig } from './config.js';
import { startServer } from './server.js';
import { sha256Digest } from './seed/oci-content.js';
import { randomImage } from './testing/oci-layout.js';
import { signIn } from './testing/accounts.js';
import { startTestServer, type TestServer } from './testing/test-server.js';
import {
  SERVER_MAIN,
  type ServerProcess,
  startServerProcess,
  stopServerProcesses,
  until,
} from './testing/server-processes.js';
import { selfSignedCertificate } from './testing/certificates.js';

// Start-up as an operator meets it: real `berth` processes on real data directories.

const PASSWORD = 'correct-horse-battery-staple';
const dirs: string[] = [];
let inProcess: TestServer | null = null;

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-start-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  await stopServerProcesses();
  await inProcess?.stop();
  inProcess = null;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function exited(p: ServerProcess): Promise<number | null> {
  if (p.child.exitCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));
}

/** Every path under `dir` with its permission bits, `dir` itself as ".". */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': (fs.statSync(dir).mode & 0o777).toString(8) };
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    out[name] = (fs.statSync(path.join(dir, name)).mode & 0o777).toString(8);
  }
  return out;
}

it('refuses a bad configuration with every problem at once, exit code 2, and creates nothing', async () => {
  const base = tempDir();
  const a = selfSignedCertificate(base, 'a');
  const b = selfSignedCertificate(base, 'b');
  const dataDir = path.join(base, 'data');
  const refused = startServerProcess(dataDir, {
    BERTH_ADMIN_USERNAME: 'root',
    BERTH_ADMIN_PASSWORD: 'root-password-1',
    BERTH_PORT: '70000',
    BERTH_UMASK: '999',
    BERTH_TLS_CERT: a.cert,
    // The key of another certificate.
    BERTH_TLS_KEY: b.key,
    BERTH_ROOT_KEY: 'not-a-key',
  });
  expect(await exited(refused)).toBe(2);
  const output = refused.log.join('');
  expect(output).toContain('nothing was created');
  for (const problem of [
    'BERTH_PORT:',
    'BERTH_UMASK: an octal umask such as 077 or 027',
    'BERTH_ADMIN_PASSWORD: the password must not contain the username',
    'BERTH_TLS_CERT and BERTH_TLS_KEY: not a PEM certificate and its private key',
    'BERTH_ROOT_KEY: entry 1 is not a base64-encoded 32-byte key',
  ]) {
    expect(output).toContain(problem);
  }
  expect(fs.existsSync(dataDir)).toBe(false);

  // An existing data directory is left as it was, and the next start is a whole first start.
  fs.mkdirSync(dataDir);
  const weak = startServerProcess(dataDir, { BERTH_ADMIN_PASSWORD: 'admin-password' });
  expect(await exited(weak)).toBe(2);
  expect(weak.log.join('')).toContain('BERTH_ADMIN_PASSWORD: the password must not contain');
  expect(fs.readdirSync(dataDir)).toEqual([]);
  const ok = startServerProcess(dataDir, { BERTH_ADMIN_PASSWORD: PASSWORD });
  await until(ok.listening, 'the server to listen');
  await signIn(ok.url(), 'admin', PASSWORD);
});

it('says which port is in use, before creating anything', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const dataDir = path.join(tempDir(), 'data');
    const p = startServerProcess(dataDir, { BERTH_PORT: String(port) });
    expect(await exited(p)).toBe(2);
    expect(p.log.join('')).toContain(
      `BERTH_PORT: 127.0.0.1:${port} is already in use by another process`,
    );
    expect(fs.existsSync(dataDir)).toBe(false);
  } finally {
    blocker.close();
  }
});

it('does a first start that was killed half-way again, demo included', async () => {
  const dataDir = path.join(tempDir(), 'data');
  const env = { BERTH_DEMO: '1', BERTH_ADMIN_PASSWORD: PASSWORD };
  const first = startServerProcess(dataDir, env);
  // The demo's blobs are being written: the database and the first admin exist by now.
  await until(
    () => fs.existsSync(path.join(dataDir, 'blobs')) || first.listening(),
    'the demo seeding to begin',
  );
  expect(first.listening()).toBe(false);
  first.child.kill('SIGKILL');
  await exited(first);
  expect(fs.existsSync(path.join(dataDir, 'berth.db'))).toBe(true);
  expect(fs.existsSync(path.join(dataDir, 'start.lock'))).toBe(true);

  const second = startServerProcess(dataDir, env);
  await until(second.listening, 'the second start to listen', 90_000);
  const log = second.log.join('');
  expect(log).toContain('the first start of this data directory did not finish');
  expect(log).toContain('seeded the demo registry');
  expect(fs.existsSync(path.join(dataDir, 'start.lock'))).toBe(false);
  const session = await signIn(second.url(), 'admin', PASSWORD);
  const namespaces = (await session.agent.get(apiPaths.namespaces()).expect(200)).body as {
    items: unknown[];
  };
  expect(namespaces.items.length).toBeGreaterThan(0);
  await stopServerProcesses();

  // Done once: the third start is an ordinary restart.
  const third = startServerProcess(dataDir, env);
  await until(third.listening, 'the third start to listen');
  expect(third.log.join('')).not.toContain('seeded the demo registry');
  const again = await signIn(third.url(), 'admin', PASSWORD);
  expect((await again.agent.get(apiPaths.namespaces()).expect(200)).body).toEqual(namespaces);
}, 180_000);

it('lets one process do a first start and refuses another on the same directory meanwhile', async () => {
  const dataDir = path.join(tempDir(), 'data');
  // A start.lock held by a live process: a first start in progress.
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    fs.mkdirSync(dataDir);
    fs.writeFileSync(
      path.join(dataDir, 'start.lock'),
      JSON.stringify({ pid: holder.pid, host: os.hostname(), startedAt: 'a moment ago' }),
    );
    const refused = startServerProcess(dataDir);
    expect(await exited(refused)).toBe(1);
    expect(refused.log.join('')).toContain(
      `another Berth process (pid ${holder.pid}) is doing the first start of ${dataDir}`,
    );
    expect(fs.readdirSync(dataDir)).toEqual(['start.lock']);
  } finally {
    holder.kill();
  }
  fs.rmSync(dataDir, { recursive: true });

  // Two processes started together on a new directory: one does the first start, the other
  // is refused, and nothing is done twice.
  const env = { BERTH_DEMO: '1', BERTH_ADMIN_PASSWORD: PASSWORD };
  const both = [startServerProcess(dataDir, env), startServerProcess(dataDir, env)];
  await until(
    () => both.some((p) => p.listening()) && both.some((p) => p.child.exitCode !== null),
    'one to listen and the other to stop',
    90_000,
  );
  const loser = both.find((p) => p.child.exitCode !== null)!;
  expect(loser.child.exitCode).toBe(1);
  expect(loser.log.join('')).toMatch(/another Berth process \(pid \d+\) is doing the first start/);
  const winner = both.find((p) => p.listening())!;
  expect(winner.log.join('')).toContain('seeded the demo registry');

  // Once it is done, more processes may share the directory (the SQLite deployment's scaling).
  const later = startServerProcess(dataDir, env);
  await until(later.listening, 'a later process to listen');
  expect(later.log.join('')).not.toContain('seeded the demo registry');
}, 180_000);

async function pushBlob(url: string, bytes: Buffer): Promise<void> {
  await request(url)
    .post(`/v2/team/app/blobs/uploads/?digest=${sha256Digest(bytes)}`)
    .auth('admin', PASSWORD)
    .set('Content-Type', 'application/octet-stream')
    .send(bytes)
    .expect(201);
}

it('keeps the data directory its owner’s alone (0700 and 0600), or as BERTH_UMASK says', async () => {
  const dataDir = path.join(tempDir(), 'data');
  // Created by an operator with the usual 0755: Berth takes away what the umask forbids.
  fs.mkdirSync(dataDir, { mode: 0o755 });
  fs.chmodSync(dataDir, 0o755);
  const p = startServerProcess(dataDir, { BERTH_ADMIN_PASSWORD: PASSWORD });
  await until(p.listening, 'the server to listen');
  const session = await signIn(p.url(), 'admin', PASSWORD);
  await session.agent.post(apiPaths.namespaces()).send({ name: 'team', region: 'local' });
  await pushBlob(p.url(), Buffer.from('a layer only its owner may read'));
  const seen = modes(dataDir);
  for (const name of ['berth.db', 'berth.db-wal', 'berth.db-shm', 'root.key']) {
    expect(seen[name], name).toBe('600');
  }
  expect(Object.keys(seen).some((n) => n.startsWith('blobs/sha256/'))).toBe(true);
  for (const [name, mode] of Object.entries(seen)) {
    const dir = fs.statSync(path.join(dataDir, name)).isDirectory();
    expect(`${name} ${mode}`).toBe(`${name} ${dir ? '700' : '600'}`);
  }
  await stopServerProcesses();

  const shared = path.join(tempDir(), 'data');
  const q = startServerProcess(shared, { BERTH_ADMIN_PASSWORD: PASSWORD, BERTH_UMASK: '027' });
  await until(q.listening, 'the server to listen');
  const other = await signIn(q.url(), 'admin', PASSWORD);
  await other.agent.post(apiPaths.namespaces()).send({ name: 'team', region: 'local' });
  await pushBlob(q.url(), Buffer.from('a layer its group may read'));
  for (const [name, mode] of Object.entries(modes(shared))) {
    const dir = fs.statSync(path.join(shared, name)).isDirectory();
    // The root key stays its owner's alone whatever the umask.
    const want = name === 'root.key' ? '600' : dir ? '750' : '640';
    expect(`${name} ${mode}`).toBe(`${name} ${want}`);
  }
}, 60_000);

it('finishes blob deletions a crash interrupted before listening, so a re-push works at once', async () => {
  const first = await startTestServer();
  inProcess = first;
  await first.api().post(apiPaths.namespaces()).send({ name: 'team', region: 'local' }).expect(201);
  const image = randomImage({ seed: 'interrupted-deletion', layers: 1, layerBytes: 64 });
  const blobs = [image.config!, ...image.layers];
  const push = async (server: TestServer) => {
    for (const b of blobs) {
      await server
        .api()
        .post(`/v2/team/app/blobs/uploads/?digest=${b.digest}`)
        .set('Content-Type', 'application/octet-stream')
        .send(b.bytes)
        .expect(201);
    }
  };
  await push(first);
  await first.close();

  // As a GC run or a namespace delete that died between its two phases leaves them: links
  // gone, rows marked `deleting`, one file already removed.
  const handle = await openSqlite(path.join(first.dataDir, 'berth.db'));
  const digests = blobs.map((b) => b.digest);
  const list = digests.map(() => '?').join(',');
  handle.raw.prepare(`DELETE FROM repository_blobs WHERE digest IN (${list})`).run(...digests);
  handle.raw.prepare(`UPDATE blobs SET deleting = 1 WHERE digest IN (${list})`).run(...digests);
  const hex = image.layers[0]!.digest.slice('sha256:'.length);
  fs.rmSync(path.join(first.dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex));
  await handle.close();

  const second = await startTestServer({ dataDir: first.dataDir });
  inProcess = second;
  const left = await second.store.db
    .selectFrom('blobs')
    .select('digest')
    .where('digest', 'in', digests)
    .execute();
  expect(left).toEqual([]);
  expect(second.blobFiles()).toEqual([]);
  const started = Date.now();
  await push(second);
  await request(second.url)
    .put(`/v2/team/app/manifests/1.0`)
    .set('Authorization', `Bearer ${second.adminKey}`)
    .set('Content-Type', image.mediaType)
    .serialize((body: Buffer) => body as unknown as string)
    .send(image.bytes)
    .expect(201);
  // Without the start-up recovery the first upload waits 30 s for the marked row, then 429.
  expect(Date.now() - started).toBeLessThan(5_000);
});

it('leaves nothing of a first start that fails half-way in the process', async () => {
  const dataDir = path.join(tempDir(), 'data');
  const config = loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_PORT: '0', BERTH_DEMO: '0' });
  // A first admin the account rules refuse, past the start-up check: it fails after the
  // database, the regions and the root key exist.
  const failing = { ...config, admin: { username: 'root', password: 'root-password-1' } };
  await expect(startServer(failing, { logger: pino({ level: 'silent' }) })).rejects.toThrow(
    /must not contain the username/,
  );
  expect(fs.readdirSync(dataDir)).toEqual([]);
  const running = await startServer(config, { logger: pino({ level: 'silent' }) });
  try {
    expect(await running.store.firstStart.completed()).toBe(true);
    expect(await running.store.users.count()).toBe(1);
  } finally {
    await running.close();
  }

  // A lock left by a process that died just after recording the first start is cleared.
  const dead = spawnSync('true').pid;
  const lock = path.join(dataDir, 'start.lock');
  fs.writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname(), startedAt: 'then' }));
  const again = await startServer(config, { logger: pino({ level: 'silent' }) });
  await again.close();
  expect(fs.existsSync(lock)).toBe(false);
});

it('does not load the AWS SDK when blobs are on the filesystem (a quarter of a second of every start)', async () => {
  const dir = tempDir();
  const resolved = path.join(dir, 'resolved.txt');
  // A module hook in the server process that writes down every package it imports.
  const hook = path.join(dir, 'hook.mjs');
  fs.writeFileSync(
    hook,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  if (/^@?[a-z]/.test(specifier) && !specifier.startsWith('node:')) {
    appendFileSync(${JSON.stringify(resolved)}, specifier + '\\n');
  }
  return next(specifier, context);
}
`,
  );
  const register = path.join(dir, 'register.mjs');
  fs.writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
  );
  const server = startServerProcess(path.join(dir, 'data'), {
    NODE_OPTIONS: `--import=${pathToFileURL(register).href}`,
  });
  await until(server.listening, 'the server to listen');
  await request(server.url()).get(apiPaths.health()).expect(200);
  const packages = new Set(fs.readFileSync(resolved, 'utf8').split('\n'));
  // The hook saw the server's packages: the store, its database driver, the web framework.
  for (const seen of ['@berth/store', 'kysely', 'express']) expect(packages).toContain(seen);
  expect([...packages].filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
});

it('takes a database seed-large built for a finished first start, and keeps it', async () => {
  const dataDir = path.join(tempDir(), 'data');
  const cli = path.resolve(path.dirname(SERVER_MAIN), 'cli/seed-large.js');
  execFileSync(
    process.execPath,
    [
      cli,
      '--data-dir',
      dataDir,
      '--images',
      '20',
      '--repositories',
      '2',
      '--namespaces',
      '1',
      '--big',
      '5',
    ],
    { stdio: 'ignore' },
  );
  const config = loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_PORT: '0', BERTH_DEMO: '1' });
  const running = await startServer(config, { logger: pino({ level: 'silent' }) });
  try {
    const count = await running.store.db
      .selectFrom('manifests')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    // Its 20 images, and no demo on top.
    expect(Number(count.n)).toBe(20);
  } finally {
    await running.close();
  }
});
