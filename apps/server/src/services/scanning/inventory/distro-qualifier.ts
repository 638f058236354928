import type { Distro } from './types.js';

/**
 * The purl `distro` qualifier as Debian, Ubuntu and Alpine advisories are matched on:
 * `debian-12`, `alpine-3.19.1`; just the ID when the image names no version (Debian sid).
 */
export function distroQualifier(distro: Distro | null): string | undefined {
  if (!distro) return undefined;
  return distro.versionId === '' ? distro.id : `${distro.id}-${distro.versionId}`;
}
