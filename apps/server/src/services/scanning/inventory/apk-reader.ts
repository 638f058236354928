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

const INSTALLED = 'lib/apk/db/installed';

/** The database lists every file of every package: some MiB on large images. */
const MAX_BYTES = 64 * 1024 * 1024;

/** Alpine packages, from apk's installed database. */
export const apkReader: PackageReader = {
  maxBytes: MAX_BYTES,
  wants: (path) => path === INSTALLED,
  read(files, distro) {
    const file = files.final.get(INSTALLED);
    return file ? sortPackages(packagesOf(file, files, distro)) : [];
  },
};

interface ApkPackage {
  name: string;
  version: string;
  architecture: string;
  origin: string | undefined;
}

function packagesOf(
  file: CollectedFile,
  files: CollectedFiles,
  distro: Distro | null,
): InventoryPackage[] {
  const layerOf = layerOfPackage(
    files.history.get(file.path),
    file,
    (version) => new Map(installedPackages(version).map((found) => [found.name, found.version])),
  );
  return installedPackages(file).map((found) => ({
    type: 'apk',
    name: found.name,
    version: found.version,
    // Subpackages share their origin's version: apk builds them all from one APKBUILD.
    ...(found.origin ? { source: { name: found.origin, version: found.version } } : {}),
    purl: packageUrl({
      type: 'apk',
      namespace: 'alpine',
      name: found.name,
      version: found.version,
      qualifiers: { arch: found.architecture, distro: distroQualifier(distro) },
    }),
    layer: layerOf(found.name, found.version),
    path: file.path,
  }));
}

/**
 * One block per package, `X:value` lines, blocks separated by blank lines (apk-tools'
 * "installed database" format). The file lists (`F:`, `R:`, ...) are passed over.
 */
function installedPackages(file: CollectedFile): ApkPackage[] {
  const packages: ApkPackage[] = [];
  let fields = new Map<string, string>();
  const finish = () => {
    const name = fields.get('P');
    const version = fields.get('V');
    if (name && version) {
      packages.push({
        name,
        version,
        architecture: fields.get('A') ?? '',
        origin: fields.get('o'),
      });
    }
    fields = new Map();
  };
  for (const line of file.content.toString('utf8').split(/\r?\n/)) {
    if (line.trim() === '') {
      finish();
      continue;
    }
    if (line[1] !== ':') continue;
    const key = line[0];
    if (key === 'P' || key === 'V' || key === 'A' || key === 'o') fields.set(key, line.slice(2));
  }
  finish();
  return packages;
}
