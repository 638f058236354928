import { describe, expect, it } from 'vitest';
import { pythonReader } from './python-reader.js';
import type { CollectedFile, CollectedFiles } from './types.js';

const BASE = 'sha256:' + 'a'.repeat(64);
const APP = 'sha256:' + 'b'.repeat(64);
const SITE = 'usr/lib/python3.11/site-packages';

function file(path: string, text: string, layer = APP): CollectedFile {
  return { path, content: Buffer.from(text), layer, mode: 0o644 };
}

function collected(...versions: CollectedFile[]): CollectedFiles {
  const final = new Map<string, CollectedFile>();
  const history = new Map<string, CollectedFile[]>();
  for (const version of versions) {
    final.set(version.path, version);
    history.set(version.path, [...(history.get(version.path) ?? []), version]);
  }
  return { final, history };
}

describe('pythonReader.wants', () => {
  it.each([
    [`${SITE}/requests-2.31.0.dist-info/METADATA`, true],
    [`${SITE}/six-1.16.0.egg-info/PKG-INFO`, true],
    [`${SITE}/setuptools-40.0.0-py3.6.egg/EGG-INFO/PKG-INFO`, true],
    [`${SITE}/distro-1.5.0.egg-info`, true],
    [`${SITE}/requests-2.31.0.dist-info/RECORD`, false],
    [`${SITE}/requests/METADATA`, false],
    ['src/PKG-INFO', false],
  ])('%s → %s', (path, wanted) => {
    expect(pythonReader.wants(path, 100, 0o644)).toBe(wanted);
  });
});

describe('pythonReader.read', () => {
  it('reads name and version from the headers, not from the description', () => {
    const files = collected(
      file(
        `${SITE}/Flask_SQLAlchemy-3.0.5.dist-info/METADATA`,
        'Metadata-Version: 2.1\r\nName: Flask_SQLAlchemy\r\nVersion: 3.0.5\r\n\r\nName: not-a-header\r\n',
      ),
      file(`${SITE}/requests-2.30.0.dist-info/METADATA`, 'Name: requests\nVersion: 2.30.0\n', BASE),
      file(
        `${SITE}/requests-2.30.0.dist-info/METADATA`,
        [
          'Metadata-Version: 2.1',
          'Name: requests',
          'Version: 2.31.0+local.1',
          'License: Apache 2.0',
          '        Version: 0.0.0 (a folded License line, not a header)',
          'Summary: Python HTTP for Humans.',
          '',
          'Version: 9.9.9',
        ].join('\n'),
      ),
      file(`${SITE}/zope.interface-6.0.egg-info/PKG-INFO`, 'Name: zope.interface\nVersion: 6.0\n'),
      file(
        `${SITE}/distro-1.5.0.egg-info`,
        'metadata-version: 1.1\nname: distro\nversion: 1.5.0\n',
      ),
    );

    expect(pythonReader.read(files, null)).toEqual([
      {
        type: 'pypi',
        name: 'Flask_SQLAlchemy',
        version: '3.0.5',
        purl: 'pkg:pypi/flask-sqlalchemy@3.0.5',
        layer: APP,
        path: `${SITE}/Flask_SQLAlchemy-3.0.5.dist-info/METADATA`,
      },
      {
        type: 'pypi',
        name: 'distro',
        version: '1.5.0',
        purl: 'pkg:pypi/distro@1.5.0',
        layer: APP,
        path: `${SITE}/distro-1.5.0.egg-info`,
      },
      {
        type: 'pypi',
        name: 'requests',
        version: '2.31.0+local.1',
        purl: 'pkg:pypi/requests@2.31.0%2Blocal.1',
        layer: APP,
        path: `${SITE}/requests-2.30.0.dist-info/METADATA`,
      },
      {
        type: 'pypi',
        name: 'zope.interface',
        version: '6.0',
        purl: 'pkg:pypi/zope-interface@6.0',
        layer: APP,
        path: `${SITE}/zope.interface-6.0.egg-info/PKG-INFO`,
      },
    ]);
  });

  it('skips metadata without a name or a version in its headers', () => {
    const files = collected(
      file(`${SITE}/noversion-1.0.dist-info/METADATA`, 'Name: noversion\nSummary: x\n'),
      file(`${SITE}/late-1.0.dist-info/METADATA`, 'Name: late\n\nVersion: 1.0\n'),
      file(`${SITE}/noname-1.0.egg-info/PKG-INFO`, 'Version: 1.0\n'),
      file(`${SITE}/empty-1.0.dist-info/METADATA`, ''),
      file(`${SITE}/binary-1.0.dist-info/METADATA`, '\u0000\u0001\u0002'),
      file(`${SITE}/blank-1.0.dist-info/METADATA`, 'Name: blank\nVersion:   \n'),
    );

    expect(pythonReader.read(files, null)).toEqual([]);
  });
});
