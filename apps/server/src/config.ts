import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { checkPassword, checkUsername } from '@berth/domain';
import { type S3Location, checkDatabaseUrl, parseDatabaseUrl, parseS3Location } from '@berth/store';
import { parseRootKeys } from './services/projects/keyring.js';
import type { OperationSettings } from './services/operations/operation-runner.js';
import type { ScanSettings } from './services/deps.js';
import {
  type BackupSchedule,
  backupEnvShape,
  backupSchedule,
} from './services/backup/backup-settings.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const LIFETIME = /^([0-9]{1,7})([smh])$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;
const MAX_REDIRECT_SECONDS = 3600;

/**
 * BERTH_BLOB_REDIRECT: unset or `off` is null; `300s`, `20m`, `1h` the lifetime in seconds,
 * from a second to an hour (a URL that leaks is good for no longer). A unit is required: the
 * other durations here are milliseconds, so a bare number would be read both ways.
 */
function redirectSeconds(value: string | undefined): number | null {
  if (value === undefined || value === '' || value === 'off') return null;
  if (/^[0-9]+$/.test(value)) {
    throw new Error(`"${value}" needs a unit: ${value}s for seconds, or minutes such as 20m`);
  }
  const m = LIFETIME.exec(value);
  if (!m) {
    throw new Error(`"${value}" is not a lifetime: off, or seconds (300s), minutes (20m) or 1h`);
  }
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] as keyof typeof UNIT_SECONDS];
  if (seconds < 1 || seconds > MAX_REDIRECT_SECONDS) {
    throw new Error(`"${value}" is not between 1s and 1h`);
  }
  return seconds;
}

