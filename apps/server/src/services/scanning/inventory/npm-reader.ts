import { packageUrl } from './package-url.js';
import { sortPackages } from './sort-packages.js';
import type { CollectedFile, InventoryPackage, PackageReader } from './types.js';

/**
 * A package's own manifest sits directly in its folder under `node_modules`; other
 * `package.json` files deeper inside a package (fixtures, sub-path exports) describe nothing
 * installed. Folder names starting with `.` are npm's and pnpm's bookkeeping (`.bin`,
 * `.pnpm`); pnpm's real packages are found through the `node_modules` inside `.pnpm`.
 */
const INSTALLED_MANIFEST = /(?:^|\/)node_modules\/(?:@[^/]+\/)?[^/.@][^/]*\/package\.json$/;
const LOCK_FILE = /(?:^|\/)package-lock\.json$/;
const NODE_MODULES = 'node_modules/';

/** Lock files of large monorepos run to tens of MiB; manifests are far smaller. */
const MAX_BYTES = 32 * 1024 * 1024;

/** Installed manifests, and packages named by `package-lock.json` files. */
export const npmReader: PackageReader = {
  maxBytes: MAX_BYTES,
  wants(path) {
    return INSTALLED_MANIFEST.test(path) || LOCK_FILE.test(path);
  },
  read(files) {
    const installed = new Map<string, InventoryPackage>();
    const locked = new Map<string, InventoryPackage>();
    for (const file of files.final.values()) {
      if (INSTALLED_MANIFEST.test(file.path)) {
        const found = readInstalledManifest(file);
        if (found) installed.set(parentFolder(file.path), found);
      } else if (LOCK_FILE.test(file.path)) {
        for (const [location, found] of readLockFile(file)) locked.set(location, found);
      }
    }
    // One folder holds one package: what is on disk wins over what a lock file says it
    // should be, since `npm install` after the lock was written may have changed it.
    for (const location of installed.keys()) locked.delete(location);
    return uniqueSorted([...installed.values(), ...locked.values()]);
  },
};

function readInstalledManifest(file: CollectedFile): InventoryPackage | null {
  const manifest = parseJson(file.content);
  if (!isRecord(manifest)) return null;
  // An aliased install (`npm i alias@npm:real`) lives in the alias's folder; advisories
  // name the real package, which its manifest gives.
  const name = nonEmptyString(manifest.name) ?? packageNameFromPath(parentFolder(file.path));
  const version = nonEmptyString(manifest.version);
  if (!version) return null;
  return npmPackage(name, version, file);
}

/** Packages keyed by the folder each would be installed in. */
function readLockFile(file: CollectedFile): Map<string, InventoryPackage> {
  const found = new Map<string, InventoryPackage>();
  const lock = parseJson(file.content);
  if (!isRecord(lock)) return found;
  const lockFolder = parentFolder(file.path);
  const at = (key: string) => (lockFolder ? `${lockFolder}/${key}` : key);

  // Lock files of version 2 carry both maps; `packages` is the complete one.
  if (isRecord(lock.packages)) {
    for (const [key, entry] of Object.entries(lock.packages)) {
      // The root (key "") is the project itself, and keys outside node_modules are its
      // workspaces: the image's own code rather than installed dependencies.
      if (!isRecord(entry) || !key.startsWith(NODE_MODULES)) continue;
      if (entry.link === true || entry.dev === true) continue;
      const version = nonEmptyString(entry.version);
      if (!version) continue;
      const name = nonEmptyString(entry.name) ?? packageNameFromPath(key);
      found.set(at(key), npmPackage(name, version, file));
    }
    return found;
  }

  const visit = (dependencies: unknown, parentKey: string) => {
    if (!isRecord(dependencies)) return;
    for (const [dependencyName, entry] of Object.entries(dependencies)) {
      if (!isRecord(entry)) continue;
      const key = `${parentKey}${NODE_MODULES}${dependencyName}`;
      const resolved = lockfileV1Version(dependencyName, entry.version);
      if (resolved && entry.dev !== true) {
        found.set(at(key), npmPackage(resolved.name, resolved.version, file));
      }
      visit(entry.dependencies, `${key}/`);
    }
  };
  visit(lock.dependencies, '');
  return found;
}

/**
 * Version 1 lock files write an aliased dependency as `npm:<real name>@<version>`, and
 * dependencies from git, tarballs or local folders as their URL or `file:` path: those have
 * no registry version for an advisory to match, so they are left out.
 */
function lockfileV1Version(
  name: string,
  version: unknown,
): { name: string; version: string } | null {
  const text = nonEmptyString(version);
  if (!text) return null;
  if (text.startsWith('npm:')) {
    const alias = text.slice('npm:'.length);
    const separator = alias.lastIndexOf('@');
    if (separator <= 0) return null;
    return { name: alias.slice(0, separator), version: alias.slice(separator + 1) };
  }
  return text.includes(':') ? null : { name, version: text };
}

function npmPackage(name: string, version: string, file: CollectedFile): InventoryPackage {
  const slash = name.startsWith('@') ? name.indexOf('/') : -1;
  return {
    type: 'npm',
    name,
    version,
    purl: packageUrl(
      slash > 0
        ? { type: 'npm', namespace: name.slice(0, slash), name: name.slice(slash + 1), version }
        : { type: 'npm', name, version },
    ),
    layer: file.layer,
    path: file.path,
  };
}

/** `a/node_modules/@scope/name` gives `@scope/name`. */
function packageNameFromPath(folder: string): string {
  const start = folder.lastIndexOf(NODE_MODULES);
  return start < 0 ? folder : folder.slice(start + NODE_MODULES.length);
}

function parentFolder(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * The same package nested at two places in one lock file reads as two identical entries;
 * the inventory lists it once.
 */
function uniqueSorted(packages: InventoryPackage[]): InventoryPackage[] {
  const unique = new Map<string, InventoryPackage>();
  for (const found of packages) unique.set(`${found.path}\0${found.layer}\0${found.purl}`, found);
  return sortPackages([...unique.values()]);
}

function parseJson(content: Buffer): unknown {
  try {
    // Some Windows-authored manifests start with a byte order mark, which JSON.parse rejects.
    return JSON.parse(content.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}
