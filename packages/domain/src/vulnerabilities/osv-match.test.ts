import { describe, expect, it } from 'vitest';
import { affectedBy, matchFirstNamed, matchPackage, normalizePackageName } from './osv-match.js';
import type { OsvAffected, OsvEvent, OsvRange, OsvRecord } from './osv-record.js';

function range(events: OsvEvent[], type: OsvRange['type'] = 'ECOSYSTEM'): OsvRange {
  return { type, events };
}

function entry(
  ecosystem: string,
  name: string,
  ranges: OsvRange[],
  versions?: string[],
): OsvAffected {
  return { package: { ecosystem, name }, ranges, ...(versions ? { versions } : {}) };
}

function advisory(affected: OsvAffected[], extra: Partial<OsvRecord> = {}): OsvRecord {
  return { id: 'TEST-2024-0001', modified: '2024-01-01T00:00:00Z', affected, ...extra };
}

describe('affectedBy', () => {
  it('treats introduced "0" as before every version and fixed as exclusive', () => {
    const npm = entry('npm', 'lodash', [
      range([{ introduced: '0' }, { fixed: '4.17.21' }], 'SEMVER'),
    ]);
    expect(affectedBy(npm, '0.0.1')).toEqual({ affected: true, fixed: '4.17.21' });
    expect(affectedBy(npm, '4.17.21-rc.1')).toEqual({ affected: true, fixed: '4.17.21' });
    expect(affectedBy(npm, '4.17.21')).toEqual({ affected: false, fixed: null });
    expect(affectedBy(npm, '5.0.0')).toEqual({ affected: false, fixed: null });
  });

  it('evaluates several introduced/fixed pairs and reports the fix of the matching pair', () => {
    const pairs = entry('npm', 'pkg', [
      range(
        [{ introduced: '1.0.0' }, { fixed: '1.0.2' }, { introduced: '3.0.0' }, { fixed: '3.2.5' }],
        'SEMVER',
      ),
    ]);
    expect(affectedBy(pairs, '0.9.0').affected).toBe(false);
    expect(affectedBy(pairs, '1.0.0')).toEqual({ affected: true, fixed: '1.0.2' });
    expect(affectedBy(pairs, '1.0.2').affected).toBe(false);
    expect(affectedBy(pairs, '2.5.0').affected).toBe(false);
    expect(affectedBy(pairs, '3.1.0')).toEqual({ affected: true, fixed: '3.2.5' });
    expect(affectedBy(pairs, '3.2.5').affected).toBe(false);
  });

  it('sorts events before evaluating them', () => {
    const unsorted = entry('PyPI', 'pkg', [
      range([{ fixed: '3.2.5' }, { introduced: '3.0' }, { fixed: '1.0.2' }, { introduced: '1.0' }]),
    ]);
    expect(affectedBy(unsorted, '1.0.1')).toEqual({ affected: true, fixed: '1.0.2' });
    expect(affectedBy(unsorted, '2.0').affected).toBe(false);
    expect(affectedBy(unsorted, '3.0')).toEqual({ affected: true, fixed: '3.2.5' });
  });

  it('includes last_affected itself and reports no fix', () => {
    const capped = entry('PyPI', 'h2', [
      range([{ introduced: '0' }, { last_affected: '2.1.214' }]),
    ]);
    expect(affectedBy(capped, '2.1.214')).toEqual({ affected: true, fixed: null });
    expect(affectedBy(capped, '2.1.214.post1').affected).toBe(false);
    expect(affectedBy(capped, '2.1.215').affected).toBe(false);
  });

  it('stops a range at its limits', () => {
    const limited = entry('PyPI', 'pkg', [
      range([{ introduced: '1.0' }, { limit: '2.0' }, { limit: '1.5' }]),
    ]);
    expect(affectedBy(limited, '1.7')).toEqual({ affected: true, fixed: null });
    expect(affectedBy(limited, '2.0').affected).toBe(false);
    expect(affectedBy(limited, '0.9').affected).toBe(false);
    const unbounded = entry('PyPI', 'pkg', [range([{ introduced: '1.0' }, { limit: '*' }])]);
    expect(affectedBy(unbounded, '99.0').affected).toBe(true);
  });

  it('matches an explicit versions list, by string or by equal version', () => {
    const listed = entry('PyPI', 'pkg', [], ['1.0', '1.1']);
    expect(affectedBy(listed, '1.1')).toEqual({ affected: true, fixed: null });
    expect(affectedBy(listed, '1.1.0')).toEqual({ affected: true, fixed: null });
    expect(affectedBy(listed, '1.2').affected).toBe(false);
  });

  it('uses the ecosystem order: dpkg for Debian, apk for Alpine, Go for Go', () => {
    const debian = entry('Debian:12', 'glibc', [
      range([{ introduced: '0' }, { fixed: '2.36-9+deb12u4' }]),
    ]);
    expect(affectedBy(debian, '2.36-9+deb12u3')).toEqual({
      affected: true,
      fixed: '2.36-9+deb12u4',
    });
    // Numeric, not lexical: u10 is after u4.
    expect(affectedBy(debian, '2.36-9+deb12u10').affected).toBe(false);

    const alpine = entry('Alpine:v3.19', 'openssl', [
      range([{ introduced: '0' }, { fixed: '3.1.4-r1' }]),
    ]);
    expect(affectedBy(alpine, '3.1.4-r0')).toEqual({ affected: true, fixed: '3.1.4-r1' });
    expect(affectedBy(alpine, '3.1.4_p1-r0').affected).toBe(false);

    const go = entry('Go', 'golang.org/x/net', [
      range([{ introduced: '0' }, { fixed: '0.17.0' }], 'SEMVER'),
    ]);
    expect(affectedBy(go, 'v0.0.0-20230101000000-abcdef123456')).toEqual({
      affected: true,
      fixed: '0.17.0',
    });
    expect(affectedBy(go, 'v0.17.0').affected).toBe(false);
    const stdlib = entry('Go', 'stdlib', [
      range([{ introduced: '1.21.0-0' }, { fixed: '1.21.3' }], 'SEMVER'),
    ]);
    expect(affectedBy(stdlib, 'go1.21rc2').affected).toBe(true);
    expect(affectedBy(stdlib, 'go1.21.3').affected).toBe(false);
  });

  it('skips a range whose events do not parse, without throwing, and keeps the others', () => {
    const broken = entry('npm', 'pkg', [
      range([{ introduced: '0' }, { fixed: 'not-a-version' }], 'SEMVER'),
    ]);
    expect(() => affectedBy(broken, '1.0.0')).not.toThrow();
    expect(affectedBy(broken, '1.0.0')).toEqual({ affected: false, fixed: null });

    const mixed = entry('npm', 'pkg', [
      range([{ introduced: '1.x' }], 'SEMVER'),
      range([{ introduced: '2.0.0' }, { fixed: '2.3.0' }], 'SEMVER'),
    ]);
    expect(affectedBy(mixed, '2.1.0')).toEqual({ affected: true, fixed: '2.3.0' });
  });

  it('matches nothing for an installed version that does not parse, except an exact listing', () => {
    const all = entry('npm', 'pkg', [range([{ introduced: '0' }], 'SEMVER')], ['weird']);
    expect(affectedBy(all, 'latest')).toEqual({ affected: false, fixed: null });
    expect(affectedBy(all, 'weird')).toEqual({ affected: true, fixed: null });
  });

  it('ignores GIT ranges and ECOSYSTEM ranges of ecosystems it cannot order', () => {
    const git = entry('npm', 'pkg', [
      { type: 'GIT', repo: 'https://example.com/repo', events: [{ introduced: '0' }] },
    ]);
    expect(affectedBy(git, '1.0.0').affected).toBe(false);
    const maven = entry('Maven', 'org.example:lib', [range([{ introduced: '0' }])]);
    expect(affectedBy(maven, '1.0').affected).toBe(false);
    const crates = entry('crates.io', 'lib', [
      range([{ introduced: '0' }, { fixed: '1.2.0' }], 'SEMVER'),
    ]);
    expect(affectedBy(crates, '1.1.0')).toEqual({ affected: true, fixed: '1.2.0' });
  });

  it('treats an equal introduced and fixed as an empty range', () => {
    const empty = entry('npm', 'pkg', [
      range([{ fixed: '1.0.0' }, { introduced: '1.0.0' }], 'SEMVER'),
    ]);
    expect(affectedBy(empty, '1.0.0').affected).toBe(false);
  });

  it('advises the lowest fix that leaves every range, not one still inside another', () => {
    const overlapping = entry('npm', 'pkg', [
      range([{ introduced: '0' }, { fixed: '1.5.0' }], 'SEMVER'),
      range([{ introduced: '1.0.0' }, { fixed: '2.0.0' }], 'SEMVER'),
    ]);
    expect(affectedBy(overlapping, '1.2.0')).toEqual({ affected: true, fixed: '2.0.0' });
    expect(affectedBy(overlapping, '0.5.0')).toEqual({ affected: true, fixed: '2.0.0' });
  });
});

