import { describe, expect, it } from 'vitest';
import {
  OCI_ZSTD,
  checkedInGoFixture,
  goFixture,
  gzipLayer,
  hasGo,
  layerOf,
  tarOf,
  zstd,
} from '../../../testing/layer-fixtures.js';
import { defaultReaders, readInventory } from './inventory.js';

/*
 * A real Go binary (testing/go-binary: a main module and one vendored dependency, stripped)
 * in real layers, read by every reader at once, as a scan reads a distroless Go image.
 */

const OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const BASE_FILES = 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n';

/** `go1.19.8` is the standard library 1.19.8, as OSV names its versions. */
const stdlibOf = (goVersion: string) => /^go(\d+(?:\.\d+)*)/.exec(goVersion)?.[1];

describe('a real Go binary', () => {
  it('lists its main module, its dependency and the standard library, with package URLs', async () => {
    const { binary, goVersion } = goFixture();
    const base = layerOf(
      zstd(
        await tarOf([
          { path: 'etc/os-release', content: OS_RELEASE },
          { path: 'var/lib/dpkg/status.d/base-files', content: BASE_FILES },
        ]),
      ),
      OCI_ZSTD,
    );
    const app = await gzipLayer([
      { path: 'usr/local/bin/', type: 'directory' },
      { path: 'usr/local/bin/berth-fixture', content: binary, mode: 0o755 },
      // Not executable: a copy that no one runs is not what the image ships.
      { path: 'opt/backup/berth-fixture', content: binary, mode: 0o644 },
    ]);
    const stdlib = stdlibOf(goVersion);
    expect(stdlib).toMatch(/^1\.\d+/);

    const inventory = await readInventory([base, app], defaultReaders);

    const at = { layer: app.digest, path: 'usr/local/bin/berth-fixture' };
    expect(inventory).toEqual({
      distro: { id: 'debian', versionId: '12', codename: 'bookworm' },
      packages: [
        {
          type: 'deb',
          name: 'base-files',
          version: '12.4+deb12u5',
          source: { name: 'base-files', version: '12.4+deb12u5' },
          purl: 'pkg:deb/debian/base-files@12.4%2Bdeb12u5?arch=amd64&distro=debian-12',
          layer: base.digest,
          path: 'var/lib/dpkg/status.d/base-files',
        },
        {
          type: 'golang',
          name: 'example.com/berth-fixture',
          version: '(devel)',
          purl: 'pkg:golang/example.com/berth-fixture@%28devel%29',
          ...at,
        },
        {
          type: 'golang',
          name: 'example.com/greeting',
          version: 'v1.4.2',
          purl: 'pkg:golang/example.com/greeting@v1.4.2',
          ...at,
        },
        {
          type: 'golang',
          name: 'stdlib',
          version: stdlib,
          purl: `pkg:golang/stdlib@${stdlib}`,
          ...at,
        },
      ],
      skipped: [],
    });
  });

  it('is small enough to keep in the repository', () => {
    expect(checkedInGoFixture().binary.length).toBeLessThan(2 * 1024 * 1024);
  });

  // Catches sources changed without running build.sh, where the toolchain allows the check.
  it.skipIf(!hasGo() || goFixture().goVersion !== checkedInGoFixture().goVersion)(
    'is checked in as build.sh builds it',
    () => {
      expect(goFixture().fresh).toBe(true);
      expect(checkedInGoFixture().binary.equals(goFixture().binary)).toBe(true);
    },
  );
});
