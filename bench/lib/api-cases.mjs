// The console's listing endpoints at a million images, timed one request at a time: the cases
// of `./berth bench api`, also run against PostgreSQL by `./berth bench scale-out`.
import { Buffer } from 'node:buffer';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { URLSearchParams } from 'node:url';

export const TARGET_MS = 50;
const PAGE = 50;

/**
 * GETs JSON from one Berth over one kept-alive connection (sequential requests, as a person's
 * console makes them). `setKey` adds `Authorization: Bearer <API key>` to every later request.
 */
export function apiClient(baseUrl) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers = {};
  const get = (pathAndQuery) =>
    new Promise((resolve, reject) => {
      const opts = { host: hostname, port, path: pathAndQuery, agent, headers };
      const req = http.get(opts, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) {
            reject(new Error(`GET ${pathAndQuery} -> ${res.statusCode}: ${body.slice(0, 300)}`));
            return;
          }
          resolve(JSON.parse(body));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  return {
    get,
    setKey: (key) => {
      headers.authorization = `Bearer ${key}`;
    },
    /** Waits for /api/v1/health; throws if `child` exits first. */
    waitForHealth: async (child, ms = 120_000) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (child && child.exitCode !== null)
          throw new Error(`server exited with ${child.exitCode}`);
        try {
          await get('/api/v1/health');
          return;
        } catch {
          await sleep(200);
        }
      }
      throw new Error(`server did not become healthy within ${ms / 1000} s`);
    },
    close: () => agent.destroy(),
  };
}

