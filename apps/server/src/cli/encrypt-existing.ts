/**
 * Encrypts the image data an installation stored before encryption at rest was on (issue 18),
 * online: servers keep pushing and pulling while it runs.
 *
 *   node apps/server/dist/cli/encrypt-existing.js [--enable] [--batch N] [--dry-run] [--output text|json]
 *
 * It reads the server's environment (BERTH_DATA_DIR, BERTH_DATABASE_URL, BERTH_BLOB_STORE,
 * BERTH_ROOT_KEY / BERTH_ROOT_KEY_FILE). Blobs are walked in digest order, N per batch. For
 * each blob some namespace holds: its key is recorded (wrapped for every namespace holding
 * it) first, then its ciphertext is computed and replaces the stored plaintext in one atomic
 * step (temp file + rename, or one S3 PUT). A reader in between gets the plaintext, which a
 * blob with a key but plaintext bytes is served as; a crash at any point leaves each blob
 * either plaintext or ciphertext, both readable. Running it again finishes what a crashed or
 * interrupted run left and changes nothing else (idempotent). Blobs no namespace holds are
 * left to garbage collection. Then every manifest stored in plaintext is sealed under its
 * namespace's key (see manifest-sealing.ts), N rows per batch, each replaced only if it still
 * holds the plaintext read; sealed rows are left alone.
 *
 *   --enable   also record that this installation encrypts new image data from now on
 *              (servers pick it up within seconds; BERTH_ENCRYPT_IMAGE_DATA still overrides)
 *   --dry-run  count what would be encrypted; change nothing
 *
 * Exit codes: 0 every held blob is encrypted and every manifest sealed; 1 a failure (the
 * message says which blob or manifest; run again); 2 usage error.
 */
import { parseArgs } from 'node:util';
import { createImageData } from '../services/encryption/image-data.js';
import {
  createManifestSealing,
  sealStoredManifests,
} from '../services/encryption/manifest-sealing.js';
import { openConfiguredInstallation } from './configured-installation.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: encrypt-existing [--enable] [--batch N] [--dry-run] [--output text|json]

