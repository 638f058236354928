/**
 * What an image holds, as its container filesystem would show it: the packages that package
 * managers and language tools record, each with the layer that added it. Filled by the layer
 * walker (layer-walker.ts) and the readers of each kind of package database.
 */
export type PackageType = 'deb' | 'apk' | 'rpm' | 'npm' | 'pypi' | 'golang';

export interface InventoryPackage {
  type: PackageType;
  name: string;
  version: string;
  /** Debian's source package (advisories name it), or an RPM's source RPM; when known. */
  source?: { name: string; version: string };
  /** The package URL (https://github.com/package-url/purl-spec). */
  purl: string;
  /** Digest of the layer that added this package at this version. */
  layer: string;
  /** The file it was found in, without a leading slash (e.g. `var/lib/dpkg/status`). */
  path: string;
}

/** The operating system of the image, from `etc/os-release` (or `usr/lib/os-release`). */
export interface Distro {
  /** os-release ID: `debian`, `ubuntu`, `alpine`, `rhel`, ... */
  id: string;
  /** os-release VERSION_ID: `12`, `3.19.1`, ... */
  versionId: string;
  /** os-release VERSION_CODENAME when present: `bookworm`. */
  codename?: string;
}

/** One version of a file, as one layer left it. */
export interface CollectedFile {
  /** Without a leading slash, `.` and `..` resolved; never leaves the root. */
  path: string;
  content: Buffer;
  /** Digest of the layer this version comes from. */
  layer: string;
  /** Unix permission bits (e.g. 0o755). */
  mode: number;
  /**
   * Set when the path was deleted (by a whiteout, or replaced by another kind of entry) after
   * the previous version in `history`: what that version held did not last up to this one.
   */
  recreated?: true;
}

/**
 * The files a reader asked for: `final` is the filesystem after every layer (whiteouts
 * applied); `history` is every version each wanted path had, in layer order, including ones
 * later deleted or overwritten (so a reader can tell which layer first added a package).
 */
export interface CollectedFiles {
  final: ReadonlyMap<string, CollectedFile>;
  history: ReadonlyMap<string, readonly CollectedFile[]>;
}

/** A reader of one kind of package database. */
export interface PackageReader {
  /** Whether the walker should keep this regular file's content (path as in CollectedFile). */
  wants(path: string, size: number, mode: number): boolean;
  /** Content larger than this is skipped (and reported), never buffered. */
  maxBytes: number;
  /** The packages installed, from the final filesystem; history only to attribute layers. */
  read(files: CollectedFiles, distro: Distro | null): InventoryPackage[];
}
