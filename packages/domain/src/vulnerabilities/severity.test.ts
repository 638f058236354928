import { describe, expect, it } from 'vitest';
import type { OsvAffected, OsvRecord } from './osv-record.js';
import { severityOf, severityOfScore, severityRank, type Severity } from './severity.js';

function record(extra: Partial<OsvRecord> = {}): OsvRecord {
  return { id: 'GHSA-xxxx-xxxx-xxxx', modified: '2024-01-01T00:00:00Z', ...extra };
}

function affected(extra: Partial<OsvAffected> = {}): OsvAffected {
  return { package: { ecosystem: 'npm', name: 'pkg' }, ...extra };
}

describe('severityOfScore', () => {
  it('follows the CVSS v3.1 qualitative scale at its boundaries', () => {
    expect(severityOfScore(0)).toBe('none');
    expect(severityOfScore(0.1)).toBe('low');
    expect(severityOfScore(3.9)).toBe('low');
    expect(severityOfScore(4.0)).toBe('medium');
    expect(severityOfScore(6.9)).toBe('medium');
    expect(severityOfScore(7.0)).toBe('high');
    expect(severityOfScore(8.9)).toBe('high');
    expect(severityOfScore(9.0)).toBe('critical');
    expect(severityOfScore(10)).toBe('critical');
  });
});

describe('severityOf', () => {
  it('scores a CVSS_V3 vector', () => {
    const critical = record({
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    });
    expect(severityOf(critical)).toEqual({ severity: 'critical', score: 9.8 });
    const medium = record({
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' }],
    });
    expect(severityOf(medium)).toEqual({ severity: 'medium', score: 6.1 });
    const low = record({
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N' }],
    });
    expect(severityOf(low)).toEqual({ severity: 'low', score: 3.1 });
  });

  it('prefers the score over a label, and takes the worst of several scores', () => {
    const both = record({
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N' },
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H' },
      ],
      database_specific: { severity: 'LOW' },
    });
    expect(severityOf(both)).toEqual({ severity: 'high', score: 7.5 });
  });

  it('reads package-level severity', () => {
    const perPackage = record({
      affected: [
        affected({
          severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H' }],
        }),
      ],
    });
    expect(severityOf(perPackage)).toEqual({ severity: 'critical', score: 10 });
  });

  it('falls back to the database label when there is no CVSS v3 vector', () => {
    const v4Only = record({
      severity: [
        {
          type: 'CVSS_V4',
          score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
        },
      ],
      database_specific: { severity: 'MODERATE' },
    });
    expect(severityOf(v4Only)).toEqual({ severity: 'medium', score: null });
    const onEntry = record({ affected: [affected({ database_specific: { severity: 'HIGH' } })] });
    expect(severityOf(onEntry)).toEqual({ severity: 'high', score: null });
    const ubuntu = record({ severity: [{ type: 'Ubuntu', score: 'negligible' }] });
    expect(severityOf(ubuntu)).toEqual({ severity: 'low', score: null });
    const redHat = record({ database_specific: { severity: 'Important' } });
    expect(severityOf(redHat)).toEqual({ severity: 'high', score: null });
  });

  it('says unknown, without throwing, when nothing usable is there', () => {
    expect(severityOf(record())).toEqual({ severity: 'unknown', score: null });
    const malformed = record({
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L' },
        { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' },
      ],
      database_specific: { severity: 42 },
      affected: [affected({ database_specific: { severity: 'SEVERE' } })],
    });
    expect(severityOf(malformed)).toEqual({ severity: 'unknown', score: null });
  });
});

describe('severityRank', () => {
  it('sorts critical first and none last', () => {
    const all: Severity[] = ['low', 'none', 'critical', 'unknown', 'medium', 'high'];
    const sorted = [...all].sort((a, b) => severityRank(b) - severityRank(a));
    expect(sorted).toEqual(['critical', 'high', 'medium', 'low', 'unknown', 'none']);
  });
});
