// The engines of the scaled-out shape for the benchmark, started as the tests start them
// (packages/store/src/testing): a PostgreSQL cluster, Ceph's RADOS Gateway as S3, HAProxy; and
// Berth processes on them. Everything listens on loopback and goes away with the run.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiClient } from '../lib/api-cases.mjs';
import { startCephS3 } from '../lib/ceph-s3.mjs';
import { ADMIN_USERNAME, adminKey, berthEnv } from '../lib/credentials.mjs';
import { freePort, stop, track } from '../lib/process.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const storeDist = path.join(root, 'packages', 'store', 'dist');
export const serverMain = path.join(root, 'apps', 'server', 'dist', 'main.js');

const testing = (name) => import(path.join(storeDist, 'testing', `${name}.js`));

/** What is missing to run this benchmark, or null. */
export async function missingEngines() {
  const [{ postgresUnavailable }, { cephUnavailable }, { haproxyUnavailable }] = await Promise.all([
    testing('postgres'),
    testing('ceph-rgw'),
    testing('haproxy'),
  ]);
  const skopeo = spawnSync('skopeo', ['--version']).error
    ? 'skopeo (apt-get install skopeo)'
    : null;
  const missing = [postgresUnavailable(), cephUnavailable(), haproxyUnavailable(), skopeo].filter(
    Boolean,
  );
  if (!fs.existsSync(serverMain)) missing.push('apps/server/dist (run ./berth build)');
  return missing.length ? missing.join('; ') : null;
}

/**
 * PostgreSQL with its default durability (fsync and synchronous commit on, as SQLite runs in
 * Berth) and Ceph RGW with `memoryBytes` of in-memory object store.
 */
export async function startEngines({ memoryBytes }) {
  const { startPostgres, createTestDatabase } = await testing('postgres');
  const postgres = await startPostgres({ durable: true });
  let s3;
  try {
    s3 = await startCephS3({ memoryBytes });
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  return {
    postgres,
    rgw: s3.rgw,
    /** A new empty database (Berth migrates it at its start). */
    database: () => createTestDatabase(postgres.url, { empty: true }),
    /** A new bucket, as a BERTH_BLOB_STORE address. */
    bucket: s3.bucket,
    /** The environment every Berth process on these engines gets. */
    env: {
      ...s3.env,
      // One root key for all processes: they read each other's secrets and sign alike.
      BERTH_ROOT_KEY: randomBytes(32).toString('base64'),
    },
    stop: async () => {
      await s3.stop();
      await postgres.stop();
    },
  };
}

/** pg_database_size of the database at `url`, through psql. */
export function databaseBytes(url) {
  const psql = fs.existsSync('/usr/bin/psql') ? '/usr/bin/psql' : null;
  if (!psql) return null;
  const r = spawnSync(psql, [url, '-Atc', 'SELECT pg_database_size(current_database())'], {
    encoding: 'utf8',
  });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

/** One Berth process; resolves once /api/v1/health answers. */
async function startProcess({ label, dataDir, env }) {
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [serverMain], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...berthEnv({ dataDir, port }), ...env },
    }),
  );
  const forward = (chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      process.stderr.write(`  [${label}] ${line}\n`);
    }
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  const client = apiClient(`http://127.0.0.1:${port}`);
  try {
    await client.waitForHealth(child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    client.close();
  }
  return { child, pid: child.pid, port, host: `127.0.0.1:${port}` };
}

/**
 * `processes` Berth processes on `dataDirs` (one each) with `env`; with `balanced`, or more
 * than one process, HAProxy in front as the README's deployment has it. Signs in as the first
 * admin through the front and creates the `bench` namespace. Clients use `host` / `baseUrl`.
 */
export async function startBerth({ name, dataDir, env = {}, processes = 1, balanced = false }) {
  const started = [];
  let balancer = null;
  try {
    // One at a time: the first start (admin, regions) happens once, on the first.
    for (let i = 0; i < processes; i++) {
      started.push(
        await startProcess({
          label: processes > 1 ? `${name} #${i + 1}` : name,
          dataDir: processes > 1 ? path.join(dataDir, `p${i + 1}`) : dataDir,
          env,
        }),
      );
    }
    if (balanced || processes > 1) {
      const { startHaproxy } = await testing('haproxy');
      balancer = await startHaproxy(started.map((p) => p.host));
    }
    const baseUrl = balancer?.url ?? `http://${started[0].host}`;
    const key = await adminKey(baseUrl);
    const response = await globalThis.fetch(`${baseUrl}/api/v1/namespaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', region: 'local' }),
    });
    if (response.status !== 201 && response.status !== 409) {
      throw new Error(`creating namespace bench -> ${response.status}: ${await response.text()}`);
    }
    const url = new URL(baseUrl);
    return {
      name,
      baseUrl,
      host: url.host,
      port: Number(url.port),
      key,
      creds: `${ADMIN_USERNAME}:${key}`,
      headers: { authorization: `Bearer ${key}` },
      berthPids: started.map((p) => p.pid),
      balancerPid: balancer?.pid ?? null,
      /** HAProxy in front of these processes, started now (for a target that has none). */
      addBalancer: async () => {
        const { startHaproxy } = await testing('haproxy');
        const extra = await startHaproxy(started.map((p) => p.host));
        const u = new URL(extra.url);
        return { host: u.host, port: Number(u.port), pid: extra.pid, stop: extra.stop };
      },
      stop: async () => {
        await balancer?.stop();
        await Promise.all(started.map((p) => stop(p.child)));
      },
    };
  } catch (err) {
    await balancer?.stop();
    await Promise.all(started.map((p) => stop(p.child)));
    throw err;
  }
}
