import { describe, expect, it } from 'vitest';
import { InvalidVersionError } from './invalid-version-error.js';
import { compareVersions, distributionFormat, ecosystemBase, isValidVersion } from './versions.js';

describe('ecosystemBase', () => {
  it('strips the release suffix of OSV ecosystem strings', () => {
    expect(ecosystemBase('Debian:12')).toBe('Debian');
    expect(ecosystemBase('Debian')).toBe('Debian');
    expect(ecosystemBase('Alpine:v3.19')).toBe('Alpine');
    expect(ecosystemBase('Ubuntu:22.04:LTS')).toBe('Ubuntu');
    expect(ecosystemBase('Ubuntu:Pro:18.04:LTS')).toBe('Ubuntu');
    expect(ecosystemBase('Ubuntu:24.10')).toBe('Ubuntu');
    expect(ecosystemBase('AlmaLinux:9')).toBe('AlmaLinux');
    expect(ecosystemBase('Rocky Linux:9')).toBe('Rocky Linux');
    expect(ecosystemBase('Red Hat:enterprise_linux:9::baseos')).toBe('Red Hat');
    expect(ecosystemBase('Red Hat:enterprise_linux:10.0')).toBe('Red Hat');
    expect(ecosystemBase('Mageia:9')).toBe('Mageia');
    expect(ecosystemBase('npm')).toBe('npm');
    expect(ecosystemBase('PyPI')).toBe('PyPI');
    expect(ecosystemBase('Go')).toBe('Go');
  });

  it('returns null for ecosystems it cannot order, and is case-sensitive', () => {
    for (const e of [
      'crates.io',
      'Maven',
      'debian:12',
      'pypi',
      'NPM',
      '',
      ':12',
      'constructor',
      'toString',
      'Rocky',
      'almalinux:9',
      // SUSE's rpm databases are not read (ndb), so nothing would ever be looked up there.
      'SUSE:Linux Enterprise Server 15 SP5',
      'openSUSE:Leap 15.5',
    ]) {
      expect(ecosystemBase(e), e).toBeNull();
    }
  });

  it("keeps only RHEL's own of Red Hat's product streams", () => {
    for (const e of [
      'Red Hat',
      'Red Hat:openshift:4.14::el9',
      'Red Hat:rhel_eus:9.2::baseos',
      'Red Hat:jboss_enterprise_application_platform:6',
    ]) {
      expect(ecosystemBase(e), e).toBeNull();
    }
  });
});

describe('distributionFormat', () => {
  it('names the package database of the operating systems, none for language ecosystems', () => {
    expect(distributionFormat('Ubuntu')).toBe('deb');
    expect(distributionFormat('Alpine')).toBe('apk');
    expect(distributionFormat('Rocky Linux')).toBe('rpm');
    expect(distributionFormat('Red Hat')).toBe('rpm');
    expect(distributionFormat('npm')).toBeNull();
  });
});

describe('compareVersions', () => {
  it('uses the order of the ecosystem', () => {
    expect(compareVersions('Debian', '1:1.0', '2.0')).toBeGreaterThan(0);
    expect(compareVersions('Ubuntu', '1.0~rc1', '1.0')).toBeLessThan(0);
    expect(compareVersions('Alpine', '1.2.3_rc1', '1.2.3')).toBeLessThan(0);
    expect(compareVersions('PyPI', '1.0.0', '1.0')).toBe(0);
    expect(compareVersions('npm', '1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(compareVersions('Go', 'v1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('Rocky Linux', '1:3.0.7-24.el9', '3.0.8-1.el9')).toBeGreaterThan(0);
    expect(compareVersions('AlmaLinux', '1.0~rc1-1', '1.0-1')).toBeLessThan(0);
    expect(compareVersions('Red Hat', '0:1.0-1.el9', '1.0-1.el9')).toBe(0);
    expect(compareVersions('Mageia', '1.0^git1-1.mga9', '1.0-1.mga9')).toBeGreaterThan(0);
  });

  it('gives different answers where the ecosystems disagree', () => {
    // dpkg sorts a trailing letter after the end of the string; PEP 440 reads "a1" as alpha 1.
    expect(compareVersions('Debian', '1.0a1', '1.0')).toBeGreaterThan(0);
    expect(compareVersions('PyPI', '1.0a1', '1.0')).toBeLessThan(0);
    // dpkg sorts letters before other symbols; rpm skips symbols and finds the same segments.
    expect(compareVersions('Debian', '1.0a', '1.0.a')).toBeLessThan(0);
    expect(compareVersions('Rocky Linux', '1.0a', '1.0.a')).toBe(0);
  });

  it('throws InvalidVersionError rather than guessing', () => {
    expect(() => compareVersions('npm', '1.0', '1.0.0')).toThrow(InvalidVersionError);
    expect(() => compareVersions('Alpine', '1.0-1', '1.0')).toThrow(InvalidVersionError);
  });
});

describe('isValidVersion', () => {
  it('checks the grammar of the ecosystem', () => {
    expect(isValidVersion('Debian', '1.0-1')).toBe(true);
    expect(isValidVersion('Alpine', '1.0-1')).toBe(false);
    expect(isValidVersion('PyPI', '1.0.post1')).toBe(true);
    expect(isValidVersion('npm', '1.0.post1')).toBe(false);
    expect(isValidVersion('AlmaLinux', '1:3.0.7-24.el9')).toBe(true);
    expect(isValidVersion('AlmaLinux', '3.0.7 24')).toBe(false);
  });
});