describe('matchPackage', () => {
  const glibc = (ecosystem: string): OsvAffected =>
    entry(ecosystem, 'glibc', [range([{ introduced: '0' }, { fixed: '2.36-9+deb12u4' }])]);

  it('returns the fix for an affected package', () => {
    const record = advisory([glibc('Debian:12')]);
    const query = { ecosystem: 'Debian:12', name: 'glibc', version: '2.36-9+deb12u3' };
    expect(matchPackage(record, query)).toEqual({ fixed: '2.36-9+deb12u4' });
    expect(matchPackage(record, { ...query, version: '2.36-9+deb12u4' })).toBeNull();
    expect(matchPackage(record, { ...query, name: 'glibc-doc' })).toBeNull();
  });

  it('matches a distribution only in the same release', () => {
    const query = { ecosystem: 'Debian:12', name: 'glibc', version: '2.36-9' };
    expect(matchPackage(advisory([glibc('Debian:11')]), query)).toBeNull();
    expect(matchPackage(advisory([glibc('Debian')]), query)).toBeNull();
    expect(matchPackage(advisory([glibc('Ubuntu:12')]), query)).toBeNull();
    expect(matchPackage(advisory([glibc('Debian:11'), glibc('Debian:12')]), query)).toEqual({
      fixed: '2.36-9+deb12u4',
    });
  });

  it('never matches a withdrawn advisory', () => {
    const record = advisory([glibc('Debian:12')], { withdrawn: '2024-02-01T00:00:00Z' });
    expect(
      matchPackage(record, { ecosystem: 'Debian:12', name: 'glibc', version: '2.36-9' }),
    ).toBeNull();
  });

  it('normalises PyPI names as PEP 503 does, and only PyPI names', () => {
    const record = advisory([
      entry('PyPI', 'Django_REST.framework', [range([{ introduced: '0' }, { fixed: '3.15.2' }])]),
    ]);
    expect(
      matchPackage(record, { ecosystem: 'PyPI', name: 'django-rest-framework', version: '3.14.0' }),
    ).toEqual({ fixed: '3.15.2' });
    expect(
      matchPackage(record, { ecosystem: 'PyPI', name: 'django--rest__framework', version: '3.14' }),
    ).toEqual({ fixed: '3.15.2' });

    const npm = advisory([entry('npm', 'Lodash', [range([{ introduced: '0' }], 'SEMVER')])]);
    expect(matchPackage(npm, { ecosystem: 'npm', name: 'lodash', version: '1.0.0' })).toBeNull();
    expect(normalizePackageName('npm', 'A_B')).toBe('A_B');
    expect(normalizePackageName('PyPI', 'A_B.c')).toBe('a-b-c');
  });

  it('keeps the union of several entries for one package, and a fix outside all of them', () => {
    const record = advisory([
      entry('npm', 'pkg', [range([{ introduced: '0' }, { fixed: '1.2.0' }], 'SEMVER')]),
      entry('npm', 'pkg', [range([{ introduced: '1.0.0' }, { fixed: '1.4.0' }], 'SEMVER')]),
    ]);
    expect(matchPackage(record, { ecosystem: 'npm', name: 'pkg', version: '1.1.0' })).toEqual({
      fixed: '1.4.0',
    });
    expect(matchPackage(record, { ecosystem: 'npm', name: 'pkg', version: '1.3.0' })).toEqual({
      fixed: '1.4.0',
    });
    expect(matchPackage(record, { ecosystem: 'npm', name: 'pkg', version: '1.4.0' })).toBeNull();
  });

  it('does not throw on versions it cannot parse', () => {
    const record = advisory([glibc('Debian:12')]);
    expect(
      matchPackage(record, { ecosystem: 'Debian:12', name: 'glibc', version: 'garbage' }),
    ).toBeNull();
  });
});

