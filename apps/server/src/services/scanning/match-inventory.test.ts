import { describe, expect, it } from 'vitest';
import type { Store, StoredAdvisory } from '@berth/store';
import type { InventoryPackage } from './inventory/types.js';
import { type AdvisoryCache, matchInventory, osvQueryOf } from './match-inventory.js';

const debian = { id: 'debian', versionId: '12' };

const deb = (name: string, version: string, source = name): InventoryPackage => ({
  type: 'deb',
  name,
  version,
  source: { name: source, version },
  purl: `pkg:deb/debian/${name}@${version}`,
  layer: 'sha256:layer',
  path: 'var/lib/dpkg/status',
});

const advisory = (id: string, name: string, fixed: string): StoredAdvisory => ({
  id,
  modified: 1,
  published: null,
  withdrawn: null,
  summary: `${name} bug`,
  details: '',
  aliases: [],
  severity: 'high',
  score: 7.5,
  affected: [
    {
      package: { ecosystem: 'Debian:12', name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }],
    },
  ],
  packages: [{ ecosystem: 'Debian:12', name }],
});

/** The advisories store's lookup, over a fixed list, counting the names it is asked for. */
function advisories(list: StoredAdvisory[]) {
  const asked: string[] = [];
  const store: Pick<Store, 'advisories'> = {
    advisories: {
      forPackages: async (ecosystem: string, names: readonly string[]) => {
        asked.push(...names);
        return list
          .filter((a) =>
            a.packages.some((p) => p.ecosystem === ecosystem && names.includes(p.name)),
          )
          .map((a) => ({ ...a, packages: a.packages.filter((p) => names.includes(p.name)) }));
      },
    } as unknown as Store['advisories'],
  };
  return { store, asked };
}

describe('matchInventory', () => {
  it('looks Debian packages up by source package in the image release', () => {
    expect(osvQueryOf(deb('libssl3', '3.0.13-1', 'openssl'), debian)).toEqual({
      ecosystem: 'Debian:12',
      name: 'openssl',
      version: '3.0.13-1',
    });
    expect(osvQueryOf(deb('libssl3', '3.0.13-1', 'openssl'), null)).toBeNull();
  });

  it('reads each package’s advisories once per cache, with the same findings', async () => {
    const list = [advisory('DSA-1', 'openssl', '3.0.14-1'), advisory('DSA-2', 'zlib', '1.3-1')];
    const first = [deb('libssl3', '3.0.13-1', 'openssl'), deb('zlib1g', '1.2-1', 'zlib')];
    const second = [deb('libssl3', '3.0.15-1', 'openssl'), deb('bash', '5.2-1')];
    const uncached = advisories(list);
    const expected = [
      await matchInventory(uncached.store, first, debian),
      await matchInventory(uncached.store, second, debian),
    ];
    const cached = advisories(list);
    const cache: AdvisoryCache = new Map();
    const got = [
      await matchInventory(cached.store, first, debian, cache),
      await matchInventory(cached.store, second, debian, cache),
    ];
    expect(got).toEqual(expected);
    expect(got[0]?.findings.map((f) => f.advisoryId)).toEqual(['DSA-1', 'DSA-2']);
    expect(got[1]?.findings).toEqual([]);
    // openssl was read for the first image only; bash, with no advisory, once too.
    expect(cached.asked.sort()).toEqual(['bash', 'openssl', 'zlib']);
    expect(uncached.asked.sort()).toEqual(['bash', 'openssl', 'openssl', 'zlib']);
  });
});
