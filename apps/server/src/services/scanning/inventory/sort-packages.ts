import type { InventoryPackage } from './types.js';

/**
 * Readers return packages in one stable order (file, then name, then version) so that two
 * scans of the same image give the same inventory whatever order the layers were walked in.
 */
export function sortPackages(packages: InventoryPackage[]): InventoryPackage[] {
  return packages.sort(
    (a, b) =>
      compareText(a.path, b.path) ||
      compareText(a.name, b.name) ||
      compareText(a.version, b.version),
  );
}

/** Code-unit order rather than `localeCompare`, which differs between ICU builds. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
