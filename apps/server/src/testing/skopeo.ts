import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Runs the real `skopeo` client against a registry on loopback. Every run gets a private
 * HOME, XDG dirs, TMPDIR, auth file, registries.conf and registries.d, so the user's
 * configuration and credentials are neither read nor written, and `--insecure-policy` keeps
 * /etc/containers/policy.json out of the picture.
 *
 * What Debian 12's skopeo 1.9.3 (containers/image 5.23) does with OCI 1.1 content, found
 * against Distribution 2.8.2:
 * - An image manifest with `artifactType`, `subject` and a non-image config (the OCI empty
 *   config, or e.g. a Helm config) copies byte for byte, as long as nothing asks for a
 *   conversion: `--format v2s2` fails with "unsupported image-specific operation on artifact",
 *   and so does plain `skopeo inspect`; `inspect --raw` works.
 * - The OCI 1.1-rc artifact manifest (`application/vnd.oci.artifact.manifest.v1+json`) cannot
 *   be read from a layout at all ("no descriptor found for reference").
 * - `subject` is carried as opaque bytes: skopeo neither calls nor emulates the referrers API,
 *   and copying an image does not bring its signatures along; push them by tag.
 */

const SKOPEO = 'skopeo';
const DEFAULT_TIMEOUT_MS = 60_000;
// Manifests and digests are small, but `inspect --raw` of a big index must not be cut off.
const MAX_BUFFER = 64 * 1024 * 1024;

export interface SkopeoOptions {
  timeoutMs?: number;
  /** Run in this session's sandbox, so a `login` before carries over; a fresh one otherwise. */
  session?: SkopeoSession;
}

export interface SkopeoResult {
  stdout: Buffer;
  stderr: string;
}

let available: boolean | undefined;

