import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { CliError, EXIT, usageError } from './exit-codes.js';
import type { Transport } from './http.js';

export const DEFAULT_SERVER = 'http://localhost:8080';

/** What `berth login` remembers: one server, and the API key it created there. */
const storedLogin = z.object({
  server: z.string(),
  username: z.string(),
  apiKey: z.string(),
  keyId: z.string(),
  keyName: z.string(),
  insecure: z.boolean().default(false),
});
export type StoredLogin = z.infer<typeof storedLogin>;

export function configFile(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'berth', 'config.json');
}

export function readLogin(env: NodeJS.ProcessEnv): StoredLogin | null {
  const file = configFile(env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    return storedLogin.parse(JSON.parse(text));
  } catch {
    throw new CliError(EXIT.failed, `${file} is not a Berth login; remove it or run berth login`);
  }
}

/**
 * Written as a new file with mode 0600 and renamed over the old one, so the key is never
 * readable by others, not even for a moment, and a crash leaves the old file whole.
 */
export function writeLogin(env: NodeJS.ProcessEnv, login: StoredLogin): string {
  const file = configFile(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
  return file;
}

export function forgetLogin(env: NodeJS.ProcessEnv): boolean {
  const file = configFile(env);
  if (!fs.existsSync(file)) return false;
  fs.rmSync(file);
  return true;
}

export function normaliseServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`--server: "${raw}" is not a URL (for example https://berth.example.com)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`--server: "${raw}" must start with http:// or https://`);
  }
  if (url.search || url.hash) throw usageError(`--server: "${raw}" must not have a query`);
  return url.toString().replace(/\/+$/, '');
}

export interface Settings extends Transport {
  /** Where the key came from, to say what to do when it is refused. */
  keySource: '--api-key' | 'BERTH_API_KEY' | 'berth login' | null;
}

/**
 * Flags beat the environment, which beats the stored login. The stored key is only sent to
 * the server it was created on: pointing --server elsewhere never leaks it.
 */
export function resolveSettings(
  flags: { server?: string; apiKey?: string; insecure: boolean },
  env: NodeJS.ProcessEnv,
): Settings {
  const login = readLogin(env);
  const server = normaliseServer(flags.server ?? env.BERTH_URL ?? login?.server ?? DEFAULT_SERVER);
  const insecure = flags.insecure || (login?.server === server && login.insecure);
  if (flags.apiKey) return { server, apiKey: flags.apiKey, insecure, keySource: '--api-key' };
  if (env.BERTH_API_KEY) {
    return { server, apiKey: env.BERTH_API_KEY, insecure, keySource: 'BERTH_API_KEY' };
  }
  if (login && login.server === server) {
    return { server, apiKey: login.apiKey, insecure, keySource: 'berth login' };
  }
  return { server, apiKey: null, insecure, keySource: null };
}
