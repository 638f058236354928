import { describe, expect, it } from 'vitest';
import { gzipLayer, type FixtureEntry } from '../../../testing/layer-fixtures.js';
import { collectFiles } from './layer-walker.js';
import { DISTRO_PATHS, distroOf, parseOsRelease } from './os-release.js';

async function distroOfImage(entries: FixtureEntry[]) {
  const { files } = await collectFiles([await gzipLayer(entries)], (path) =>
    DISTRO_PATHS.includes(path) ? 4096 : false,
  );
  return distroOf(files);
}

const bookworm = [
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
  'NAME="Debian GNU/Linux"',
  'VERSION_ID="12"',
  'VERSION="12 (bookworm)"',
  'VERSION_CODENAME=bookworm',
  'ID=debian',
  'HOME_URL="https://www.debian.org/"',
].join('\n');

describe('parseOsRelease', () => {
  it('reads ID, VERSION_ID and VERSION_CODENAME, quoted or not', () => {
    expect(parseOsRelease(bookworm)).toEqual({
      id: 'debian',
      versionId: '12',
      codename: 'bookworm',
    });
  });

  it('follows shell quoting and skips comments and blank lines', () => {
    const text = [
      '# written by hand',
      '',
      "ID='alpine'",
      'VERSION_ID="3.19.1"  ',
      'PRETTY_NAME="Alpine \\"edge\\" \\$HOME"',
      '  # VERSION_ID=9',
      'not a field',
    ].join('\r\n');

    expect(parseOsRelease(text)).toEqual({ id: 'alpine', versionId: '3.19.1' });
  });

  it('names no distribution without an ID', () => {
    expect(parseOsRelease('NAME="Something"\nVERSION_ID=1\n')).toBeNull();
  });
});

describe('distroOf', () => {
  it('prefers etc/os-release to usr/lib/os-release', async () => {
    expect(
      await distroOfImage([
        { path: 'usr/lib/os-release', content: 'ID=debian\nVERSION_ID=11\n' },
        {
          path: 'etc/os-release',
          content: 'ID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n',
        },
      ]),
    ).toEqual({ id: 'ubuntu', versionId: '22.04', codename: 'jammy' });
  });

  it('reads usr/lib/os-release when etc/os-release is a symlink to it', async () => {
    expect(
      await distroOfImage([
        { path: 'usr/lib/os-release', content: bookworm },
        { path: 'etc/os-release', type: 'symlink', target: '../usr/lib/os-release' },
      ]),
    ).toEqual({ id: 'debian', versionId: '12', codename: 'bookworm' });
  });

  it('falls back to etc/alpine-release', async () => {
    expect(await distroOfImage([{ path: 'etc/alpine-release', content: '3.20.3\n' }])).toEqual({
      id: 'alpine',
      versionId: '3.20.3',
    });
  });

  it('falls back to etc/debian_version, major version only as os-release has it', async () => {
    expect(await distroOfImage([{ path: 'etc/debian_version', content: '12.7\n' }])).toEqual({
      id: 'debian',
      versionId: '12',
    });
  });

  it('takes the codename of a testing release from etc/debian_version', async () => {
    expect(await distroOfImage([{ path: 'etc/debian_version', content: 'trixie/sid\n' }])).toEqual({
      id: 'debian',
      versionId: '',
      codename: 'trixie',
    });
  });

  it('fills a missing VERSION_ID from the distribution’s own release file', async () => {
    expect(
      await distroOfImage([
        { path: 'etc/os-release', content: 'ID=alpine\nPRETTY_NAME="Alpine edge"\n' },
        { path: 'etc/alpine-release', content: '3.21_alpha20240923\n' },
      ]),
    ).toEqual({ id: 'alpine', versionId: '3.21_alpha20240923' });
  });

  it('finds none in an image without release files', async () => {
    expect(await distroOfImage([{ path: 'bin/sh', content: 'x' }])).toBeNull();
  });
});
