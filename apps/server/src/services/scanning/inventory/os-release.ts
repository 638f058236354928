import type { CollectedFiles, Distro } from './types.js';

/** `etc/os-release` is often a symlink to `usr/lib/os-release`, which is never followed. */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;
const ALPINE_RELEASE = 'etc/alpine-release';
const DEBIAN_VERSION = 'etc/debian_version';

/** Every file `distroOf` may look at; small text files. */
export const DISTRO_PATHS: readonly string[] = [
  ...OS_RELEASE_PATHS,
  ALPINE_RELEASE,
  DEBIAN_VERSION,
];
export const DISTRO_FILE_MAX_BYTES = 64 * 1024;

/**
 * The operating system of an image: os-release first (os-release(5) puts `etc/` before
 * `usr/lib/`), then the release files of images too old or too small to have one.
 */
export function distroOf(files: CollectedFiles): Distro | null {
  const text = (path: string) => files.final.get(path)?.content.toString('utf8');
  for (const path of OS_RELEASE_PATHS) {
    const content = text(path);
    const distro = content === undefined ? null : parseOsRelease(content);
    if (!distro) continue;
    if (distro.versionId !== '') return distro;
    // Debian testing and sid leave VERSION_ID out; the release file may still say more.
    const fallback = releaseFileDistro(text);
    return fallback?.id === distro.id && fallback.versionId !== ''
      ? { ...distro, versionId: fallback.versionId }
      : distro;
  }
  return releaseFileDistro(text);
}

function releaseFileDistro(text: (path: string) => string | undefined): Distro | null {
  const alpine = text(ALPINE_RELEASE)?.trim();
  if (alpine) return { id: 'alpine', versionId: alpine };
  const debian = text(DEBIAN_VERSION)?.trim();
  if (!debian) return null;
  // Stable releases say `12.5` where os-release says `12`; testing says `trixie/sid`.
  const major = /^(\d+)(?:\.|$)/.exec(debian)?.[1];
  if (major) return { id: 'debian', versionId: major };
  const codename = debian.split('/')[0];
  return codename ? { id: 'debian', versionId: '', codename } : { id: 'debian', versionId: '' };
}

/** `null` without an ID: a file that names no operating system is no evidence of one. */
export function parseOsRelease(text: string): Distro | null {
  const fields = new Map<string, string>();
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    fields.set(match[1], unquote(match[2]));
  }
  const id = fields.get('ID');
  if (!id) return null;
  const codename = fields.get('VERSION_CODENAME');
  return {
    id,
    versionId: fields.get('VERSION_ID') ?? '',
    ...(codename ? { codename } : {}),
  };
}

/**
 * os-release values follow shell quoting (os-release(5)): single quotes are literal, double
 * quotes take backslash escapes of `$`, `"`, `\` and backtick.
 */
function unquote(value: string): string {
  const trimmed = value.trim();
  const quote = trimmed[0];
  if (quote === "'" && trimmed.length >= 2 && trimmed.endsWith("'")) return trimmed.slice(1, -1);
  if (quote === '"' && trimmed.length >= 2 && trimmed.endsWith('"')) {
    return trimmed.slice(1, -1).replace(/\\([$"\\`])/g, '$1');
  }
  return trimmed.replace(/\\(.)/g, '$1');
}
