import { describe, expect, it } from 'vitest';
import { quotaFromForm, quotaToForm } from './quota';

describe('namespace quota form values', () => {
  it('shows a quota in the largest unit that keeps it readable', () => {
    expect(quotaToForm(50 * 2 ** 30)).toEqual({ amount: '50', unit: 'GiB' });
    expect(quotaToForm(1.5 * 2 ** 40)).toEqual({ amount: '1.5', unit: 'TiB' });
    expect(quotaToForm(300 * 2 ** 20)).toEqual({ amount: '300', unit: 'MiB' });
    expect(quotaToForm(1000)).toEqual({ amount: '0.001', unit: 'MiB' });
  });

  it('turns the form back into whole bytes, and refuses what the API would', () => {
    expect(quotaFromForm('50', 'GiB')).toEqual({ ok: true, bytes: 50 * 2 ** 30 });
    expect(quotaFromForm(' 1.5 ', 'TiB')).toEqual({ ok: true, bytes: 1.5 * 2 ** 40 });
    expect(quotaFromForm('', 'GiB').ok).toBe(false);
    expect(quotaFromForm('abc', 'GiB').ok).toBe(false);
    expect(quotaFromForm('0', 'GiB').ok).toBe(false);
    expect(quotaFromForm('-1', 'GiB').ok).toBe(false);
    expect(quotaFromForm('1e12', 'TiB').ok).toBe(false);
  });

  it('round-trips what it shows', () => {
    for (const bytes of [2 ** 20, 7 * 2 ** 30, 2.5 * 2 ** 40]) {
      const { amount, unit } = quotaToForm(bytes);
      expect(quotaFromForm(amount, unit)).toEqual({ ok: true, bytes });
    }
  });
});
