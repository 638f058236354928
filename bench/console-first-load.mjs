// Console first-load bytes: what a browser with an empty cache downloads to show the sign-in
// page, and the namespaces page once signed in (every response: documents, scripts, styles,
// API answers), as bytes on the wire (encoded bodies) and as decoded bytes.
//
//   node bench/console-first-load.mjs            (after `./berth build`)
//   BENCH_BERTH_ROOT=/other/checkout node bench/console-first-load.mjs   (another build)
//
// Starts the built server on a fresh demo data directory and drives Chromium with Playwright.
// Writes bench/results/console-first-load.{json,md} when BENCH_BERTH_ROOT is not set.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { ADMIN_PASSWORD, ADMIN_USERNAME, berthEnv } from './lib/credentials.mjs';
import { freePort } from './lib/process.mjs';
import { writeResultFiles } from './lib/results.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const berthRoot = process.env.BENCH_BERTH_ROOT ? path.resolve(process.env.BENCH_BERTH_ROOT) : root;
const TARGET_KB = 350;
const systemChromium = '/usr/bin/chromium';

async function startServer() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-first-load-'));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(berthRoot, 'apps/server/dist/main.js')], {
    cwd: berthRoot,
    env: { ...berthEnv({ dataDir, port }), BERTH_DEMO: '1' },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if ((await globalThis.fetch(`${url}/api/v1/health`).catch(() => null))?.ok) break;
    await sleep(100);
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Loads `target` in a fresh context (empty cache) and sums what every response cost. */
async function measure(browser, url, target, { signedIn, ready }) {
  const context = await browser.newContext({ baseURL: url });
  if (signedIn) {
    const res = await context.request.post('/api/v1/session', {
      data: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
    });
    if (!res.ok()) throw new Error(`sign in: ${res.status()}`);
  }
  const page = await context.newPage();
  const responses = [];
  page.on('requestfinished', (request) => {
    responses.push(
      (async () => {
        const response = await request.response();
        const sizes = await request.sizes();
        const body = response ? await response.body().catch(() => Buffer.alloc(0)) : null;
        return {
          path: new URL(request.url()).pathname,
          encoding: response?.headers()['content-encoding'] ?? 'identity',
          wire: sizes.responseBodySize,
          headers: sizes.responseHeadersSize,
          decoded: body?.length ?? 0,
        };
      })(),
    );
  });
  await page.goto(target);
  await ready(page);
  await page.waitForLoadState('networkidle');
  const all = await Promise.all(responses);
  await context.close();
  const sum = (key) => all.reduce((s, r) => s + r[key], 0);
  return {
    target,
    requests: all.length,
    wireBytes: sum('wire'),
    headerBytes: sum('headers'),
    decodedBytes: sum('decoded'),
    largest: all
      .sort((a, b) => b.wire - a.wire)
      .slice(0, 5)
      .map(({ path: p, encoding, wire, decoded }) => ({ path: p, encoding, wire, decoded })),
  };
}

const kb = (bytes) => (bytes / 1024).toFixed(1);

const server = await startServer();
const browser = await chromium.launch({
  ...(fs.existsSync(systemChromium) ? { executablePath: systemChromium } : {}),
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const pages = [
    await measure(browser, server.url, '/', {
      signedIn: false,
      ready: (page) => page.getByRole('button', { name: 'Sign in' }).waitFor(),
    }),
    await measure(browser, server.url, '/namespaces', {
      signedIn: true,
      ready: (page) => page.getByRole('table').first().waitFor(),
    }),
  ];
  const report = { targetKB: TARGET_KB, pages };
  const rows = pages.map(
    (p) =>
      `| \`${p.target}\` | ${p.requests} | ${kb(p.wireBytes)} | ${kb(p.headerBytes)} | ${kb(p.decodedBytes)} | ${p.wireBytes <= TARGET_KB * 1024 ? 'met' : 'missed'} |`,
  );
  const largest = pages.flatMap((p) =>
    p.largest.map(
      (r) =>
        `| \`${p.target}\` | \`${r.path}\` | ${r.encoding} | ${kb(r.wire)} | ${kb(r.decoded)} |`,
    ),
  );
  const md = [
    '# Console first load',
    '',
    `Empty cache, Chromium, demo registry; target ≤ ${TARGET_KB} KB of response bodies on the wire.`,
    '',
    '| page | requests | bodies on the wire, KB | headers, KB | decoded, KB | target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '| page | largest responses | encoding | on the wire, KB | decoded, KB |',
    '| --- | --- | --- | --- | --- |',
    ...largest,
    '',
  ].join('\n');
  if (process.env.BENCH_BERTH_ROOT) console.log(md);
  else
    await writeResultFiles(path.join(root, 'bench', 'results'), 'console-first-load', report, md);
} finally {
  await browser.close();
  await server.stop();
}
