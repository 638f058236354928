/**
 * Rules of the serverless-platform projects (PRODUCT.md, Projects): names, image pointers,
 * workload sizes, the soft-delete window and the per-region limit. No I/O.
 */
import { checkDigest, checkRepositoryName, checkTag, type NameCheck } from './names.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Product contract: a deleted project stays restorable for 7 days. */
export const PROJECT_RESTORE_DAYS = 7;
/** Product contract: at most 20 projects per region, soft-deleted ones included. */
export const DEFAULT_PROJECT_LIMIT = 20;

export function projectPurgeAt(deletedAt: number, days = PROJECT_RESTORE_DAYS): number {
  return deletedAt + days * DAY_MS;
}

const ok: NameCheck = { ok: true };
const fail = (reason: string): NameCheck => ({ ok: false, reason });

/**
 * Project, app, job, secret and config-map names are DNS labels: they end up in host names
 * and environment variable references of the platform, where anything else breaks.
 */
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
export const RESOURCE_NAME_MAX = 63;

export function checkResourceName(name: string): NameCheck {
  if (name.length < 1 || name.length > RESOURCE_NAME_MAX) {
    return fail(`must be 1–${RESOURCE_NAME_MAX} characters long (got ${name.length})`);
  }
  if (!DNS_LABEL.test(name)) {
    return fail(
      'may contain only lowercase letters, digits and "-", and must start and end with a letter or digit',
    );
  }
  return ok;
}

/** A pointer from an app or job to an image: `<registry>/<namespace>/<repository>[:tag|@digest]`. */
export interface ImageReference {
  registry: string;
  namespace: string;
  repository: string;
  /** Null only when a digest is given without a tag. */
  tag: string | null;
  digest: string | null;
}

export type PointerParse = { ok: true; pointer: ImageReference } | { ok: false; reason: string };

export const IMAGE_POINTER_MAX = 512;
/** A registry host: a DNS name or IPv4 address with an optional port, or `localhost`. */
const REGISTRY_HOST =
  /^(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$/;

/**
 * Parses an image pointer. The registry is required (a pointer names where the platform
 * pulls from), as are a namespace and a repository. Without tag or digest the tag is
 * `latest`, as every client reads such a name; with both, the digest is what is pulled.
 */
export function parseImagePointer(input: string): PointerParse {
  const bad = (reason: string): PointerParse => ({ ok: false, reason });
  if (input.length === 0) return bad('must not be empty');
  if (input.length > IMAGE_POINTER_MAX) {
    return bad(`must be at most ${IMAGE_POINTER_MAX} characters (got ${input.length})`);
  }
  if (/\s/.test(input)) return bad('must not contain spaces');
  let rest = input;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const d = checkDigest(digest);
    if (!d.ok) return bad(`digest ${d.reason}`);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) {
    return bad(
      'must be <registry>/<namespace>/<repository>[:tag|@digest], for example registry.example.com/team/app:1.0',
    );
  }
  const registry = rest.slice(0, slash);
  if (!REGISTRY_HOST.test(registry)) {
    return bad(
      `"${registry}" is not a registry host (a host name with a ".", an address, or localhost, with an optional port)`,
    );
  }
  let path = rest.slice(slash + 1);
  let tag: string | null = null;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    const t = checkTag(tag);
    if (!t.ok) return bad(`tag ${t.reason}`);
  } else if (digest === null) {
    tag = 'latest';
  }
  const nsSlash = path.indexOf('/');
  if (nsSlash <= 0 || nsSlash === path.length - 1) {
    return bad(
      'needs a namespace and a repository after the registry: <registry>/<namespace>/<repository>',
    );
  }
  const namespace = path.slice(0, nsSlash);
  const repository = path.slice(nsSlash + 1);
  const name = checkRepositoryName(namespace, repository);
  if (!name.ok) return bad(`repository ${name.reason}`);
  // The namespace is one OCI path component (it holds no "/": the first one split it off).
  if (!checkRepositoryName('x', namespace).ok) {
    return bad('namespace must be lowercase letters, digits, "-" and "_"');
  }
  return { ok: true, pointer: { registry, namespace, repository, tag, digest } };
}

