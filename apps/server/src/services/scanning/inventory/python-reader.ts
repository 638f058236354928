import { packageUrl } from './package-url.js';
import { sortPackages } from './sort-packages.js';
import type { CollectedFile, InventoryPackage, PackageReader } from './types.js';

/**
 * Installed distributions record their core metadata (PEP 566) in `*.dist-info/METADATA`
 * (wheels) or `PKG-INFO` inside `*.egg-info` / `*.egg/EGG-INFO` (setuptools eggs). Older
 * distutils installs write the egg-info as a single file, in the same format.
 */
const METADATA_FILE =
  /(?:\.dist-info\/METADATA|\.egg-info\/PKG-INFO|\.egg\/EGG-INFO\/PKG-INFO|\.egg-info)$/;

/** The headers are small, but the body holds the long description, some with a changelog. */
const MAX_BYTES = 4 * 1024 * 1024;

/** Python distributions installed by pip, setuptools or a distribution's python3-* package. */
export const pythonReader: PackageReader = {
  maxBytes: MAX_BYTES,
  wants(path) {
    return METADATA_FILE.test(path);
  },
  read(files) {
    const packages: InventoryPackage[] = [];
    for (const file of files.final.values()) {
      if (!METADATA_FILE.test(file.path)) continue;
      const found = readMetadata(file);
      if (found) packages.push(found);
    }
    return sortPackages(packages);
  },
};

function readMetadata(file: CollectedFile): InventoryPackage | null {
  const headers = readHeaders(file.content.toString('utf8'));
  const name = headers.get('name');
  const version = headers.get('version');
  if (!name || !version) return null;
  return {
    type: 'pypi',
    name,
    version,
    purl: packageUrl({ type: 'pypi', name: normalizedName(name), version }),
    layer: file.layer,
    path: file.path,
  };
}

/**
 * RFC 822-style headers, up to the blank line that starts the body (the description, which
 * may itself contain `Name:`-like lines). Names are matched without regard to case; the
 * first occurrence of a header wins, as in Python's `email` parser's `get`.
 */
function readHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') break;
    // Folded continuation lines belong to a multi-line header such as `License`.
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (value !== '' && !headers.has(key)) headers.set(key, value);
  }
  return headers;
}

/** PEP 503: `Foo.Bar_baz` and `foo-bar-baz` are the same project on PyPI. */
function normalizedName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}