/*
 * RPM distributions, written for the test in the shape AlmaLinux, Rocky Linux and Red Hat
 * publish: one entry per binary RPM of the erratum, the fixed EVR with its epoch (Red Hat writes
 * `0:` too), a release per ecosystem string.
 */
describe('matchPackage, RPM distributions', () => {
  const errata = (ecosystem: string, fixed: string, names: string[]): OsvRecord =>
    advisory(
      names.map((name) => entry(ecosystem, name, [range([{ introduced: '0' }, { fixed }])])),
    );

  it('orders versions as rpm does: epoch, then version, then release', () => {
    const alsa = errata('AlmaLinux:9', '1:3.0.7-25.el9_3', ['openssl', 'openssl-libs']);
    const query = { ecosystem: 'AlmaLinux:9', name: 'openssl-libs', version: '1:3.0.7-24.el9' };
    expect(matchPackage(alsa, query)).toEqual({ fixed: '1:3.0.7-25.el9_3' });
    expect(matchPackage(alsa, { ...query, version: '1:3.0.7-25.el9_3' })).toBeNull();
    // A later minor release's rebuild sorts above the fix by its release.
    expect(matchPackage(alsa, { ...query, version: '1:3.0.7-27.el9' })).toBeNull();
    // Without its epoch the installed version would sort below every 1: fix and look affected.
    expect(matchPackage(alsa, { ...query, version: '3.0.9-1.el9' })).toEqual({
      fixed: '1:3.0.7-25.el9_3',
    });
  });

  it('reads an explicit 0: epoch as the missing one', () => {
    const rhsa = errata('Red Hat:enterprise_linux:9::appstream', '0:115.6.0-1.el9_3', [
      'thunderbird',
    ]);
    const query = {
      ecosystem: 'Red Hat:enterprise_linux:9::appstream',
      name: 'thunderbird',
      version: '115.5.0-1.el9_3',
    };
    expect(matchPackage(rhsa, query)).toEqual({ fixed: '0:115.6.0-1.el9_3' });
    expect(matchPackage(rhsa, { ...query, version: '115.6.0-1.el9_3' })).toBeNull();
  });

  it('keeps each release and each rebuild to itself', () => {
    const rlsa = errata('Rocky Linux:9', '0:4.9.3-2.el9_4.1', ['python3-lxml']);
    const query = { ecosystem: 'Rocky Linux:9', name: 'python3-lxml', version: '4.9.3-2.el9' };
    expect(matchPackage(rlsa, query)).toEqual({ fixed: '0:4.9.3-2.el9_4.1' });
    expect(matchPackage(rlsa, { ...query, ecosystem: 'Rocky Linux:8' })).toBeNull();
    expect(matchPackage(rlsa, { ...query, ecosystem: 'AlmaLinux:9' })).toBeNull();
  });
});

