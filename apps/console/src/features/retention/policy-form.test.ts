import type { RetentionPolicy } from '@berth/contract';
import { describe, expect, it } from 'vitest';
import {
  formValuesFrom,
  rulesFrom,
  rulesSource,
  rulesSourceSentence,
  settingsInBrief,
  showsDefaults,
} from './policy-form';

const defaults: RetentionPolicy = {
  namespace: 'team',
  keepCount: 10,
  retainUntagged: false,
  excludeTags: [],
  excludeRepositories: [],
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
