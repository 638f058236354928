import { distroQualifier } from './distro-qualifier.js';
import { layerOfPackage } from './layer-attribution.js';
import { packageUrl } from './package-url.js';
import { sortPackages } from './sort-packages.js';
import type {
  CollectedFile,
  CollectedFiles,
  Distro,
  InventoryPackage,
  PackageReader,
} from './types.js';

const STATUS = 'var/lib/dpkg/status';
/**
 * Distroless images have no dpkg, only one status paragraph file per package, next to an
 * `.md5sums` file that lists the package's files.
 */
const STATUS_D = /^var\/lib\/dpkg\/status\.d\/[^/]+$/;
const MD5SUMS = '.md5sums';

/** A full Ubuntu desktop's status file is about 10 MiB. */
const MAX_BYTES = 64 * 1024 * 1024;

function isStatusFile(path: string): boolean {
  return path === STATUS || (STATUS_D.test(path) && !path.endsWith(MD5SUMS));
}

/** Debian and Ubuntu packages, from dpkg's status database or distroless's status.d. */
export const dpkgReader: PackageReader = {
  maxBytes: MAX_BYTES,
  wants: isStatusFile,
  read(files, distro) {
    const packages: InventoryPackage[] = [];
    for (const file of files.final.values()) {
      if (isStatusFile(file.path)) packages.push(...packagesOf(file, files, distro));
    }
    return sortPackages(packages);
  },
};

interface DpkgPackage {
  name: string;
  version: string;
  architecture: string;
  source: { name: string; version: string };
}

function packagesOf(
  file: CollectedFile,
  files: CollectedFiles,
  distro: Distro | null,
): InventoryPackage[] {
  const layerOf = layerOfPackage(
    files.history.get(file.path),
    file,
    (version) => new Map(installedPackages(version).map((found) => [keyOf(found), found.version])),
  );
  const namespace = distro?.id === 'ubuntu' ? 'ubuntu' : 'debian';
  return installedPackages(file).map((found) => ({
    type: 'deb',
    name: found.name,
    version: found.version,
    source: found.source,
    purl: packageUrl({
      type: 'deb',
      namespace,
      name: found.name,
      version: found.version,
      qualifiers: { arch: found.architecture, distro: distroQualifier(distro) },
    }),
    layer: layerOf(keyOf(found), found.version),
    path: file.path,
  }));
}

/** Multi-arch systems hold one package name once per architecture. */
function keyOf(found: DpkgPackage): string {
  return `${found.name}:${found.architecture}`;
}

function installedPackages(file: CollectedFile): DpkgPackage[] {
  const fromStatusD = file.path !== STATUS;
  const packages: DpkgPackage[] = [];
  for (const fields of controlParagraphs(file.content.toString('utf8'))) {
    const name = fields.get('package');
    const version = fields.get('version');
    if (!name || !version) continue;
    // Status is "want error state" (dpkg-query(1)); only the state says whether the files
    // are on disk: `deinstall ok config-files` left only configuration behind. status.d
    // paragraphs have no Status: every one is installed.
    const state = fields.get('status')?.split(/\s+/)[2];
    if (!fromStatusD && state !== 'installed') continue;
    packages.push({
      name,
      version,
      architecture: fields.get('architecture') ?? '',
      source: sourceOf(fields.get('source'), name, version),
    });
  }
  return packages;
}

/**
 * `Source: glibc (2.36-9)` when the source version differs from the binary's (binNMUs),
 * `Source: glibc` when it does not, no Source at all when the names match too.
 */
function sourceOf(
  field: string | undefined,
  name: string,
  version: string,
): { name: string; version: string } {
  const match = field ? /^(\S+)(?:\s+\((\S+)\))?/.exec(field.trim()) : null;
  if (!match?.[1]) return { name, version };
  return { name: match[1], version: match[2] ?? version };
}

/**
 * deb822 paragraphs (deb822(5)): `Field: value` lines, continuation lines that start with
 * a space or tab, blank lines between paragraphs. Field names are case-insensitive.
 */
function controlParagraphs(text: string): Map<string, string>[] {
  const paragraphs: Map<string, string>[] = [];
  let fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (fields.size > 0) paragraphs.push(fields);
      fields = new Map();
      last = null;
    } else if (line.startsWith(' ') || line.startsWith('\t')) {
      if (last !== null) fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
  }
  if (fields.size > 0) paragraphs.push(fields);
  return paragraphs;
}
