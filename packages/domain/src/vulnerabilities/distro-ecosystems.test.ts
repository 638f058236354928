import { describe, expect, it } from 'vitest';
import { distroEcosystems } from './distro-ecosystems.js';

describe('distroEcosystems', () => {
  it('names Debian and Alpine releases as their OSV data does', () => {
    expect(distroEcosystems({ id: 'debian', versionId: '12' })).toEqual(['Debian:12']);
    expect(distroEcosystems({ id: 'alpine', versionId: '3.19.1' })).toEqual(['Alpine:v3.19']);
    expect(distroEcosystems({ id: 'debian', versionId: '' })).toEqual([]);
  });

  it('marks Ubuntu LTS releases, and looks in Ubuntu Pro after the standard archive', () => {
    expect(distroEcosystems({ id: 'ubuntu', versionId: '22.04' })).toEqual([
      'Ubuntu:22.04:LTS',
      'Ubuntu:Pro:22.04:LTS',
    ]);
    expect(distroEcosystems({ id: 'ubuntu', versionId: '24.04' }, '2.39-0ubuntu8.3')).toEqual([
      'Ubuntu:24.04:LTS',
      'Ubuntu:Pro:24.04:LTS',
    ]);
    // Interim releases have no LTS suffix and no Ubuntu Pro.
    expect(distroEcosystems({ id: 'ubuntu', versionId: '24.10' })).toEqual(['Ubuntu:24.10']);
    expect(distroEcosystems({ id: 'ubuntu', versionId: '23.04' })).toEqual(['Ubuntu:23.04']);
    expect(distroEcosystems({ id: 'ubuntu', versionId: '22.04.4' })).toEqual([]);
    expect(distroEcosystems({ id: 'ubuntu', versionId: '' })).toEqual([]);
  });

  it('puts Ubuntu Pro first for a package Ubuntu Pro built', () => {
    expect(
      distroEcosystems({ id: 'ubuntu', versionId: '18.04' }, '1.1.1-1ubuntu2.1~18.04.23+esm1'),
    ).toEqual(['Ubuntu:Pro:18.04:LTS', 'Ubuntu:18.04:LTS']);
  });

  it('names AlmaLinux, Rocky Linux and Mageia by their major release', () => {
    expect(distroEcosystems({ id: 'almalinux', versionId: '9.4' })).toEqual(['AlmaLinux:9']);
    expect(distroEcosystems({ id: 'rocky', versionId: '9.3' })).toEqual(['Rocky Linux:9']);
    expect(distroEcosystems({ id: 'rocky', versionId: '8' })).toEqual(['Rocky Linux:8']);
    expect(distroEcosystems({ id: 'mageia', versionId: '9' })).toEqual(['Mageia:9']);
  });

  it("names RHEL 8 and 9 by repository, and RHEL 10 by each minor release up to the image's", () => {
    expect(distroEcosystems({ id: 'rhel', versionId: '9.4' })).toEqual([
      'Red Hat:enterprise_linux:9::baseos',
      'Red Hat:enterprise_linux:9::appstream',
      'Red Hat:enterprise_linux:9::crb',
    ]);
    expect(distroEcosystems({ id: 'rhel', versionId: '10.1' })).toEqual([
      'Red Hat:enterprise_linux:10.1',
      'Red Hat:enterprise_linux:10.0',
    ]);
    expect(distroEcosystems({ id: 'rhel', versionId: '10' })).toEqual([
      'Red Hat:enterprise_linux:10.0',
    ]);
    expect(distroEcosystems({ id: 'rhel', versionId: '7.9' })).toEqual([]);
  });

  it('names nothing for systems OSV has no data for', () => {
    for (const id of ['fedora', 'centos', 'ol', 'amzn', 'opensuse-leap', 'sles', 'wolfi']) {
      expect(distroEcosystems({ id, versionId: '9' }), id).toEqual([]);
    }
  });
});
