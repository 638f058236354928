import { describe, expect, it } from 'vitest';
import { npmReader } from './npm-reader.js';
import type { CollectedFile, CollectedFiles } from './types.js';

const BASE = 'sha256:' + 'a'.repeat(64);
const APP = 'sha256:' + 'b'.repeat(64);
const REBUILD = 'sha256:' + 'c'.repeat(64);

function file(path: string, content: unknown, layer = APP): CollectedFile {
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  return { path, content: Buffer.from(text), layer, mode: 0o644 };
}

/** `final` holds the last version of each path; `history` every version, oldest first. */
function collected(...versions: CollectedFile[]): CollectedFiles {
  const final = new Map<string, CollectedFile>();
  const history = new Map<string, CollectedFile[]>();
  for (const version of versions) {
    final.set(version.path, version);
    history.set(version.path, [...(history.get(version.path) ?? []), version]);
  }
  return { final, history };
}

describe('npmReader.wants', () => {
  it.each([
    ['app/node_modules/express/package.json', true],
    ['node_modules/@babel/core/package.json', true],
    ['app/node_modules/a/node_modules/b/package.json', true],
    ['app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json', true],
    ['app/package-lock.json', true],
    ['package-lock.json', true],
    // The project's own manifest, and files inside a package, describe nothing installed.
    ['app/package.json', false],
    ['app/node_modules/express/lib/package.json', false],
    ['app/node_modules/@babel/package.json', false],
    ['app/node_modules/.package-lock.json', false],
    ['app/node_modules/.bin/package.json', false],
    ['app/yarn.lock', false],
  ])('%s → %s', (path, wanted) => {
    expect(npmReader.wants(path, 100, 0o644)).toBe(wanted);
  });
});

