import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const envSchema = z.object({
  BERTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  BERTH_HOST: z.string().default('0.0.0.0'),
  BERTH_DATA_DIR: z.string().default('./data'),
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
  /** Its password; when unset a one-time password is generated and printed once. */
  BERTH_ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').max(256).optional(),
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
  BERTH_UPLOAD_TTL_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(24 * 60 * 60 * 1000),
});

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  demo: boolean;
  regions: string[];
  consoleDir: string;
  logLevel: z.infer<typeof envSchema>['BERTH_LOG_LEVEL'];
  trashSweepIntervalMs: number;
  createNamespaceOnPush: boolean;
  gcIntervalMs: number;
  gcGraceMs: number;
  uploadTtlMs: number;
  schedulerIntervalMs: number;
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
};

/** Parses the environment once at start-up; a bad value stops the process with the reason. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (Boolean(e.BERTH_TLS_CERT) !== Boolean(e.BERTH_TLS_KEY)) {
    throw new Error(
      'invalid configuration:\n  BERTH_TLS_CERT and BERTH_TLS_KEY: set both for HTTPS, or neither',
    );
  }
  return {
    port: e.BERTH_PORT,
    host: e.BERTH_HOST,
    dataDir: path.resolve(e.BERTH_DATA_DIR),
    demo: e.BERTH_DEMO,
    regions: e.BERTH_REGIONS,
    consoleDir: e.BERTH_CONSOLE_DIR,
    logLevel: e.BERTH_LOG_LEVEL,
    trashSweepIntervalMs: e.BERTH_TRASH_SWEEP_INTERVAL_MS,
    createNamespaceOnPush: e.BERTH_CREATE_NAMESPACE_ON_PUSH,
    gcIntervalMs: e.BERTH_GC_INTERVAL_MS,
    gcGraceMs: e.BERTH_GC_GRACE_MS,
    uploadTtlMs: e.BERTH_UPLOAD_TTL_MS,
    schedulerIntervalMs: e.BERTH_SCHEDULER_INTERVAL_MS,
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
  };
}