const envSchema = z.object({
  BERTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  BERTH_HOST: z.string().default('0.0.0.0'),
  BERTH_DATA_DIR: z.string().default('./data'),
  /** Where blobs live: unset, the data directory; `s3://bucket/prefix?endpoint=…&region=…`. */
  BERTH_BLOB_STORE: z
    .string()
    .max(2048)
    .optional()
    .transform((value, ctx): S3Location | null => {
      if (value === undefined || value === '') return null;
      try {
        return parseS3Location(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Where metadata lives: unset, SQLite under the data directory; `postgres://…`. */
  BERTH_DATABASE_URL: z
    .string()
    .max(2048)
    .optional()
    .transform((value, ctx): string | null => {
      if (value === undefined || value === '') return null;
      try {
        return parseDatabaseUrl(value).url;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Blob GETs answer 307 to a presigned S3 URL lasting this long; off: Berth sends the bytes. */
  BERTH_BLOB_REDIRECT: z
    .string()
    .max(64)
    .optional()
    .transform((value, ctx): number | null => {
      try {
        return redirectSeconds(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Seed the demo registry on first start with an empty data directory. */
  BERTH_DEMO: flag.default(true),
  BERTH_REGIONS: z
    .string()
    .default('local')
    .transform((v) =>
      v
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^[a-z0-9-]{1,64}$/, 'region names are lowercase letters, digits and "-"'),
        )
        .min(1),
    ),
  BERTH_CONSOLE_DIR: z.string().default(path.resolve(here, '../../console/dist')),
  BERTH_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  BERTH_TRASH_SWEEP_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60 * 60 * 1000),
  /** Off by default: a typo in a push target should not create a namespace. */
  BERTH_CREATE_NAMESPACE_ON_PUSH: flag.default(false),
  /** Unset: as decided at the installation's first start (issue 18, docs/encryption.md). */
  BERTH_ENCRYPT_IMAGE_DATA: flag.optional(),
  /** Threads that run the cipher of large transfers; unset: one fewer than the cores (1 to 4). */
  BERTH_CIPHER_WORKERS: z.coerce.number().int().min(0).max(16).optional(),
  BERTH_GC_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60 * 60 * 1000),
  BERTH_GC_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(24 * 60 * 60 * 1000),
  /** Vulnerability scans of pushed images, in the background (issue 17). */
  BERTH_SCAN_ON_PUSH: flag.default(true),
  /** Scans one process runs at once: each streams an image's layers. */
  BERTH_SCAN_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** Days a scan result is kept after it is generated (contract: 30). */
  BERTH_SCAN_RESULT_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How often each process looks in the scan queue when it has not been told of a push. */
  BERTH_SCAN_POLL_MS: z.coerce.number().int().min(100).default(5_000),
  /** Attach each successful scan's inventory to its image as an OCI referrer (CycloneDX). */
  BERTH_SCAN_ATTACH_SBOM: flag.default(false),
  ...backupEnvShape,
  /** How often each process looks for due scheduled work (retention policies). */
  BERTH_SCHEDULER_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(50)
    .default(60 * 1000),
  /** Projects per region, soft-deleted ones included (PRODUCT.md: 20). */
  BERTH_PROJECT_LIMIT: z.coerce.number().int().min(1).max(1000).default(20),
  /**
   * Hosts under which clients reach this registry; an image pointer whose registry is one of
   * them points into Berth. Default: localhost and 127.0.0.1 with BERTH_PORT.
   */
  BERTH_REGISTRY_HOSTS: z.string().max(2048).optional(),
  /** Root key(s), base64 of 32 bytes, comma-separated; the first wraps new data keys. */
  BERTH_ROOT_KEY: z.string().max(4096).optional(),
  /** Key file (one base64 key per line, first active); generated 0600 when missing. */
  BERTH_ROOT_KEY_FILE: z.string().optional(),
  /** The first admin, created on first start when no user exists. */
  BERTH_ADMIN_USERNAME: z.string().max(64).default('admin'),
  /** Its password (the domain's password rules); when unset a one-time one is printed once. */
  BERTH_ADMIN_PASSWORD: z.string().optional(),
  /** A session ends after this long without a request… */
  BERTH_SESSION_IDLE_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(60 * 60 * 1000),
  /** …and this long after sign-in in any case. */
  BERTH_SESSION_MAX_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(12 * 60 * 60 * 1000),
  /** Failed sign-ins allowed per account, and per client address, in the window. */
  BERTH_LOGIN_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
  BERTH_LOGIN_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(20),
  BERTH_LOGIN_FAILURE_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(15 * 60 * 1000),
  /** Lifetime of registry tokens issued by /auth/token. */
  BERTH_TOKEN_TTL_S: z.coerce.number().int().min(60).max(3600).default(300),
  /** HTTPS: PEM certificate (chain) and private key files; both or neither. */
  BERTH_TLS_CERT: z.string().optional(),
  BERTH_TLS_KEY: z.string().optional(),
  /**
   * Address of the proxy in front of Berth, if any (Express "trust proxy" syntax): client
   * addresses for throttling then come from X-Forwarded-For. Unset: the socket address.
   */
  BERTH_TRUST_PROXY: z.string().max(512).optional(),
  /** Images per chunk of bulk work (a repository delete, a retention confirm): one short transaction each. */
  BERTH_BULK_CHUNK_IMAGES: z.coerce.number().int().min(1).max(100_000).default(250),
  /** How long one chunk of bulk work should hold the write lock; chunks are sized to it (0: fixed). */
  BERTH_BULK_CHUNK_MS: z.coerce.number().int().min(0).max(10_000).default(25),
  /** How long bulk work rests between its chunks, leaving the writer to others (0: no rest). */
  BERTH_BULK_REST_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** How long a crashed process's claim on an operation holds before another start takes it over. */
  BERTH_OPERATION_LEASE_MS: z.coerce.number().int().min(1000).default(30_000),
  BERTH_UPLOAD_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(24 * 60 * 60 * 1000),
  /** Permission bits taken away from what Berth creates: 077 keeps the data its owner's alone. */
  BERTH_UMASK: z
    .string()
    .regex(/^0?[0-7]{3}$/, 'an octal umask such as 077 or 027')
    .default('077')
    .transform((v) => parseInt(v, 8)),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  /** Blobs in S3 (BERTH_BLOB_STORE), or null: under the data directory. */
  blobStore: S3Location | null;
  /** Metadata in PostgreSQL (BERTH_DATABASE_URL), or null: SQLite under the data directory. */
  databaseUrl: string | null;
  /** Blob GETs redirect to a presigned S3 URL good for this many seconds; null: Berth sends the bytes. */
  blobRedirectSeconds: number | null;
  demo: boolean;
  regions: string[];
  consoleDir: string;
  logLevel: z.infer<typeof envSchema>['BERTH_LOG_LEVEL'];
  trashSweepIntervalMs: number;
  createNamespaceOnPush: boolean;
  /** Encrypt new image data; null: as decided at the first start (on for new installations). */
  encryptImageData: boolean | null;
  /** Cipher worker threads (0: on the request's thread); null: the default for the cores. */
  cipherWorkers: number | null;
  gcIntervalMs: number;
  scanning: ScanSettings;
  gcGraceMs: number;
  uploadTtlMs: number;
  operations: OperationSettings;
  schedulerIntervalMs: number;
  /** Scheduled backups (BERTH_BACKUP_TARGET), or null. */
  backup: BackupSchedule | null;
  projectLimit: number;
  registryHosts: string[];
  /** Keys given in the environment (bring your own key), or null to use the key file. */
  rootKey: string | null;
  rootKeyFile: string;
  admin: { username: string; password: string | null };
  sessionIdleMs: number;
  sessionMaxMs: number;
  loginThrottle: { perAccount: number; perAddress: number; windowMs: number };
  tokenTtlSeconds: number;
  tls: { certFile: string; keyFile: string } | null;
  trustProxy: string | null;
  /** Applied to the process at start; files are created 0666 & ~umask, directories 0777 & ~umask. */
  umask: number;
};

/** Every problem found in the configuration, one line each, naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/**
 * Parses the environment and checks what it names on disk (TLS files, the data directory, the
 * root key, the first admin's password), creating nothing. Throws a ConfigError listing every
 * problem at once, so an operator fixes them in one round.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const { config, problems } = parseAndCheck(env);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** loadConfig, plus whether the address can be listened on: what `berth` runs at start-up. */
export async function checkConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const { config, problems, refused } = parseAndCheck(env);
  if (!refused.has('BERTH_PORT') && !refused.has('BERTH_HOST')) {
    const problem = await checkListen(config.host, config.port);
    if (problem) problems.push(problem);
  }
  if (config.blobStore && !refused.has('BERTH_BLOB_STORE')) {
    const { checkS3Location, createS3Client } = await import('@berth/store/s3');
    const client = createS3Client(config.blobStore);
    try {
      await checkS3Location(client, config.blobStore);
    } catch (err) {
      problems.push(`BERTH_BLOB_STORE: ${(err as Error).message}`);
    } finally {
      client.destroy();
    }
  }
  if (config.databaseUrl && !refused.has('BERTH_DATABASE_URL')) {
    try {
      await checkDatabaseUrl(config.databaseUrl);
    } catch (err) {
      problems.push(`BERTH_DATABASE_URL: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function parseAndCheck(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const refused = new Set<string>();
  let parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '');
      refused.add(name);
      problems.push(`${issue.path.join('.')}: ${issue.message}`);
    }
    // The other variables are still checked, with the refused ones at their defaults.
    parsed = envSchema.safeParse(
      Object.fromEntries(Object.entries(env).filter(([k]) => !refused.has(k))),
    );
    if (!parsed.success) throw new ConfigError(problems);
  }
  const config = toConfig(parsed.data);
  problems.push(...checkOnDisk(parsed.data, config, refused));
  problems.push(...checkBlobRedirect(config, refused));
  return { config, problems, refused };
}

type Env = z.infer<typeof envSchema>;

function checkOnDisk(e: Env, config: Config, refused: Set<string>): string[] {
  const problems: string[] = [];
  const fine = (...names: string[]) => names.every((n) => !refused.has(n));

  if (fine('BERTH_ADMIN_USERNAME', 'BERTH_ADMIN_PASSWORD')) {
    try {
      checkUsername(config.admin.username);
    } catch (err) {
      problems.push(`BERTH_ADMIN_USERNAME: ${(err as Error).message}`);
    }
    if (config.admin.password !== null) {
      try {
        checkPassword(config.admin.password, config.admin.username);
      } catch (err) {
        problems.push(`BERTH_ADMIN_PASSWORD: ${(err as Error).message}`);
      }
    }
  }

  if (fine('BERTH_TLS_CERT', 'BERTH_TLS_KEY')) {
    if (Boolean(e.BERTH_TLS_CERT) !== Boolean(e.BERTH_TLS_KEY)) {
      problems.push('BERTH_TLS_CERT and BERTH_TLS_KEY: set both for HTTPS, or neither');
    } else if (config.tls) {
      const cert = readable('BERTH_TLS_CERT', config.tls.certFile, problems);
      const key = readable('BERTH_TLS_KEY', config.tls.keyFile, problems);
      if (cert && key) {
        try {
          tls.createSecureContext({ cert, key });
        } catch (err) {
          problems.push(
            `BERTH_TLS_CERT and BERTH_TLS_KEY: not a PEM certificate and its private key (${(err as Error).message})`,
          );
        }
      }
    }
  }

  if (fine('BERTH_DATA_DIR')) {
    const problem = writableDirectory(config.dataDir);
    if (problem) problems.push(`BERTH_DATA_DIR: ${problem}`);
  }

  if (fine('BERTH_ROOT_KEY', 'BERTH_ROOT_KEY_FILE', 'BERTH_DATA_DIR')) {
    if (config.rootKey !== null) {
      try {
        parseRootKeys(config.rootKey, 'BERTH_ROOT_KEY');
      } catch (err) {
        problems.push((err as Error).message);
      }
    } else if (fs.existsSync(config.rootKeyFile)) {
      const text = readable('BERTH_ROOT_KEY_FILE', config.rootKeyFile, problems);
      if (text) {
        try {
          parseRootKeys(text.toString('utf8'), config.rootKeyFile);
        } catch (err) {
          problems.push(`BERTH_ROOT_KEY_FILE: ${(err as Error).message}`);
        }
      }
    } else if (config.databaseUrl !== null) {
      // Each process would generate a key of its own, and none could read the others' secrets
      // or registry tokens: on a shared database the key comes from the operator.
      problems.push(
        'BERTH_ROOT_KEY: with BERTH_DATABASE_URL every Berth process needs the same root key: set BERTH_ROOT_KEY (e.g. `openssl rand -base64 32`) or BERTH_ROOT_KEY_FILE to a key file that exists',
      );
    } else if (path.dirname(config.rootKeyFile) !== config.dataDir) {
      // It is generated on first start: its directory must be one Berth can create or write.
      const problem = writableDirectory(path.dirname(config.rootKeyFile));
      if (problem) problems.push(`BERTH_ROOT_KEY_FILE: ${problem}`);
    }
  }
  return problems;
}

/** Redirects and their public endpoint mean something only together, and only with S3. */
function checkBlobRedirect(config: Config, refused: Set<string>): string[] {
  if (refused.has('BERTH_BLOB_STORE') || refused.has('BERTH_BLOB_REDIRECT')) return [];
  if (config.blobRedirectSeconds !== null && config.blobStore === null) {
    return [
      'BERTH_BLOB_REDIRECT: redirects send clients to the blob in S3, and blobs are kept under BERTH_DATA_DIR; set BERTH_BLOB_STORE=s3://… or BERTH_BLOB_REDIRECT=off',
    ];
  }
  if (config.blobRedirectSeconds === null && config.blobStore?.publicEndpoint !== undefined) {
    return [
      'BERTH_BLOB_STORE: publicEndpoint is only used by blob redirects, which are off; set BERTH_BLOB_REDIRECT (such as 20m) or remove publicEndpoint',
    ];
  }
  return [];
}

function readable(name: string, file: string, problems: string[]): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    problems.push(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
    return null;
  }
}

/** Null when `dir` is a directory this process can write, or one it could create. */
function writableDirectory(dir: string): string | null {
  let existing = dir;
  while (!fs.existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const st = fs.statSync(existing, { throwIfNoEntry: false });
  if (!st?.isDirectory()) {
    return existing === dir
      ? `${dir} is not a directory`
      : `${dir} cannot be created: ${existing} is not a directory`;
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    return existing === dir
      ? `${dir} is not writable by this process`
      : `${dir} cannot be created: ${existing} is not writable by this process`;
  }
  return null;
}

/** Listens for a moment on the address Berth will use, so a port in use is told up front. */
function checkListen(host: string, port: number): Promise<string | null> {
  if (port === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(listenProblem(err, host, port)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

/** What an operator needs to read when Berth cannot listen where it was told to. */
export function listenProblem(err: NodeJS.ErrnoException, host: string, port: number): string {
  switch (err.code) {
    case 'EADDRINUSE':
      return `BERTH_PORT: ${host}:${port} is already in use by another process (another Berth?); stop it or choose another port`;
    case 'EACCES':
      return `BERTH_PORT: this process may not listen on port ${port} (ports below 1024 need privileges); choose a port of 1024 or more`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `BERTH_HOST: ${host} is not an address of this machine (${err.code})`;
    default:
      return `BERTH_HOST/BERTH_PORT: cannot listen on ${host}:${port} (${err.code ?? err.message})`;
  }
}

function toConfig(e: Env): Config {
  return {
    port: e.BERTH_PORT,
    host: e.BERTH_HOST,
    dataDir: path.resolve(e.BERTH_DATA_DIR),
    blobStore: e.BERTH_BLOB_STORE,
    databaseUrl: e.BERTH_DATABASE_URL,
    blobRedirectSeconds: e.BERTH_BLOB_REDIRECT,
    demo: e.BERTH_DEMO,
    regions: e.BERTH_REGIONS,
    consoleDir: e.BERTH_CONSOLE_DIR,
    logLevel: e.BERTH_LOG_LEVEL,
    trashSweepIntervalMs: e.BERTH_TRASH_SWEEP_INTERVAL_MS,
    createNamespaceOnPush: e.BERTH_CREATE_NAMESPACE_ON_PUSH,
    encryptImageData: e.BERTH_ENCRYPT_IMAGE_DATA ?? null,
    cipherWorkers: e.BERTH_CIPHER_WORKERS ?? null,
    gcIntervalMs: e.BERTH_GC_INTERVAL_MS,
    gcGraceMs: e.BERTH_GC_GRACE_MS,
    uploadTtlMs: e.BERTH_UPLOAD_TTL_MS,
    operations: {
      chunkImages: e.BERTH_BULK_CHUNK_IMAGES,
      chunkTargetMs: e.BERTH_BULK_CHUNK_MS,
      leaseMs: e.BERTH_OPERATION_LEASE_MS,
      restMs: e.BERTH_BULK_REST_MS,
    },
    schedulerIntervalMs: e.BERTH_SCHEDULER_INTERVAL_MS,
    backup: backupSchedule(e),
    scanning: {
      onPush: e.BERTH_SCAN_ON_PUSH,
      concurrency: e.BERTH_SCAN_CONCURRENCY,
      keepMs: e.BERTH_SCAN_RESULT_DAYS * 86_400_000,
      pollMs: e.BERTH_SCAN_POLL_MS,
      attachSbom: e.BERTH_SCAN_ATTACH_SBOM,
    },
    projectLimit: e.BERTH_PROJECT_LIMIT,
    registryHosts: e.BERTH_REGISTRY_HOSTS
      ? e.BERTH_REGISTRY_HOSTS.split(',')
          .map((h) => h.trim())
          .filter(Boolean)
      : [`localhost:${e.BERTH_PORT}`, `127.0.0.1:${e.BERTH_PORT}`],
    rootKey: e.BERTH_ROOT_KEY ?? null,
    rootKeyFile: path.resolve(
      e.BERTH_ROOT_KEY_FILE ?? path.join(path.resolve(e.BERTH_DATA_DIR), 'root.key'),
    ),
    admin: { username: e.BERTH_ADMIN_USERNAME, password: e.BERTH_ADMIN_PASSWORD ?? null },
    sessionIdleMs: e.BERTH_SESSION_IDLE_MS,
    sessionMaxMs: e.BERTH_SESSION_MAX_MS,
    loginThrottle: {
      perAccount: e.BERTH_LOGIN_FAILURES_PER_ACCOUNT,
      perAddress: e.BERTH_LOGIN_FAILURES_PER_ADDRESS,
      windowMs: e.BERTH_LOGIN_FAILURE_WINDOW_MS,
    },
    tokenTtlSeconds: e.BERTH_TOKEN_TTL_S,
    tls:
      e.BERTH_TLS_CERT && e.BERTH_TLS_KEY
        ? { certFile: path.resolve(e.BERTH_TLS_CERT), keyFile: path.resolve(e.BERTH_TLS_KEY) }
        : null,
    trustProxy: e.BERTH_TRUST_PROXY ?? null,
    umask: e.BERTH_UMASK,
  };
}