describe('matchFirstNamed', () => {
  const fixedIn = (ecosystem: string, name: string, fixed?: string): OsvAffected =>
    entry(ecosystem, name, [range([{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])])]);
  const STANDARD = 'Ubuntu:18.04:LTS';
  const PRO = 'Ubuntu:Pro:18.04:LTS';
  const asStandard = { ecosystem: STANDARD, name: 'openssl', version: '1.1.1-1ubuntu2.1~18.04.23' };
  const asPro = { ...asStandard, ecosystem: PRO };

  it('lets the first name the advisory has an entry for decide alone', () => {
    // Unfixed in the standard archive, fixed by Ubuntu Pro.
    const usn = advisory([
      fixedIn(STANDARD, 'openssl'),
      fixedIn(PRO, 'openssl', '1.1.1-1ubuntu2.1~18.04.23+esm1'),
    ]);
    expect(matchFirstNamed(usn, [asStandard, asPro])).toEqual({ fixed: null });
    // The Pro build that fixed it is judged by Pro's entry, not flagged by the standard one.
    const proBuild = '1.1.1-1ubuntu2.1~18.04.23+esm1';
    expect(
      matchFirstNamed(usn, [
        { ...asPro, version: proBuild },
        { ...asStandard, version: proBuild },
      ]),
    ).toBeNull();
    expect(matchPackage(usn, { ...asStandard, version: proBuild })).toEqual({ fixed: null });
  });

  it('falls back to a later name only when the advisory names none before it', () => {
    // Fixed only under Ubuntu Pro: the standard image still lacks the fix.
    const proOnly = advisory([fixedIn(PRO, 'openssl', '1.1.1-1ubuntu2.1~18.04.24+esm1')]);
    expect(matchFirstNamed(proOnly, [asStandard, asPro])).toEqual({
      fixed: '1.1.1-1ubuntu2.1~18.04.24+esm1',
    });
    // An RPM by its own name first, then by its source package's.
    const binary = { ecosystem: 'Rocky Linux:9', name: 'openssl-libs', version: '1:3.0.7-24.el9' };
    const source = { ...binary, name: 'openssl' };
    const bySource = advisory([fixedIn('Rocky Linux:9', 'openssl', '1:3.0.7-25.el9')]);
    expect(matchFirstNamed(bySource, [binary, source])).toEqual({ fixed: '1:3.0.7-25.el9' });
    const byBinary = advisory([
      fixedIn('Rocky Linux:9', 'openssl-libs', '1:3.0.7-20.el9'),
      fixedIn('Rocky Linux:9', 'openssl', '1:3.0.7-25.el9'),
    ]);
    expect(matchFirstNamed(byBinary, [binary, source])).toBeNull();
    expect(matchFirstNamed(advisory([]), [binary, source])).toBeNull();
  });

  it('never matches a withdrawn advisory', () => {
    const withdrawn = advisory([fixedIn(PRO, 'openssl')], { withdrawn: '2024-02-01T00:00:00Z' });
    expect(matchFirstNamed(withdrawn, [asStandard, asPro])).toBeNull();
  });
});
