import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  RootKeyError,
  createKeyring,
  envKeySource,
  generateRootKey,
  keyFileSource,
  loadKeyring,
  parseRootKeys,
  rootKeyId,
  writeKeyFile,
} from './keyring.js';

const logger = pino({ level: 'silent' });
const b64 = (k: Buffer) => k.toString('base64');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-keyring-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('parseRootKeys', () => {
  it('reads base64 keys by line or comma, with comments, the first one first', () => {
    const [a, b] = [generateRootKey(), generateRootKey()];
    expect(parseRootKeys(`# note\n${b64(a)}\n\n${b64(b)} # old\n`, 'f')).toEqual([a, b]);
    expect(parseRootKeys(`${b64(a)},${b64(b)}`, 'env')).toEqual([a, b]);
  });

  it.each([
    ['', 'holds no root key'],
    ['# only a comment', 'holds no root key'],
    [Buffer.alloc(16).toString('base64'), 'entry 1 is not a base64-encoded 32-byte key'],
    ['not base64 at all, really not base64 at all!!', 'entry 1 is not'],
  ])('refuses %j', (text, message) => {
    expect(() => parseRootKeys(text, 'src')).toThrow(message);
  });
});

describe('envelope encryption', () => {
  const key = generateRootKey();
  const ring = createKeyring({ read: () => [key] });

  it('wraps a data key that only its own project and root key unwrap', () => {
    const { keyId, wrapped, dataKey } = ring.newDataKey('p1');
    expect(keyId).toBe(rootKeyId(key));
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(ring.unwrapDataKey('p1', keyId, wrapped)).toEqual(dataKey);
    expect(() => ring.unwrapDataKey('p2', keyId, wrapped)).toThrow(RootKeyError);
    const other = createKeyring({ read: () => [generateRootKey()] });
    expect(() => other.unwrapDataKey('p1', keyId, wrapped)).toThrow(/not configured/);
    const tampered = Buffer.from(wrapped);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    expect(() => ring.unwrapDataKey('p1', keyId, tampered)).toThrow(/does not decrypt/);
  });

  it('seals values bound to their context', () => {
    const { dataKey } = ring.newDataKey('p1');
    const sealed = ring.seal(dataKey, 'berth:secret:v1:p1:s1', Buffer.from('hunter2'));
    expect(sealed.includes(Buffer.from('hunter2'))).toBe(false);
    expect(ring.open(dataKey, 'berth:secret:v1:p1:s1', sealed).toString()).toBe('hunter2');
    expect(() => ring.open(dataKey, 'berth:secret:v1:p1:s2', sealed)).toThrow(RootKeyError);
    expect(() => ring.open(dataKey, 'berth:secret:v1:p1:s1', sealed.subarray(0, 10))).toThrow(
      RootKeyError,
    );
  });

  it('re-wraps a data key under the active key, keeping the data key', () => {
    const [oldKey, newKey] = [generateRootKey(), generateRootKey()];
    const before = createKeyring({ read: () => [oldKey] }).newDataKey('p1');
    const both = createKeyring({ read: () => [newKey, oldKey] });
    const after = both.rewrapDataKey('p1', before.keyId, before.wrapped);
    expect(after.keyId).toBe(rootKeyId(newKey));
    expect(both.unwrapDataKey('p1', after.keyId, after.wrapped)).toEqual(before.dataKey);
  });
});

describe('loadKeyring', () => {
  it('generates a key file readable by its owner only when there is nothing to read', () => {
    const file = path.join(dir, 'sub', 'root.key');
    const ring = loadKeyring({ rootKey: null, rootKeyFile: file, keyIdsInUse: [], logger });
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const [key] = parseRootKeys(fs.readFileSync(file, 'utf8'), file);
    expect(ring.activeKeyId()).toBe(rootKeyId(key!));
    // A second start reads the same key rather than making another.
    const again = loadKeyring({ rootKey: null, rootKeyFile: file, keyIdsInUse: [], logger });
    expect(again.activeKeyId()).toBe(ring.activeKeyId());
  });

  it('never generates a key when stored data keys need the missing one', () => {
    const file = path.join(dir, 'root.key');
    expect(() =>
      loadKeyring({ rootKey: null, rootKeyFile: file, keyIdsInUse: ['abc'], logger }),
    ).toThrow(/no root key: .* does not exist .* wrapped by root key abc/);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('refuses a key that did not wrap the stored data keys', () => {
    const stored = rootKeyId(generateRootKey());
    const given = generateRootKey();
    expect(() =>
      loadKeyring({ rootKey: b64(given), rootKeyFile: 'unused', keyIdsInUse: [stored], logger }),
    ).toThrow(new RegExp(`wrong root key: .*wrapped by root key ${stored}.*${rootKeyId(given)}`));
  });

  it('takes keys from the environment over the file', () => {
    const key = generateRootKey();
    const ring = loadKeyring({
      rootKey: b64(key),
      rootKeyFile: path.join(dir, 'root.key'),
      keyIdsInUse: [rootKeyId(key)],
      logger,
    });
    expect(ring.activeKeyId()).toBe(rootKeyId(key));
    expect(fs.existsSync(path.join(dir, 'root.key'))).toBe(false);
    expect(createKeyring(envKeySource(b64(key))).keyIds()).toEqual([rootKeyId(key)]);
  });
});

describe('key file rotation while running', () => {
  it('follows a rewritten key file: the new first key wraps, the old one still unwraps', () => {
    const file = path.join(dir, 'root.key');
    const [oldKey, newKey] = [generateRootKey(), generateRootKey()];
    writeKeyFile(file, [oldKey], 'test');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const ring = createKeyring(keyFileSource(file));
    const before = ring.newDataKey('p1');
    expect(before.keyId).toBe(rootKeyId(oldKey));

    // The rotation command, in another process, puts a new key first.
    writeKeyFile(file, [newKey, oldKey], 'test');
    const created = ring.newDataKey('p2');
    expect(created.keyId).toBe(rootKeyId(newKey));
    expect(ring.unwrapDataKey('p1', before.keyId, before.wrapped)).toEqual(before.dataKey);
  });

  it('looks in the file again for a key it does not know', () => {
    const file = path.join(dir, 'root.key');
    const [oldKey, newKey] = [generateRootKey(), generateRootKey()];
    writeKeyFile(file, [oldKey], 'test');
    const ring = createKeyring(keyFileSource(file));
    const wrappedByNew = createKeyring({ read: () => [newKey] }).newDataKey('p1');
    writeKeyFile(file, [newKey, oldKey], 'test');
    expect(ring.unwrapDataKey('p1', wrappedByNew.keyId, wrappedByNew.wrapped)).toEqual(
      wrappedByNew.dataKey,
    );
  });
});