Encrypts the blobs and seals the manifests stored before encryption at rest was turned on,
while Berth keeps serving.
Safe to interrupt and to run again. See docs/encryption.md.
Exit codes: 0 done, 1 failure (run again), 2 usage error.`;

class UsageError extends Error {}

interface Summary {
  examined: number;
  encrypted: number;
  alreadyEncrypted: number;
  wrapsAdded: number;
  notHeld: number;
  bytesEncrypted: number;
  /** Manifests sealed by this run (a dry run: that would be), sealed before it, and rows that
   * changed under it (deleted, or sealed by another run at the same time). */
  manifestsSealed: number;
  manifestsAlreadySealed: number;
  manifestsSkipped: number;
  enabled: boolean;
  dryRun: boolean;
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        enable: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        batch: { type: 'string', default: '100' },
        output: { type: 'string', default: 'text' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const batch = Number(values.batch);
  if (!Number.isSafeInteger(batch) || batch < 1 || batch > 10_000) {
    throw new UsageError(`--batch must be a whole number from 1 to 10000, not ${values.batch}`);
  }
  if (values.output !== 'text' && values.output !== 'json') {
    throw new UsageError(`--output must be text or json, not ${values.output}`);
  }
  return {
    enable: values.enable,
    dryRun: values['dry-run'],
    batch,
    json: values.output === 'json',
    help: values.help,
  };
}

async function run(args: ReturnType<typeof parse>): Promise<Summary> {
  const { config, logger, store, blobs, keyring, close } = await openConfiguredInstallation();
  try {
    const imageData = createImageData({
      store,
      blobs,
      keyring,
      clock: Date.now,
      logger,
      encrypt: true,
      dataDir: config.dataDir,
    });
    const summary: Summary = {
      examined: 0,
      encrypted: 0,
      alreadyEncrypted: 0,
      wrapsAdded: 0,
      notHeld: 0,
      bytesEncrypted: 0,
      manifestsSealed: 0,
      manifestsAlreadySealed: 0,
      manifestsSkipped: 0,
      enabled: false,
      dryRun: args.dryRun,
    };
    if (args.enable && !args.dryRun) {
      await store.imageDataKeys.setEnabledByDefault(true, Date.now());
      summary.enabled = true;
    }
    let after = '';
    for (;;) {
      const rows = await store.db
        .selectFrom('blobs')
        .select(['digest', 'size'])
        .where('digest', '>', after)
        .orderBy('digest')
        .limit(args.batch)
        .execute();
      if (rows.length === 0) break;
      for (const row of rows) {
        summary.examined += 1;
        const holders = await store.imageDataKeys.namespacesHolding(row.digest);
        if (holders.length === 0) {
          summary.notHeld += 1;
          continue;
        }
        const encrypted = await imageData.storedEncrypted(row.digest);
        const missing: number[] = [];
        for (const ns of holders) {
          if (!(await store.imageDataKeys.wrapOf(ns, row.digest))) missing.push(ns);
        }
        if (encrypted) summary.alreadyEncrypted += 1;
        if (args.dryRun) {
          if (!encrypted) {
            summary.encrypted += 1;
            summary.bytesEncrypted += Number(row.size);
          }
          summary.wrapsAdded += encrypted ? missing.length : Math.max(0, missing.length - 1);
          continue;
        }
        try {
          if (!encrypted && (await imageData.encryptStored(holders[0]!, row.digest))) {
            summary.encrypted += 1;
            summary.bytesEncrypted += Number(row.size);
          }
          // Every other namespace holding it gets its wrap of the same key.
          for (const ns of holders) {
            if (await store.imageDataKeys.wrapOf(ns, row.digest)) continue;
            await imageData.keys.claim(ns, row.digest);
            summary.wrapsAdded += 1;
          }
        } catch (error) {
          throw new Error(`blob ${row.digest}: ${(error as Error).message}`, { cause: error });
        }
      }
      after = rows.at(-1)!.digest;
    }
    const manifests = await sealStoredManifests(
      store,
      createManifestSealing({ imageData, keyring, logger }),
      { batch: args.batch, dryRun: args.dryRun },
    );
    summary.manifestsSealed = manifests.sealed;
    summary.manifestsAlreadySealed = manifests.alreadySealed;
    summary.manifestsSkipped = manifests.skipped;
    if (!args.dryRun) {
      await store.audit.record(Date.now(), {
        actor: 'cli:encrypt-existing',
        action: 'image-data.encrypt-existing',
        target: 'image-data',
        outcome: 'success',
        details: { ...summary },
      });
    }
    return summary;
  } finally {
    await close();
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parse();
  } catch (error) {
    console.error((error as Error).message);
    console.error(USAGE);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const summary = await run(args);
    if (args.json) {
      console.log(JSON.stringify({ ok: true, ...summary }));
    } else {
      const verb = args.dryRun ? 'would encrypt' : 'encrypted';
      console.log(
        `${verb} ${summary.encrypted} blob(s) (${summary.bytesEncrypted} bytes); ${summary.alreadyEncrypted} were encrypted already; ${summary.wrapsAdded} namespace key wrap(s) added; ${summary.notHeld} blob(s) held by no namespace left to garbage collection`,
      );
      console.log(
        `${args.dryRun ? 'would seal' : 'sealed'} ${summary.manifestsSealed} manifest(s); ${summary.manifestsAlreadySealed} were sealed already`,
      );
      if (summary.enabled) console.log('new image data is encrypted from now on');
    }
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (args.json) console.log(JSON.stringify({ ok: false, error: message }));
    else console.error(`encrypt-existing failed: ${message}; run it again to finish`);
    return 1;
  }
}

process.exitCode = await main();
