import type { CollectedFile } from './types.js';

/**
 * Which layer added each package of a package database, at the version it has now.
 *
 * `installed` lists a version of the database as package key → version. A package counts
 * as added by the earliest version of the file from which it stayed at that version, without
 * a gap, up to `final`: an upgrade in a later layer makes that layer the one to blame (or to
 * rebuild), while a layer that only rewrote the file for another package's sake does not.
 */
export function layerOfPackage(
  versions: readonly CollectedFile[] | undefined,
  final: CollectedFile,
  installed: (file: CollectedFile) => ReadonlyMap<string, string>,
): (key: string, version: string) => string {
  const history = versions ?? [];
  const finalIndex = history.lastIndexOf(final);
  if (finalIndex === -1) return () => final.layer;
  const parsed = new Map<number, ReadonlyMap<string, string>>();
  const packagesAt = (index: number, file: CollectedFile) => {
    let found = parsed.get(index);
    if (!found) {
      found = installed(file);
      parsed.set(index, found);
    }
    return found;
  };
  return (key, version) => {
    let earliest = finalIndex;
    for (let index = finalIndex - 1; index >= 0; index -= 1) {
      const later = history[index + 1];
      const file = history[index];
      if (!later || !file || later.recreated) break;
      if (packagesAt(index, file).get(key) !== version) break;
      earliest = index;
    }
    return history[earliest]?.layer ?? final.layer;
  };
}
