import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomically } from '../../durable-files.js';

/**
 * Envelope encryption for project secrets. Each project has a random 256-bit data key; the
 * data key is stored only wrapped (AES-256-GCM) by a root key the operator holds, and secret
 * values are sealed (AES-256-GCM) by the data key. Every ciphertext is bound to what it
 * belongs to through the GCM additional data, so a value copied to another project or secret
 * does not decrypt. Destroying a project's wrapped data key destroys its secrets.
 */

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The root key cannot do what was asked: missing, not matching, or not the key used. */
export class RootKeyError extends Error {
  override name = 'RootKeyError';
}

/**
 * A wrapped key or sealed value that does not authenticate under the key it is opened with:
 * the stored bytes were altered or copied from elsewhere, since the key that opens them is
 * configured (one that is not throws a plain RootKeyError).
 */
export class NotAuthenticError extends RootKeyError {
  override name = 'NotAuthenticError';
}

/** Identifies a root key in the database without revealing anything about it. */
export function rootKeyId(key: Buffer): string {
  return crypto
    .createHash('sha256')
    .update('berth root key id\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

export function generateRootKey(): Buffer {
  return crypto.randomBytes(KEY_BYTES);
}

/** One base64 key per line (or comma), `#` comments allowed; the first key is the active one. */
export function parseRootKeys(text: string, source: string): Buffer[] {
  const keys: Buffer[] = [];
  const lines = text.split(/[\n,]/);
  lines.forEach((line, i) => {
    const value = line.replace(/#.*/, '').trim();
    if (!value) return;
    // Buffer.from ignores characters outside the alphabet; a key must be exactly 32 bytes.
    if (!/^[A-Za-z0-9+/]{43}=?$/.test(value)) {
      throw new RootKeyError(
        `${source}: entry ${i + 1} is not a base64-encoded ${KEY_BYTES}-byte key (generate one with: openssl rand -base64 32)`,
      );
    }
    const key = Buffer.from(value, 'base64');
    keys.push(key);
  });
  if (keys.length === 0) throw new RootKeyError(`${source} holds no root key`);
  return keys;
}

function seal(key: Buffer, aad: string, plaintext: Buffer): Buffer {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Null when the key is wrong, the context differs or the bytes were altered. */
function open(key: Buffer, aad: string, sealed: Uint8Array): Buffer | null {
  const bytes = Buffer.from(sealed);
  if (bytes.length < NONCE_BYTES + TAG_BYTES) return null;
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return null;
  }
}

const dataKeyContext = (projectId: string) => `berth:data-key:v1:${projectId}`;

export interface WrappedDataKey {
  keyId: string;
  wrapped: Buffer;
}

export interface Keyring {
  /** The key that wraps new data keys and rotations. */
  readonly activeKeyId: () => string;
  keyIds(): string[];
  /** A fresh data key for a new project, and its wrapped form to store. */
  newDataKey(projectId: string): WrappedDataKey & { dataKey: Buffer };
  /** Throws RootKeyError, never returns a wrong key. */
  unwrapDataKey(projectId: string, keyId: string, wrapped: Uint8Array): Buffer;
  /** The same data key wrapped by the active root key (rotation). */
  rewrapDataKey(projectId: string, keyId: string, wrapped: Uint8Array): WrappedDataKey;
  /**
   * The same three for keys other than projects' (namespace keys of image data): `context`
   * names what the key belongs to and is bound into the wrap, so a key wrapped for one owner
   * never unwraps as another's, nor as a project's.
   */
  wrapKey(context: string, key: Buffer): WrappedDataKey;
  /** Throws RootKeyError, never returns a wrong key. */
  unwrapKey(context: string, keyId: string, wrapped: Uint8Array): Buffer;
  rewrapKey(context: string, keyId: string, wrapped: Uint8Array): WrappedDataKey;
  seal(dataKey: Buffer, context: string, plaintext: Buffer): Buffer;
  /** Throws RootKeyError when the value does not authenticate under this key and context. */
  open(dataKey: Buffer, context: string, sealed: Uint8Array): Buffer;
  /**
   * A 32-byte key for `purpose` derived from each root key (HKDF-SHA256), the active root
   * key's first: every process configured with the same root keys derives the same keys, so
   * nothing of them is stored, and a rotation keeps the old key's working until it is removed.
   */
  derivedKeys(purpose: string): Buffer[];
}

/** Where root keys come from; a file source notices when the rotation command rewrote it. */
export interface RootKeySource {
  read(): Buffer[];
  /** True when read() would now return something else (the key file changed). */
  changed?(): boolean;
}

/**
 * A keyring over root keys. A server keeps working while the rotation command adds a new
 * key to the key file and re-wraps the data keys: a key it does not know sends it back to
 * the source, and a changed key file makes its newest key the one that wraps new data keys.
 */
export function createKeyring(source: RootKeySource): Keyring {
  let keys = new Map<string, Buffer>();
  let active = '';
  const use = (list: Buffer[]) => {
    keys = new Map(list.map((k) => [rootKeyId(k), k]));
    active = rootKeyId(list[0] as Buffer);
  };
  use(source.read());
  const refresh = () => {
    if (source.changed?.()) use(source.read());
  };

  const rootKey = (keyId: string): Buffer => {
    let key = keys.get(keyId);
    if (!key && source.changed) {
      use(source.read());
      key = keys.get(keyId);
    }
    if (!key) {
      throw new RootKeyError(
        `root key ${keyId} is not configured (configured: ${[...keys.keys()].join(', ')}); the data key it wrapped cannot be read`,
      );
    }
    return key;
  };

  const unwrapIn = (context: string, owner: string, keyId: string, wrapped: Uint8Array) => {
    const dataKey = open(rootKey(keyId), context, wrapped);
    if (!dataKey || dataKey.length !== KEY_BYTES) {
      throw new NotAuthenticError(
        `the data key of ${owner} does not decrypt under root key ${keyId}: the key is not the one that wrapped it, or the stored key was altered`,
      );
    }
    return dataKey;
  };
  const unwrap = (projectId: string, keyId: string, wrapped: Uint8Array): Buffer =>
    unwrapIn(dataKeyContext(projectId), `project ${projectId}`, keyId, wrapped);

  const derived = new Map<string, Buffer>();
  const derive = (keyId: string, purpose: string): Buffer => {
    const id = `${keyId}\n${purpose}`;
    let key = derived.get(id);
    if (!key) {
      const info = `berth ${purpose}`;
      key = Buffer.from(
        crypto.hkdfSync('sha256', rootKey(keyId), Buffer.alloc(0), info, KEY_BYTES),
      );
      derived.set(id, key);
    }
    return key;
  };

  return {
    activeKeyId: () => active,
    keyIds: () => [...keys.keys()],
    newDataKey(projectId) {
      refresh();
      const dataKey = crypto.randomBytes(KEY_BYTES);
      const key = rootKey(active);
      return { keyId: active, wrapped: seal(key, dataKeyContext(projectId), dataKey), dataKey };
    },
    unwrapDataKey: unwrap,
    rewrapDataKey(projectId, keyId, wrapped) {
      refresh();
      const dataKey = unwrap(projectId, keyId, wrapped);
      return { keyId: active, wrapped: seal(rootKey(active), dataKeyContext(projectId), dataKey) };
    },
    wrapKey(context, key) {
      refresh();
      return { keyId: active, wrapped: seal(rootKey(active), context, key) };
    },
    unwrapKey: (context, keyId, wrapped) => unwrapIn(context, context, keyId, wrapped),
    rewrapKey(context, keyId, wrapped) {
      refresh();
      const key = unwrapIn(context, context, keyId, wrapped);
      return { keyId: active, wrapped: seal(rootKey(active), context, key) };
    },
    derivedKeys(purpose) {
      refresh();
      return [active, ...[...keys.keys()].filter((id) => id !== active)].map((id) =>
        derive(id, purpose),
      );
    },
    seal,
    open(dataKey, context, sealed) {
      const plain = open(dataKey, context, sealed);
      if (!plain) {
        throw new NotAuthenticError(
          `a sealed value of ${context} does not authenticate under its project's data key`,
        );
      }
      return plain;
    },
  };
}

export interface KeyringOptions {
  /** Keys from the environment (BERTH_ROOT_KEY), or null to use the key file. */
  rootKey: string | null;
  rootKeyFile: string;
  /** Root key ids the stored data keys are wrapped by: each must be configured. */
  keyIdsInUse: string[];
  logger: Logger;
}

export function readKeyFile(file: string): Buffer[] {
  return parseRootKeys(fs.readFileSync(file, 'utf8'), file);
}

export function keyFileSource(file: string): RootKeySource {
  let seen = '';
  const stamp = () => {
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st ? `${st.mtimeMs}:${st.size}:${st.ino}` : '';
  };
  return {
    read() {
      seen = stamp();
      return readKeyFile(file);
    },
    changed: () => stamp() !== seen,
  };
}

export const envKeySource = (value: string): RootKeySource => ({
  read: () => parseRootKeys(value, 'BERTH_ROOT_KEY'),
});

/** Writes a new key file readable by its owner only; never replaces an existing one. */
function createKeyFile(file: string, logger: Logger): void {
  // Its directory too is its owner's alone, whatever the umask.
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = generateRootKey();
  try {
    const fd = fs.openSync(file, 'wx', 0o600);
    try {
      fs.writeSync(
        fd,
        `# Berth root key: wraps the data keys of project secrets. Back it up; without it no secret can be read.\n${key.toString('base64')}\n`,
      );
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    // Another process starting at the same moment wrote it first: use that one.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  logger.warn({ file }, 'generated a new root key for project secrets; back this file up');
}

/**
 * Replaces the key file with these keys (the first active) without a moment where it is
 * missing or half-written: a temporary file, 0600, synced, then renamed over it.
 */
export function writeKeyFile(file: string, keys: readonly Buffer[], note: string): void {
  writeFileAtomically(file, `# ${note}\n${keys.map((k) => k.toString('base64')).join('\n')}\n`);
}

/**
 * Loads the root keys at start-up and refuses to start when they cannot read what the
 * database holds: a server with the wrong key must fail loudly, before it writes anything.
 */
export function loadKeyring(opts: KeyringOptions): Keyring {
  const { rootKey, rootKeyFile, keyIdsInUse, logger } = opts;
  let keyring: Keyring;
  if (rootKey !== null) {
    keyring = createKeyring(envKeySource(rootKey));
  } else if (fs.existsSync(rootKeyFile)) {
    const mode = fs.statSync(rootKeyFile).mode & 0o777;
    if (mode & 0o077) {
      logger.warn(
        { file: rootKeyFile, mode: mode.toString(8) },
        'the root key file is readable by others; chmod 600 it',
      );
    }
    keyring = createKeyring(keyFileSource(rootKeyFile));
  } else if (keyIdsInUse.length > 0) {
    throw new RootKeyError(
      `no root key: ${rootKeyFile} does not exist and BERTH_ROOT_KEY is not set, but project data keys are wrapped by root key ${keyIdsInUse.join(', ')}. Restore the key file or set BERTH_ROOT_KEY; a new key could not read any secret, so Berth does not start.`,
    );
  } else {
    createKeyFile(rootKeyFile, logger);
    keyring = createKeyring(keyFileSource(rootKeyFile));
  }
  const configured = new Set(keyring.keyIds());
  const missing = keyIdsInUse.filter((id) => !configured.has(id));
  if (missing.length > 0) {
    throw new RootKeyError(
      `wrong root key: project data keys are wrapped by root key ${missing.join(', ')}, but the configured key${configured.size === 1 ? ' is' : 's are'} ${[...configured].join(', ')}. Nothing was changed; start with the key that wrapped them (during a rotation, list both).`,
    );
  }
  return keyring;
}
