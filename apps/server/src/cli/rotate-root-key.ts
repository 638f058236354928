/**
 * Rotates the root key that wraps the projects' data keys and the namespaces' image-data
 * keys (issue 18), while servers keep running:
 *
 *   node apps/server/dist/cli/rotate-root-key.js [--rewrap-only] [--prune]
 *
 * It reads the server's environment (BERTH_DATA_DIR, BERTH_ROOT_KEY, BERTH_ROOT_KEY_FILE).
 * With the key file, it puts a new key first in the file (keeping the old ones, so nothing
 * becomes unreadable midway), then re-wraps every data key under it, one project per
 * transaction. Running servers notice the changed file: they unwrap with either key and
 * wrap new projects' keys with the new one. With BERTH_ROOT_KEY, the operator first lists
 * the new key first on every server (BERTH_ROOT_KEY=new,old); this re-wraps under it.
 * Secret values and image data are never decrypted: only data keys are re-wrapped.
 *
 *   --rewrap-only  add no key; re-wrap under the current first key (finishes an interrupted run)
 *   --prune        then drop from the key file every old key that no data key uses any more
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createStore, type Store } from '@berth/store';
import { loadConfig } from '../config.js';
import {
  type Keyring,
  generateRootKey,
  loadKeyring,
  readKeyFile,
  rootKeyId,
  writeKeyFile,
} from '../services/projects/keyring.js';
import { namespaceKeyContext } from '../services/encryption/image-data-keys.js';
import { openConfiguredDatabase, rootKeyIdsInUse } from './configured-installation.js';

const USAGE = 'usage: rotate-root-key [--rewrap-only] [--prune]';
/** A server that had not yet seen the new key file may wrap one more key under the old one. */
const MAX_PASSES = 5;

/** Re-wraps every data key not under the active key; returns how many it re-wrapped. */
async function rewrapAll(store: Store, keyring: Keyring): Promise<number> {
  let total = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const active = keyring.activeKeyId();
    const stale = (await store.projects.dataKeys()).filter((k) => k.keyId !== active);
    const staleNamespaces = (await store.imageDataKeys.namespaceKeys()).filter(
      (k) => k.rootKeyId !== active,
    );
    if (stale.length === 0 && staleNamespaces.length === 0) return total;
    for (const key of stale) {
      const next = keyring.rewrapDataKey(key.id, key.keyId, key.wrapped);
      // Only where the key is still the one read: a concurrent purge or rotation wins.
      if (await store.projects.replaceDataKey(key.id, key.keyId, next)) total++;
    }
    // Namespace keys the same way; blob keys are wrapped by namespace keys, so they stay.
    for (const key of staleNamespaces) {
      const next = keyring.rewrapKey(
        namespaceKeyContext(key.namespaceId),
        key.rootKeyId,
        key.wrapped,
      );
      const replaced = await store.imageDataKeys.replaceNamespaceKey(
        key.namespaceId,
        key.rootKeyId,
        { rootKeyId: next.keyId, wrapped: next.wrapped },
        Date.now(),
      );
      if (replaced) total++;
    }
  }
  throw new Error(
    `data keys kept appearing under an old root key after ${MAX_PASSES} passes; run again with --rewrap-only`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'rewrap-only': { type: 'boolean', default: false },
      prune: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig(process.env);
  const logger = pino({ level: 'warn' });
  // Several servers on one PostgreSQL database: each re-reads the key file it is given.
  const handle = await openConfiguredDatabase(config);
  try {
    const store = createStore(handle.db);
    const before = await rootKeyIdsInUse(store);
    const usesFile = config.rootKey === null;
    if (usesFile && !values['rewrap-only']) {
      // Validate the current keys first: a wrong key file must not gain a new key on top.
      loadKeyring({ ...config, keyIdsInUse: before, logger });
      const current = readKeyFile(config.rootKeyFile);
      const fresh = generateRootKey();
      writeKeyFile(
        config.rootKeyFile,
        [fresh, ...current],
        'Berth root keys: the first wraps data keys; later ones are kept for data keys not re-wrapped yet. Back this file up.',
      );
      console.log(`added root key ${rootKeyId(fresh)} to ${config.rootKeyFile}`);
    }
    const keyring = loadKeyring({ ...config, keyIdsInUse: before, logger });
    const rewrapped = await rewrapAll(store, keyring);
    const active = keyring.activeKeyId();
    await store.audit.record(Date.now(), {
      actor: 'cli:rotate-root-key',
      action: 'root-key.rotate',
      target: `root-key:${active}`,
      outcome: 'success',
      details: { rewrapped, previousKeys: before.filter((id) => id !== active) },
    });
    console.log(`re-wrapped ${rewrapped} data key(s) under root key ${active}`);

    const unused = keyring.keyIds().filter((id) => id !== active);
    const stillUsed = new Set(await rootKeyIdsInUse(store));
    const removable = unused.filter((id) => !stillUsed.has(id));
    if (values.prune && usesFile) {
      const keep = readKeyFile(config.rootKeyFile).filter((k) => !removable.includes(rootKeyId(k)));
      writeKeyFile(
        config.rootKeyFile,
        keep,
        'Berth root keys: the first wraps data keys. Back this file up.',
      );
      console.log(`removed ${removable.length} unused root key(s) from ${config.rootKeyFile}`);
    } else if (removable.length > 0) {
      console.log(
        usesFile
          ? `root key(s) ${removable.join(', ')} wrap nothing now; --prune removes them from the key file`
          : `root key(s) ${removable.join(', ')} wrap nothing now; remove them from BERTH_ROOT_KEY`,
      );
    }
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  console.error(USAGE);
  process.exit(1);
});
