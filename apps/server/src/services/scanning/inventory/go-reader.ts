import { readGoBuildInfo, type GoModule } from './go-build-info.js';
import { packageUrl } from './package-url.js';
import { sortPackages } from './sort-packages.js';
import type { CollectedFile, InventoryPackage, PackageReader } from './types.js';

const ELF_MAGIC = Buffer.from('\x7fELF', 'latin1');
const EXECUTABLE_BITS = 0o111;
/** An ELF header alone is 52 or 64 bytes; anything smaller is no binary. */
const MIN_BYTES = 64;
/**
 * Most Go binaries are 5–60 MiB. Every executable up to this size is held in memory while
 * the layer is walked, so the bound is a memory budget rather than a claim about Go: larger
 * binaries (kubelet-sized ones) are reported as skipped by the walker.
 */
const MAX_BYTES = 64 * 1024 * 1024;
/** OSV's Go ecosystem, and Trivy and Syft after it, file Go's standard library under this. */
const STDLIB = 'stdlib';

/** Go binaries: their main module, the modules linked in, and the standard library. */
export const goReader: PackageReader = {
  maxBytes: MAX_BYTES,
  // Only path, size and mode are known here; the ELF magic is checked once content is in.
  wants(_path, size, mode) {
    return (mode & EXECUTABLE_BITS) !== 0 && size >= MIN_BYTES;
  },
  read(files) {
    const packages: InventoryPackage[] = [];
    for (const file of files.final.values()) {
      if ((file.mode & EXECUTABLE_BITS) === 0) continue;
      if (!file.content.subarray(0, ELF_MAGIC.length).equals(ELF_MAGIC)) continue;
      packages.push(...readBinary(file));
    }
    return sortPackages(packages);
  },
};

function readBinary(file: CollectedFile): InventoryPackage[] {
  const info = readGoBuildInfo(file.content);
  if (!info) return [];
  const packages: InventoryPackage[] = [];
  for (const module of [...(info.main ? [info.main] : []), ...info.deps]) {
    const linked = linkedModule(module);
    if (linked) packages.push(goPackage(linked.path, linked.version, file));
  }
  const stdlibVersion = standardLibraryVersion(info.goVersion);
  if (stdlibVersion) packages.push(goPackage(STDLIB, stdlibVersion, file));
  return packages;
}

/**
 * The code linked in is the replacement's. A replacement by a local folder has no version
 * that an advisory could name, and the replaced module's version no longer describes the
 * code, so such a module is left out.
 */
function linkedModule(module: GoModule): { path: string; version: string } | null {
  const linked = module.replace ?? module;
  return linked.version === '' ? null : linked;
}

/**
 * `go1.21.3` is standard library 1.21.3, as OSV writes its versions. Toolchains built with
 * experiments append them (`go1.21.3 X:loopvar`); development toolchains (`devel go1.22-…`)
 * have no release version, so their standard library is left out.
 */
function standardLibraryVersion(goVersion: string): string | null {
  const match = /^go(\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?)(?:\s|$)/.exec(goVersion);
  return match?.[1] ?? null;
}

function goPackage(path: string, version: string, file: CollectedFile): InventoryPackage {
  const slash = path.lastIndexOf('/');
  return {
    type: 'golang',
    name: path,
    version,
    purl: packageUrl(
      slash > 0
        ? { type: 'golang', namespace: path.slice(0, slash), name: path.slice(slash + 1), version }
        : { type: 'golang', name: path, version },
    ),
    layer: file.layer,
    path: file.path,
  };
}
