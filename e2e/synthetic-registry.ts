import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const seedLarge = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../apps/server/dist/cli/seed-large.js',
);

/**
 * What seed-large writes: `namespaces` namespaces named bench-0001, bench-0002, …, the first
 * holding the repository big/monorepo with `big` of the `images`; the rest spread over the
 * other repositories. Metadata only: listings and deletes work, pulls do not.
 */
export interface SyntheticRegistry {
  images: number;
  repositories: number;
  namespaces: number;
  big: number;
}

/** The namespace that holds the big repository, and that repository. */
export const SYNTHETIC_BIG = { namespace: 'bench-0001', repository: 'big/monorepo' } as const;

export async function seedSyntheticRegistry(
  dataDir: string,
  registry: SyntheticRegistry,
): Promise<void> {
  await promisify(execFile)(process.execPath, [
    seedLarge,
    '--data-dir',
    dataDir,
    '--images',
    String(registry.images),
    '--repositories',
    String(registry.repositories),
    '--namespaces',
    String(registry.namespaces),
    '--big',
    String(registry.big),
  ]);
}
