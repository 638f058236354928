/** Quotas are whole bytes in the API and a number with a binary unit in the form. */
export const QUOTA_UNITS = ['MiB', 'GiB', 'TiB'] as const;
export type QuotaUnit = (typeof QUOTA_UNITS)[number];

const FACTOR: Record<QuotaUnit, number> = { MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40 };

/** The largest unit the quota is a whole (or one-decimal) multiple of, for a readable form value. */
export function quotaToForm(bytes: number): { amount: string; unit: QuotaUnit } {
  for (const unit of [...QUOTA_UNITS].reverse()) {
    const amount = bytes / FACTOR[unit];
    if (amount >= 1 && Number.isInteger(amount * 10)) return { amount: String(amount), unit };
  }
  return { amount: String(Math.round((bytes / FACTOR.MiB) * 1000) / 1000), unit: 'MiB' };
}

/** Bytes for the API, or an error message for the amount field. */
export function quotaFromForm(
  amount: string,
  unit: QuotaUnit,
): { ok: true; bytes: number } | { ok: false; error: string } {
  const value = Number(amount.trim());
  if (amount.trim() === '' || !Number.isFinite(value)) {
    return { ok: false, error: 'Enter a number, for example 50.' };
  }
  const bytes = Math.round(value * FACTOR[unit]);
  if (bytes < 1) return { ok: false, error: 'The quota must be more than zero.' };
  if (!Number.isSafeInteger(bytes)) return { ok: false, error: 'That quota is too large.' };
  return { ok: true, bytes };
}