/** Whether `skopeo` runs at all; cached because `describe.skipIf` calls it at import time. */
export function hasSkopeo(): boolean {
  if (available === undefined) {
    try {
      execFileSync(SKOPEO, ['--version'], { stdio: 'ignore', timeout: 10_000 });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

interface Sandbox {
  root: string;
  authFile: string;
  tmpDir: string;
  registriesD: string;
  env: NodeJS.ProcessEnv;
}

/** A sandbox kept across runs (its auth file holds what `login` stored) until disposed. */
export interface SkopeoSession {
  /** Removes the sandbox and the credentials in it. */
  dispose(): void;
}

const sessions = new WeakMap<SkopeoSession, Sandbox>();

/**
 * A sandbox for several runs, e.g. `login` then `copy`: dispose of it in the test's cleanup
 * (`afterEach`/`finally`), since nothing else removes it.
 */
export function skopeoSession(): SkopeoSession {
  const box = createSandbox();
  const session = { dispose: () => fs.rmSync(box.root, { recursive: true, force: true }) };
  sessions.set(session, box);
  return session;
}

/**
 * One sandbox per skopeo run, removed when it ends: Vitest ends its workers without an `exit`
 * event, so a sandbox shared for the worker's lifetime would be left behind in /tmp. Making
 * one costs well under a millisecond next to skopeo's own start-up.
 */
async function withSandbox<T>(opts: SkopeoOptions, fn: (box: Sandbox) => Promise<T>): Promise<T> {
  const shared = opts.session ? sessions.get(opts.session) : undefined;
  if (opts.session && !shared) throw new Error('this skopeo session was disposed of');
  if (shared) return fn(shared);
  const box = createSandbox();
  try {
    return await fn(box);
  } finally {
    fs.rmSync(box.root, { recursive: true, force: true });
  }
}

function createSandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-skopeo-'));
  const dirs = ['home', 'config', 'runtime', 'tmp', 'registries.d'].map((d) => path.join(root, d));
  for (const dir of dirs) fs.mkdirSync(dir, { mode: 0o700 });
  const [home = '', config = '', runtime = '', tmpDir = '', registriesD = ''] = dirs;
  const authFile = path.join(root, 'auth.json');
  fs.writeFileSync(authFile, '{}', { mode: 0o600 });
  const registriesConf = path.join(root, 'registries.conf');
  fs.writeFileSync(registriesConf, '');
  return {
    root,
    authFile,
    tmpDir,
    registriesD,
    // Only PATH survives from the caller's environment: no proxies, no DOCKER_CONFIG.
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: config,
      XDG_RUNTIME_DIR: runtime,
      TMPDIR: tmpDir,
      REGISTRY_AUTH_FILE: authFile,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
    },
  };
}

function run(
  box: Sandbox,
  args: string[],
  opts: SkopeoOptions & { stdin?: string },
): Promise<SkopeoResult> {
  const globalArgs = [
    '--insecure-policy',
    '--registries.d',
    box.registriesD,
    '--tmpdir',
    box.tmpDir,
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(
      SKOPEO,
      [...globalArgs, ...args],
      {
        env: box.env,
        encoding: 'buffer',
        maxBuffer: MAX_BUFFER,
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      },
      (error, stdout, stderr) => {
        const errText = stderr.toString('utf8').trim();
        if (error) {
          reject(new Error(`skopeo ${args.join(' ')} failed: ${errText || error.message}`));
        } else {
          resolve({ stdout, stderr: errText });
        }
      },
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}

/**
 * Runs `skopeo ...args` in a fresh sandbox (or the session's); rejects with skopeo's stderr in
 * the message. The auth file is also in `REGISTRY_AUTH_FILE`, so subcommands need no
 * `--authfile`.
 */
export function skopeo(args: string[], opts: SkopeoOptions = {}): Promise<SkopeoResult> {
  return withSandbox(opts, (box) => run(box, args, opts));
}

/**
 * `skopeo login` to a plain-HTTP registry, storing the credentials in the session's auth file
 * for the runs that follow. The password goes through stdin, not the command line.
 */
export async function login(
  host: string,
  username: string,
  password: string,
  opts: SkopeoOptions & { session: SkopeoSession },
): Promise<SkopeoResult> {
  return withSandbox(opts, (box) =>
    run(box, ['login', '--tls-verify=false', '--username', username, '--password-stdin', host], {
      ...opts,
      stdin: password,
    }),
  );
}

export interface CopyOptions extends SkopeoOptions {
  /** Copy every manifest of an index (`--all`), as multi-arch pushes need. */
  all?: boolean;
  /**
   * `user:password` (or `user:<API key>`) for the registry side of the copy; otherwise what
   * the session logged in with, or anonymous.
   */
  creds?: string;
}

export interface RegistryOptions extends SkopeoOptions {
  /** As for `CopyOptions.creds`. */
  creds?: string;
}

function docker(ref: string): string {
  return ref.startsWith('docker://') ? ref : `docker://${ref}`;
}

function credsArgs(flag: string, creds: string | undefined): string[] {
  return creds === undefined ? [] : [flag, creds];
}

/**
 * `skopeo copy` with digests preserved (a push that would rewrite a manifest must fail, not
 * silently change what the test compares) and no retries (a flaky endpoint must show).
 * Returns the manifest digest skopeo wrote.
 */
function copy(
  source: string,
  destination: string,
  extra: string[],
  opts: CopyOptions,
): Promise<string> {
  return withSandbox(opts, async (box) => {
    // Unique: copies in one session may run at once.
    const digestFile = path.join(box.root, `digest-${randomUUID()}`);
    const args = [
      'copy',
      '--authfile',
      box.authFile,
      '--preserve-digests',
      '--retry-times',
      '0',
      '--digestfile',
      digestFile,
      ...(opts.all ? ['--all'] : []),
      ...extra,
      source,
      destination,
    ];
    await run(box, args, opts);
    const digest = fs.readFileSync(digestFile, 'utf8').trim();
    fs.rmSync(digestFile, { force: true });
    return digest;
  });
}

/**
 * Pushes `oci:<layoutDir>:<ref>` to `destination`, e.g. `127.0.0.1:5000/ns/repo:tag`, and
 * returns the pushed manifest's digest. An index needs `all: true`: without it skopeo 1.9
 * pushes only the host platform's child and tags that, with no error even under
 * `--preserve-digests`, so the returned digest is the child's, not the index's.
 */
export function pushLayout(
  layoutDir: string,
  ref: string,
  destination: string,
  opts: CopyOptions = {},
): Promise<string> {
  return copy(
    `oci:${layoutDir}:${ref}`,
    docker(destination),
    ['--dest-tls-verify=false', ...credsArgs('--dest-creds', opts.creds)],
    opts,
  );
}

/** Pulls `source` (`host/repo:tag` or `host/repo@sha256:...`) into `oci:<layoutDir>:<ref>`. */
export function pullToLayout(
  source: string,
  layoutDir: string,
  ref: string,
  opts: CopyOptions = {},
): Promise<string> {
  fs.mkdirSync(layoutDir, { recursive: true });
  return copy(
    docker(source),
    `oci:${layoutDir}:${ref}`,
    ['--src-tls-verify=false', ...credsArgs('--src-creds', opts.creds)],
    opts,
  );
}

function registryArgs(box: Sandbox, opts: RegistryOptions): string[] {
  return [
    '--authfile',
    box.authFile,
    '--tls-verify=false',
    '--retry-times',
    '0',
    ...credsArgs('--creds', opts.creds),
  ];
}

/** `skopeo delete`: deletes the manifest `ref` resolves to (a tag deletes by its digest). */
export async function deleteImage(ref: string, opts: RegistryOptions = {}): Promise<void> {
  await withSandbox(opts, (box) =>
    run(box, ['delete', ...registryArgs(box, opts), docker(ref)], opts),
  );
}

/** The manifest bytes exactly as the registry served them (`skopeo inspect --raw`). */
export async function inspectRaw(ref: string, opts: RegistryOptions = {}): Promise<Buffer> {
  const { stdout } = await withSandbox(opts, (box) =>
    run(box, ['inspect', '--raw', ...registryArgs(box, opts), docker(ref)], opts),
  );
  return stdout;
}
