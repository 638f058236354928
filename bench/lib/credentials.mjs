// What the benchmarks need to be let in: Berth has no anonymous access, so each benchmark
// starts the server with a known first admin and signs in as a real client would, then
// creates an API key and sends it with every request it times.
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import http from 'node:http';

export const ADMIN_USERNAME = 'admin';
/**
 * The first admin's password. It only takes effect when the server creates that admin (a fresh
 * data directory, or one seeded before accounts existed), so a dataset kept between runs keeps
 * the password it was first started with: keep it the same, or delete the dataset.
 */
export const ADMIN_PASSWORD = process.env.BENCH_ADMIN_PASSWORD || 'bench-first-start-passphrase';

/** The environment for apps/server/dist/main.js on `dataDir` and `port`, quiet and demo-free. */
export function berthEnv({ dataDir, port }) {
  return {
    ...process.env,
    BERTH_DATA_DIR: dataDir,
    BERTH_PORT: String(port),
    BERTH_HOST: '127.0.0.1',
    BERTH_DEMO: '0',
    BERTH_LOG_LEVEL: 'warn',
    BERTH_ADMIN_USERNAME: ADMIN_USERNAME,
    BERTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
  };
}

/** POSTs JSON on a connection of its own; resolves with { status, headers, data }. */
function postJson(url, json, headers = {}) {
  const body = Buffer.from(JSON.stringify(json));
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          ...headers,
          accept: 'application/json',
          'content-type': 'application/json',
          'content-length': String(body.length),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data = null;
          try {
            data = JSON.parse(text);
          } catch {
            data = text;
          }
          resolve({ status: res.statusCode, headers: res.headers, data });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Signs in to the Berth at `baseUrl` as the admin and creates a read-write API key, as the
 * console does: POST /api/v1/session, then POST /api/v1/api-keys with the session cookie and
 * its CSRF token. Resolves with the key (`berth_<id>_<secret>`), which /api/v1 takes as
 * `Authorization: Bearer <key>` and /v2 as Bearer or as the Basic password of the admin.
 */
export async function adminKey(baseUrl, password = ADMIN_PASSWORD) {
  const signIn = await postJson(`${baseUrl}/api/v1/session`, {
    username: ADMIN_USERNAME,
    password,
  });
  if (signIn.status !== 200) {
    throw new Error(
      `signing in as ${ADMIN_USERNAME} -> ${signIn.status}: ${JSON.stringify(signIn.data).slice(0, 300)}` +
        (signIn.status === 401
          ? ' (a dataset kept from an earlier run has the admin password it was first started with:' +
            ' set BENCH_ADMIN_PASSWORD to it, or delete the dataset)'
          : ''),
    );
  }
  const cookie = (signIn.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('berth_session='));
  if (!cookie || !signIn.data?.csrfToken) {
    throw new Error('signing in answered no berth_session cookie or no csrfToken');
  }
  // Key names are unique among a user's live keys; every run adds one.
  const created = await postJson(
    `${baseUrl}/api/v1/api-keys`,
    { name: `bench-${randomBytes(4).toString('hex')}`, access: 'read-write' },
    { cookie, 'x-csrf-token': signIn.data.csrfToken },
  );
  if (created.status !== 201 || typeof created.data?.secret !== 'string') {
    throw new Error(
      `creating an API key -> ${created.status}: ${JSON.stringify(created.data).slice(0, 300)}`,
    );
  }
  return created.data.secret;
}
