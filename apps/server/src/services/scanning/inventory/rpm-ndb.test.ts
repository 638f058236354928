import { describe, expect, it } from 'vitest';
import { rpmHeader, type RpmFixturePackage } from '../../../testing/rpmdb.js';
import { rpmdbNdb } from '../../../testing/rpmdb-ndb.js';
import { RpmDatabaseError } from './rpm-database-error.js';
import { ndbHeaderBlobs } from './rpm-ndb.js';

const PACKAGES: RpmFixturePackage[] = [
  {
    name: 'bash',
    version: '4.4',
    release: '150400.27.3.2',
    arch: 'x86_64',
    sourceRpm: 'bash-4.4-150400.27.3.2.src.rpm',
  },
  {
    name: 'libopenssl1_1',
    version: '1.1.1l',
    release: '150500.17.25.1',
    arch: 'x86_64',
    sourceRpm: 'openssl-1_1-1.1.1l-150500.17.25.1.src.rpm',
    description: 'OpenSSL is a toolkit for supporting cryptography. '.repeat(400),
  },
  { name: 'timezone', version: '2024a', release: '150000.75.28.1', arch: 'x86_64' },
  { name: 'filesystem', version: '15.0', release: '11.8.1', arch: 'x86_64' },
];
const BLOBS = PACKAGES.map(rpmHeader);
const SLOT_PAGE = 4096;
const FIRST_SLOT = 32;

function readAll(content: Buffer): Buffer[] {
  return [...ndbHeaderBlobs(content)];
}

function rejection(content: Buffer): unknown {
  try {
    readAll(content);
  } catch (error) {
    return error;
  }
  return null;
}

describe('ndbHeaderBlobs', () => {
  it('reads every package blob, passing over freed slots and the holes they leave', () => {
    const content = rpmdbNdb(BLOBS, { erased: [3] });

    expect(readAll(content)).toEqual([BLOBS[0], BLOBS[1], BLOBS[3]]);
  });

  it('reads a database with more than one slot page', () => {
    const content = rpmdbNdb(BLOBS, { slotPages: 3 });

    expect(readAll(content)).toEqual(BLOBS);
  });

  it('rejects files that are not a readable ndb database', () => {
    const valid = rpmdbNdb(BLOBS);
    const slot = (index: number) => FIRST_SLOT + index * 16;
    const mutated = (change: (content: Buffer) => void) => {
      const content = Buffer.from(valid);
      change(content);
      return content;
    };

    for (const content of [
      Buffer.alloc(0),
      Buffer.alloc(8192, 0x5a),
      valid.subarray(0, 100),
      valid.subarray(0, SLOT_PAGE + 16),
      valid.subarray(0, valid.length - 16),
      valid.subarray(0, valid.length - 1),
      mutated((content) => content.writeUInt32LE(1, 4)), // version
      mutated((content) => content.writeUInt32LE(0, 12)), // no slot pages
      mutated((content) => content.writeUInt32LE(0xffff_ffff, 12)), // more than the file
      mutated((content) => content.write('Blot', slot(2))), // slot magic
      mutated((content) => content.writeUInt32LE(0, slot(1) + 4)), // used slot, no package
      mutated((content) => content.writeUInt32LE(10, slot(1) + 8)), // blob inside the slots
      mutated((content) => content.writeUInt32LE(0xffff_fff0, slot(1) + 8)), // past the end
      mutated((content) => content.writeUInt32LE(0xffff_ffff, slot(1) + 12)), // huge count
      // Two slots naming the same blob: each package's bytes must be its own.
      mutated((content) => content.copy(content, slot(2) + 4, slot(1) + 4, slot(1) + 16)),
      // The blob's head, length and tail are checked against the slot.
      mutated((content) => content.write('XXXX', content.readUInt32LE(slot(0) + 8) * 16)),
      mutated((content) => content.writeUInt32LE(9, content.readUInt32LE(slot(0) + 8) * 16 + 4)),
      mutated((content) =>
        content.writeUInt32LE(0x7fff_ffff, content.readUInt32LE(slot(0) + 8) * 16 + 12),
      ),
      mutated((content) => {
        const end = (content.readUInt32LE(slot(0) + 8) + content.readUInt32LE(slot(0) + 12)) * 16;
        content.write('XXXX', end - 4);
      }),
    ]) {
      expect(rejection(content)).toBeInstanceOf(RpmDatabaseError);
    }
  });

  it('throws nothing but its own rejection for mutated and truncated files', () => {
    const valid = rpmdbNdb(BLOBS, { erased: [2] });
    let state = 23;
    const random = () => {
      // A linear congruential generator is enough to spread the changes reproducibly.
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 4294967296;
    };
    const outcomes = { read: 0, rejected: 0 };
    const check = (content: Buffer) => {
      const error = rejection(content);
      if (error === null) outcomes.read += 1;
      else if (error instanceof RpmDatabaseError) outcomes.rejected += 1;
      else throw error;
    };
    for (let round = 0; round < 3000; round += 1) {
      const mutated = Buffer.from(valid);
      for (let change = 0; change < 1 + Math.floor(random() * 6); change += 1) {
        // Most changes go to the header and the used slots, where the structure lives.
        const at =
          random() < 0.6
            ? Math.floor(random() * (FIRST_SLOT + 4 * 16))
            : Math.floor(random() * valid.length);
        mutated[at] = Math.floor(random() * 256);
      }
      check(mutated);
    }
    for (let length = 0; length < valid.length; length += 53) check(valid.subarray(0, length));

    expect(outcomes.rejected).toBeGreaterThan(100);
    expect(outcomes.read).toBeGreaterThan(100);
  });
});