describe('npmReader.read', () => {
  it('lists installed packages with the layer and path of their manifest', () => {
    const files = collected(
      file('app/node_modules/express/package.json', { name: 'express', version: '4.18.1' }, BASE),
      file('app/node_modules/express/package.json', { name: 'express', version: '4.18.2' }),
      file('app/node_modules/@babel/core/package.json', { name: '@babel/core', version: '7.23.0' }),
      file('app/node_modules/express/node_modules/debug/package.json', {
        name: 'debug',
        version: '2.6.9',
      }),
      // Installed under an alias: advisories name the real package.
      file('app/node_modules/old-ms/package.json', { name: 'ms', version: '2.0.0' }),
      file('app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json', {
        name: 'ms',
        version: '2.1.3',
      }),
      // Wanted by another reader, and not a package's own manifest.
      file('app/node_modules/express/lib/package.json', { name: 'inner', version: '1.0.0' }),
    );

    expect(npmReader.read(files, null)).toEqual([
      {
        type: 'npm',
        name: 'ms',
        version: '2.1.3',
        purl: 'pkg:npm/ms@2.1.3',
        layer: APP,
        path: 'app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json',
      },
      {
        type: 'npm',
        name: '@babel/core',
        version: '7.23.0',
        purl: 'pkg:npm/%40babel/core@7.23.0',
        layer: APP,
        path: 'app/node_modules/@babel/core/package.json',
      },
      {
        type: 'npm',
        name: 'debug',
        version: '2.6.9',
        purl: 'pkg:npm/debug@2.6.9',
        layer: APP,
        path: 'app/node_modules/express/node_modules/debug/package.json',
      },
      {
        type: 'npm',
        name: 'express',
        version: '4.18.2',
        purl: 'pkg:npm/express@4.18.2',
        layer: APP,
        path: 'app/node_modules/express/package.json',
      },
      {
        type: 'npm',
        name: 'ms',
        version: '2.0.0',
        purl: 'pkg:npm/ms@2.0.0',
        layer: APP,
        path: 'app/node_modules/old-ms/package.json',
      },
    ]);
  });

  it('reads a version 3 lock file, preferring what is installed at the same place', () => {
    const files = collected(
      file(
        'srv/package-lock.json',
        {
          name: 'shop',
          version: '1.0.0',
          lockfileVersion: 3,
          packages: {
            '': { name: 'shop', version: '1.0.0' },
            'node_modules/express': { version: '4.18.2' },
            'node_modules/express/node_modules/debug': { version: '2.6.9' },
            'node_modules/@types/node': { version: '20.8.0' },
            'node_modules/renamed': { name: 'lodash', version: '4.17.21' },
            'node_modules/typescript': { version: '5.2.2', dev: true },
            'node_modules/ui': { resolved: 'packages/ui', link: true },
            'node_modules/no-version': { resolved: 'https://example.com/x.tgz' },
            'packages/ui': { name: 'ui', version: '0.1.0' },
          },
        },
        BASE,
      ),
      // Upgraded after the lock was written: the folder holds 4.18.3, not 4.18.2.
      file('srv/node_modules/express/package.json', { name: 'express', version: '4.18.3' }),
    );

    expect(npmReader.read(files, null)).toEqual([
      {
        type: 'npm',
        name: 'express',
        version: '4.18.3',
        purl: 'pkg:npm/express@4.18.3',
        layer: APP,
        path: 'srv/node_modules/express/package.json',
      },
      {
        type: 'npm',
        name: '@types/node',
        version: '20.8.0',
        purl: 'pkg:npm/%40types/node@20.8.0',
        layer: BASE,
        path: 'srv/package-lock.json',
      },
      {
        type: 'npm',
        name: 'debug',
        version: '2.6.9',
        purl: 'pkg:npm/debug@2.6.9',
        layer: BASE,
        path: 'srv/package-lock.json',
      },
      {
        type: 'npm',
        name: 'lodash',
        version: '4.17.21',
        purl: 'pkg:npm/lodash@4.17.21',
        layer: BASE,
        path: 'srv/package-lock.json',
      },
    ]);
  });

  it('reads the dependency tree of a version 1 lock file', () => {
    const files = collected(
      file(
        'package-lock.json',
        {
          name: 'legacy',
          version: '1.0.0',
          lockfileVersion: 1,
          dependencies: {
            accepts: {
              version: '1.3.8',
              dependencies: { 'mime-types': { version: '2.1.35' } },
            },
            'mime-types': { version: '2.1.34' },
            'old-ms': { version: 'npm:ms@2.0.0' },
            local: { version: 'file:../local' },
            fromgit: { version: 'github:owner/repo#abc123' },
            mocha: { version: '10.2.0', dev: true },
          },
        },
        REBUILD,
      ),
      // The lock lists the installed package at the same place: one entry, from the manifest.
      file('node_modules/accepts/package.json', { name: 'accepts', version: '1.3.8' }),
    );

    expect(npmReader.read(files, null)).toEqual([
      {
        type: 'npm',
        name: 'accepts',
        version: '1.3.8',
        purl: 'pkg:npm/accepts@1.3.8',
        layer: APP,
        path: 'node_modules/accepts/package.json',
      },
      {
        type: 'npm',
        name: 'mime-types',
        version: '2.1.34',
        purl: 'pkg:npm/mime-types@2.1.34',
        layer: REBUILD,
        path: 'package-lock.json',
      },
      {
        type: 'npm',
        name: 'mime-types',
        version: '2.1.35',
        purl: 'pkg:npm/mime-types@2.1.35',
        layer: REBUILD,
        path: 'package-lock.json',
      },
      {
        type: 'npm',
        name: 'ms',
        version: '2.0.0',
        purl: 'pkg:npm/ms@2.0.0',
        layer: REBUILD,
        path: 'package-lock.json',
      },
    ]);
  });

  it('lists a package nested at several places in one lock file once', () => {
    const files = collected(
      file('package-lock.json', {
        lockfileVersion: 2,
        packages: {
          'node_modules/a/node_modules/ms': { version: '2.0.0' },
          'node_modules/b/node_modules/ms': { version: '2.0.0' },
        },
        // Version 2 repeats the tree in the version 1 shape; `packages` is read instead.
        dependencies: { stale: { version: '9.9.9' } },
      }),
    );

    expect(npmReader.read(files, null)).toEqual([
      {
        type: 'npm',
        name: 'ms',
        version: '2.0.0',
        purl: 'pkg:npm/ms@2.0.0',
        layer: APP,
        path: 'package-lock.json',
      },
    ]);
  });

  it('skips manifests and lock files that are not JSON objects, and manifests without a version', () => {
    const files = collected(
      file('node_modules/broken/package.json', '{"name": "broken", "version": '),
      file('node_modules/array/package.json', '[1, 2]'),
      file('node_modules/unversioned/package.json', { name: 'unversioned' }),
      file('node_modules/bom/package.json', '\uFEFF{"name": "bom", "version": "1.0.0"}'),
      file('package-lock.json', 'null'),
      file('app/package-lock.json', Buffer.from([0xff, 0xfe, 0x00]).toString('latin1')),
    );

    expect(npmReader.read(files, null)).toEqual([
      {
        type: 'npm',
        name: 'bom',
        version: '1.0.0',
        purl: 'pkg:npm/bom@1.0.0',
        layer: APP,
        path: 'node_modules/bom/package.json',
      },
    ]);
  });
});
