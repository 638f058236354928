import { describe, expect, it } from 'vitest';
import { packageUrl } from './package-url.js';

describe('packageUrl', () => {
  it.each([
    [
      { type: 'npm', namespace: '@Babel', name: 'Core', version: '7.0.0' },
      'pkg:npm/%40babel/core@7.0.0',
    ],
    [{ type: 'pypi', name: 'Django', version: '1.11.1+local' }, 'pkg:pypi/django@1.11.1%2Blocal'],
    [
      {
        type: 'golang',
        namespace: 'github.com/Azure',
        name: 'go-autorest',
        version: 'v14.2.0+incompatible',
      },
      'pkg:golang/github.com/azure/go-autorest@v14.2.0%2Bincompatible',
    ],
    // rpm names are case-sensitive; qualifiers come sorted by key, empty ones left out.
    [
      {
        type: 'rpm',
        namespace: 'fedora',
        name: 'NetworkManager',
        version: '1.44.2-1.fc39',
        qualifiers: { epoch: '1', distro: 'fedora-39', arch: 'x86_64', empty: '', none: undefined },
      },
      'pkg:rpm/fedora/NetworkManager@1.44.2-1.fc39?arch=x86_64&distro=fedora-39&epoch=1',
    ],
    // Colons stay; everything outside the unreserved set, including !*'(), is encoded as UTF-8.
    [
      { type: 'deb', name: 'x', version: "1:2.0~rc(1)!*' é" },
      'pkg:deb/x@1:2.0~rc%281%29%21%2A%27%20%C3%A9',
    ],
    [{ type: 'apk', name: 'a/b', version: '1?2#3&4' }, 'pkg:apk/a%2Fb@1%3F2%233%264'],
  ] as const)('%j → %s', (parts, expected) => {
    expect(packageUrl(parts)).toBe(expected);
  });
});