/** The pointer written back out, in the canonical form it is stored and shown in. */
export function formatImagePointer(p: ImageReference): string {
  return `${p.registry}/${p.namespace}/${p.repository}${p.tag !== null ? `:${p.tag}` : ''}${
    p.digest !== null ? `@${p.digest}` : ''
  }`;
}

/** Registry hosts compare without case, and a missing port is not the same host as a port. */
export function isLocalRegistry(registry: string, localHosts: readonly string[]): boolean {
  const host = registry.toLowerCase();
  return localHosts.some((h) => h.toLowerCase() === host);
}

/** Workload sizes: vCPU in steps of 1/8, memory in MiB; bounds a single node can host. */
export const CPU_MIN = 0.125;
export const CPU_MAX = 32;
export const MEMORY_MIN_MIB = 128;
export const MEMORY_MAX_MIB = 131072;

export function checkCpu(cpu: number): NameCheck {
  if (!Number.isFinite(cpu) || cpu < CPU_MIN || cpu > CPU_MAX) {
    return fail(`must be between ${CPU_MIN} and ${CPU_MAX} vCPU`);
  }
  if (!Number.isInteger(cpu * 8)) return fail('must be a multiple of 0.125 vCPU');
  return ok;
}

export function checkMemory(mib: number): NameCheck {
  if (!Number.isInteger(mib) || mib < MEMORY_MIN_MIB || mib > MEMORY_MAX_MIB) {
    return fail(`must be a whole number of MiB between ${MEMORY_MIN_MIB} and ${MEMORY_MAX_MIB}`);
  }
  return ok;
}

/** Environment variable and secret/config-map key names, as POSIX shells accept them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys of secrets and config maps may also hold "." and "-" (file names when mounted). */
const DATA_KEY = /^[A-Za-z0-9._-]+$/;
export const KEY_NAME_MAX = 253;

export function checkEnvName(name: string): NameCheck {
  if (name.length > KEY_NAME_MAX) return fail(`must be at most ${KEY_NAME_MAX} characters`);
  return ENV_NAME.test(name)
    ? ok
    : fail('must start with a letter or "_" and contain only letters, digits and "_"');
}

export function checkDataKey(name: string): NameCheck {
  if (name.length < 1 || name.length > KEY_NAME_MAX) {
    return fail(`must be 1–${KEY_NAME_MAX} characters long`);
  }
  if (name === '.' || name === '..') return fail('must not be "." or ".."');
  return DATA_KEY.test(name) ? ok : fail('may contain only letters, digits, ".", "_" and "-"');
}

export interface DeletedProjectRef {
  name: string;
  purgeAt: number;
}

/**
 * The refusal when a region is full. Soft-deleted projects count, so the message names
 * them: hard-deleting one is the way to free a slot before its 7 days are over.
 */
export function projectLimitMessage(
  region: string,
  limit: number,
  deleted: readonly DeletedProjectRef[],
): string {
  const base = `region ${region} already has ${limit} of ${limit} projects`;
  if (deleted.length === 0) return `${base}; delete a project to create another`;
  const names = [...deleted]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((d) => `"${d.name}"`)
    .join(', ');
  const noun = deleted.length === 1 ? 'project' : 'projects';
  return `${base}, counting ${deleted.length} soft-deleted ${noun} (${names}); delete ${
    deleted.length === 1 ? 'it' : 'one of them'
  } permanently from Deleted projects to free a slot`;
}

/**
 * Apps, jobs, secrets and config maps per project, each kind counted on its own. Child lists
 * are not paged, so this bounds every list response and every deletion preview.
 */
export const MAX_PROJECT_CHILDREN = 200;

export function projectChildLimitMessage(
  project: string,
  kind: string,
  limit = MAX_PROJECT_CHILDREN,
): string {
  return `project "${project}" already has ${limit} ${kind}s, the most a project holds; delete one to add another`;
}