const seg = encodeURIComponent;
const nsPath = (ns) => `/api/v1/namespaces/${seg(ns)}`;
const reposPath = (ns, q) => `${nsPath(ns)}/repositories?${new URLSearchParams(q)}`;
const searchPath = (q) => `/api/v1/search?${new URLSearchParams({ q })}`;
/** Six hex digits that differ from one request to the next, in no order. */
const hexPrefix = (i) => ((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(-6);
const imagesPath = (ns, repo, q) =>
  `${nsPath(ns)}/repositories/${seg(repo)}/images?${new URLSearchParams(q)}`;

/** Follows nextCursor `pages` times from the first page (or to the last page) and returns that page's URL. */
async function deepUrl(client, build, query, pages) {
  let url = build(query);
  for (let i = 0; i < pages; i++) {
    const page = await client.get(url);
    if (!page.nextCursor) {
      console.log(`  (only ${i + 1} pages: measuring the last one)`);
      break;
    }
    url = build({ ...query, cursor: page.nextCursor });
  }
  return url;
}

function percentile(sorted, p) {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

/** Results in an answer: a page's items, or every group of a search. */
function itemCount(body) {
  if (Array.isArray(body.items)) return body.items.length;
  return ['namespaces', 'repositories', 'tags', 'digests'].reduce(
    (n, group) => n + (body[group]?.items?.length ?? 0),
    0,
  );
}

/**
 * The cases, as [name, url or (request number) => url], for a dataset whose big repository is
 * `bigRepository` (namespace/repository) with `bigImages` images.
 */
export async function apiCases(client, { bigRepository, bigImages }) {
  const namespaces = await client.get(`/api/v1/namespaces?limit=${PAGE}`);
  const largest = [...namespaces.items].sort((a, b) => b.imageCount - a.imageCount)[0];
  if (!largest) throw new Error('no namespaces in the dataset');
  const bigNs = bigRepository.split('/')[0];
  const bigRepo = bigRepository.slice(bigNs.length + 1);
  const bigListed = (await client.get(reposPath(bigNs, { sort: 'imageCount', limit: '1' })))
    .items[0];
  // Page 20 of the repositories, or the last page of a small namespace.
  const repoDepth = Math.max(1, Math.min(19, Math.ceil(largest.repositoryCount / PAGE) - 1));
  const deepImagePages = Math.max(1, Math.floor(bigImages / 2 / 200));

  const deepImageUrl = await deepUrl(
    client,
    (q) => imagesPath(bigNs, bigRepo, q),
    { sort: 'pushedAt', order: 'desc', limit: '200' },
    deepImagePages,
  ).then((u) => u.replace('limit=200', `limit=${PAGE}`));
  // A digest from the middle of the big repository, searched by its first 12 hex digits.
  const middle = await client.get(deepImageUrl);
  const digestPrefix = (middle.items[0]?.digest ?? 'sha256:0').slice(7, 19);
  const cases = [
    ['namespaces ?limit=50', `/api/v1/namespaces?limit=${PAGE}`],
    ['repos: largest ns, sort=name', reposPath(largest.name, { sort: 'name', limit: PAGE })],
    [
      'repos: largest ns, sort=sizeBytes desc',
      reposPath(largest.name, { sort: 'sizeBytes', order: 'desc', limit: PAGE }),
    ],
    [
      `repos: largest ns, name, page ${repoDepth + 1} (cursor)`,
      await deepUrl(
        client,
        (q) => reposPath(largest.name, q),
        { sort: 'name', limit: PAGE },
        repoDepth,
      ),
    ],
    [
      'images: big repo, pushedAt desc, page 1',
      imagesPath(bigNs, bigRepo, { sort: 'pushedAt', order: 'desc', limit: PAGE }),
    ],
    [
      `images: big repo, pushedAt, ~${(deepImagePages * 200).toLocaleString('en')} deep`,
      deepImageUrl,
    ],
    [
      'images: big repo, createdAt desc, page 1',
      imagesPath(bigNs, bigRepo, { sort: 'createdAt', limit: PAGE }),
    ],
    [
      'images: big repo, q=build-4242 (tag prefix)',
      imagesPath(bigNs, bigRepo, { q: 'build-4242', limit: PAGE }),
    ],
    [
      'images: big repo, q=build- (broad tag prefix)',
      imagesPath(bigNs, bigRepo, { q: 'build-', limit: PAGE }),
    ],
    [
      `images: big repo, q=${digestPrefix} (digest prefix)`,
      imagesPath(bigNs, bigRepo, { q: digestPrefix, limit: PAGE }),
    ],
    [
      'images: big repo, q=v1.42. (tag prefix)',
      imagesPath(bigNs, bigRepo, { q: 'v1.42.', limit: PAGE }),
    ],
    // The header's search across the registry (issue 15), 5 results per group.
    ['search: q=team-1 (repositories, tags)', searchPath('team-1')],
    ['search: q=build-4242 (tag in every repo)', searchPath('build-4242')],
    ['search: q=zzz (no match anywhere)', searchPath('zzz')],
    [`search: q=${bigNs}/${bigRepo}:v1.42`, searchPath(`${bigNs}/${bigRepo}:v1.42`)],
    [`search: q=${digestPrefix.slice(0, 6)} (digest prefix)`, searchPath(digestPrefix.slice(0, 6))],
    // A different text each time: each one a cold walk of the repositories' tag ranges.
    ['search: a new 6-hex prefix each request', (i) => searchPath(hexPrefix(i))],
  ];
  return { cases, largest, bigImagesListed: bigListed?.imageCount ?? null };
}

/** `url`: one URL, or a function of the request's number for a different one each time. */
export async function measureCase(client, name, url, { requests, warmup }) {
  const urlOf = typeof url === 'function' ? url : () => url;
  let items = 0;
  for (let i = 0; i < warmup; i++) items = itemCount(await client.get(urlOf(i)));
  const times = [];
  for (let i = 0; i < requests; i++) {
    const u = urlOf(warmup + i);
    const t = performance.now();
    await client.get(u);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const r = (v) => Number(v.toFixed(2));
  const result = {
    name,
    url: typeof url === 'function' ? `${url(0)} (varies)` : url,
    items,
    requests,
    p50: r(percentile(times, 50)),
    p95: r(percentile(times, 95)),
    p99: r(percentile(times, 99)),
    max: r(times.at(-1)),
    mean: r(times.reduce((s, v) => s + v, 0) / times.length),
  };
  result.pass = result.p95 < TARGET_MS;
  console.log(
    `  ${name.padEnd(44)} p50 ${String(result.p50).padStart(7)}  p95 ${String(result.p95).padStart(7)}  p99 ${String(result.p99).padStart(7)} ms  ${result.pass ? 'pass' : 'MISS'}`,
  );
  return result;
}
