import { apkReader } from './apk-reader.js';
import { dpkgReader } from './dpkg-reader.js';
import { goReader } from './go-reader.js';
import {
  collectFiles,
  type LayerSource,
  type SkippedFile,
  type WalkLimits,
} from './layer-walker.js';
import { npmReader } from './npm-reader.js';
import { DISTRO_FILE_MAX_BYTES, DISTRO_PATHS, distroOf } from './os-release.js';
import { pythonReader } from './python-reader.js';
import { rpmReader } from './rpm-reader.js';
import type { Distro, InventoryPackage, PackageReader } from './types.js';

/** Every reader a scan runs, over one walk of the layers. */
export const defaultReaders: readonly PackageReader[] = [
  dpkgReader,
  apkReader,
  rpmReader,
  npmReader,
  pythonReader,
  goReader,
];

export interface Inventory {
  distro: Distro | null;
  packages: InventoryPackage[];
  /** Wanted files too large to read: the inventory may miss what they list. */
  skipped: SkippedFile[];
}

/** What an image holds: its layers walked once, for every reader at the same time. */
export async function readInventory(
  layers: readonly LayerSource[],
  readers: readonly PackageReader[],
  limits?: Partial<WalkLimits>,
): Promise<Inventory> {
  const distroPaths = new Set(DISTRO_PATHS);
  const { files, skipped } = await collectFiles(
    layers,
    (path, size, mode) => {
      let keep: number | false = distroPaths.has(path) ? DISTRO_FILE_MAX_BYTES : false;
      for (const reader of readers) {
        if (reader.wants(path, size, mode)) keep = Math.max(keep || 0, reader.maxBytes);
      }
      return keep;
    },
    limits,
  );
  const distro = distroOf(files);
  const packages = readers.flatMap((reader) => reader.read(files, distro));
  return { distro, packages: packages.sort(compareTypeNameVersionPath), skipped };
}

function compareTypeNameVersionPath(a: InventoryPackage, b: InventoryPackage): number {
  return (
    compareText(a.type, b.type) ||
    compareText(a.name, b.name) ||
    compareText(a.version, b.version) ||
    compareText(a.path, b.path)
  );
}

/** Code-unit order, so an inventory does not depend on the ICU build's collation. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
