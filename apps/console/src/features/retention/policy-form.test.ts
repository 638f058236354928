import type { RetentionPolicy } from '@berth/contract';
import { describe, expect, it } from 'vitest';
import {
  describeRules,
  formValuesFrom,
  isDirty,
  rulesFrom,
  rulesSource,
  rulesSourceSentence,
  settingsInBrief,
  showsDefaults,
  validateRules,
} from './policy-form';

const defaults: RetentionPolicy = {
  namespace: 'team',
  keepCount: 10,
  retainUntagged: false,
  excludeTags: [],
  excludeRepositories: [],
  protectUnscannedDays: null,
  enabled: false,
  dailyAt: '03:00',
  saved: false,
  nextRunAt: null,
  updatedAt: null,
  updatedBy: null,
};
const saved: RetentionPolicy = { ...defaults, keepCount: 5, saved: true, excludeTags: ['latest'] };

describe('which settings a preview or run used', () => {
  it('tells unsaved settings from the saved policy and from the defaults', () => {
    expect(rulesSource(rulesFrom(formValuesFrom(saved)), saved)).toBe('saved');
    expect(rulesSource(rulesFrom(formValuesFrom(defaults)), defaults)).toBe('defaults');
    const edited = { ...formValuesFrom(saved), keepCount: '3' };
    expect(rulesSource(rulesFrom(edited), saved)).toBe('unsaved');
    const untagged = { ...formValuesFrom(defaults), retainUntagged: true };
    expect(rulesSource(rulesFrom(untagged), defaults)).toBe('unsaved');
  });

  it('says it in one plain sentence with the settings', () => {
    const edited = rulesFrom({ ...formValuesFrom(saved), keepCount: '3', retainUntagged: true });
    expect(rulesSourceSentence('Previewing', edited, saved)).toBe(
      'Previewing unsaved settings (N=3; retain untagged: yes; protected tags: latest)',
    );
    expect(rulesSourceSentence('Ran with', rulesFrom(formValuesFrom(saved)), saved)).toBe(
      'Ran with the saved policy (N=5; retain untagged: no; protected tags: latest)',
    );
    expect(settingsInBrief(rulesFrom(formValuesFrom(defaults)))).toBe('N=10; retain untagged: no');
  });
});

describe('the "these are the defaults" hint', () => {
  it('shows only while nothing is saved and the values are the defaults', () => {
    expect(showsDefaults(formValuesFrom(defaults), defaults)).toBe(true);
    expect(showsDefaults({ ...formValuesFrom(defaults), keepCount: '4' }, defaults)).toBe(false);
    expect(showsDefaults({ ...formValuesFrom(defaults), enabled: true }, defaults)).toBe(false);
    expect(showsDefaults(formValuesFrom(saved), saved)).toBe(false);
  });
});

describe('the scan protection', () => {
  it('is off by default, offers 30 days when turned on, and sends null while off', () => {
    const values = formValuesFrom(defaults);
    expect(values).toMatchObject({ protectUnscanned: false, protectUnscannedDays: '30' });
    expect(rulesFrom(values).protectUnscannedDays).toBeNull();
    // Days typed while it is off change nothing that is sent.
    expect(isDirty({ ...values, protectUnscannedDays: '12' }, defaults)).toBe(false);
    const on = { ...values, protectUnscanned: true, protectUnscannedDays: '14' };
    expect(rulesFrom(on).protectUnscannedDays).toBe(14);
    expect(isDirty(on, defaults)).toBe(true);
    expect(rulesSource(rulesFrom(on), defaults)).toBe('unsaved');
  });

  it('shows a saved policy’s days, and says what they do', () => {
    const scans: RetentionPolicy = { ...saved, protectUnscannedDays: 7 };
    const values = formValuesFrom(scans);
    expect(values).toMatchObject({ protectUnscanned: true, protectUnscannedDays: '7' });
    expect(isDirty(values, scans)).toBe(false);
    expect(rulesSource(rulesFrom(values), scans)).toBe('saved');
    expect(settingsInBrief(rulesFrom(values))).toBe(
      'N=5; retain untagged: no; protected tags: latest; scan protection: 7 days',
    );
    expect(describeRules({ ...rulesFrom(values), protectUnscannedDays: 1 })).toBe(
      'Keeps the 5 most recent images of each repository, protects tags latest and protects images without a successful scan in the last 1 day.',
    );
  });

  it('asks for a whole number of days from 1 to 365, only while on', () => {
    const values = { ...formValuesFrom(defaults), protectUnscanned: true };
    for (const bad of ['', '0', '366', '1.5', 'ten', '-3']) {
      expect(validateRules({ ...values, protectUnscannedDays: bad }), bad).toEqual({
        protectUnscannedDays: 'Enter a whole number of days from 1 to 365.',
      });
    }
    expect(validateRules({ ...values, protectUnscannedDays: '365' })).toEqual({});
    expect(validateRules({ ...values, protectUnscanned: false, protectUnscannedDays: '' })).toEqual(
      {},
    );
  });
});
