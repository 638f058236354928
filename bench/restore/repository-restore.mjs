// Restore of a large deleted repository, through the operations runner the server uses.
//
//   node apps/server/dist/cli/seed-large.js --data-dir /tmp/restore-bench --images 110000 \
//     --repositories 20 --namespaces 2 --big 100000
//   node bench/restore/repository-restore.mjs /tmp/restore-bench/berth.db [bench-0001] [big/monorepo]
//
// Deletes the repository (store), then restores it as the 'trash.restore' operation with the
// server's runner (chunks of BERTH_BULK_CHUNK_IMAGES, 1000 by default), while a probe on a
// second connection reads a manifest every 20 ms. Prints the delete time, the restore time,
// chunk count and longest chunk, and the probe's p50/p99/max. Changes the database it is given.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// pino is the server's dependency; the runner logs through it.
const pino = createRequire(path.join(root, 'apps/server/package.json'))('pino');
const { openSqlite, createStore, startTrashRestore } = await import(
  path.join(root, 'packages/store/dist/index.js')
);
const { createOperationRunner, DEFAULT_OPERATION_SETTINGS } = await import(
  path.join(root, 'apps/server/dist/services/operations/operation-runner.js')
);
const { registerRestoreKinds } = await import(
  path.join(root, 'apps/server/dist/services/operations/restore-kinds.js')
);

const [file, namespace = 'bench-0001', repository = 'big/monorepo'] = process.argv.slice(2);
if (!file) throw new Error('usage: repository-restore.mjs <berth.db> [namespace] [repository]');
const chunkImages = Number(
  process.env.BERTH_BULK_CHUNK_IMAGES ?? DEFAULT_OPERATION_SETTINGS.chunkImages,
);

const writer = await openSqlite(file);
const reader = await openSqlite(file);
const store = createStore(writer.db);
const probeStore = createStore(reader.db);
const ctx = () => ({ actor: 'bench', now: Date.now() });

// A pull of another repository's image: what a registry client does during the restore.
const sample = writer.raw
  .prepare(
    `SELECT n.name AS namespace, r.name AS repository, m.digest FROM manifests m
     JOIN repositories r ON r.id = m.repository_id JOIN namespaces n ON n.id = r.namespace_id
     WHERE r.name != ? AND m.listed = 1 LIMIT 1`,
  )
  .get(repository);

async function probe(signal) {
  const ms = [];
  while (!signal.stopped) {
    const t0 = performance.now();
    const found = await probeStore.registry.findManifest(
      sample.namespace,
      sample.repository,
      { digest: sample.digest },
      false,
    );
    if (!found) throw new Error('the probe lost its image');
    ms.push(performance.now() - t0);
    await sleep(20);
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0;
  return { samples: ms.length, p50: q(0.5), p99: q(0.99), max: ms.at(-1) ?? 0 };
}

let t0 = performance.now();
const deleted = await store.images.trashRepositories(namespace, [repository], ctx());
const deleteMs = performance.now() - t0;
console.log(`deleted ${deleted.images} images in ${(deleteMs / 1000).toFixed(1)} s`);

const logged = [];
const logger = pino({ level: 'info' }, { write: (line) => logged.push(JSON.parse(line)) });
const runner = createOperationRunner(
  { store, logger, clock: () => Date.now() },
  { ...DEFAULT_OPERATION_SETTINGS, chunkImages },
);
registerRestoreKinds(runner);

const signal = { stopped: false };
const probing = probe(signal);
t0 = performance.now();
const { id, total } = await startTrashRestore(writer.db, namespace, { repository }, ctx(), {
  owner: runner.owner,
  leaseMs: runner.settings.leaseMs,
});
const startMs = performance.now() - t0;
const ended = await runner.run(id);
const restoreMs = performance.now() - t0;
signal.stopped = true;
const probed = await probing;
const done = logged.find((l) => l.msg === 'operation succeeded');
const repo = (await store.repositories.list(namespace, { sort: 'name', limit: 200 })).items.find(
  (r) => r.name === repository,
);
console.log(
  JSON.stringify(
    {
      images: total,
      state: ended?.state,
      restored: ended?.result?.restored,
      listedAgain: repo?.imageCount,
      deleteSeconds: +(deleteMs / 1000).toFixed(2),
      restoreSeconds: +(restoreMs / 1000).toFixed(2),
      startMs: +startMs.toFixed(1),
      chunkImages,
      chunks: done?.chunks,
      longestChunkMs: done?.longestChunkMs,
      probeMs: {
        samples: probed.samples,
        p50: +probed.p50.toFixed(1),
        p99: +probed.p99.toFixed(1),
        max: +probed.max.toFixed(1),
      },
    },
    null,
    2,
  ),
);
await reader.close();
await writer.close();
