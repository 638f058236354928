import { Console } from './console';
import { expect, test } from './fixtures';
import { screenshotsThenAxe } from './operation-progress';

test('the audit log is filtered to a namespace picked from part of its name, or a deleted one by its full name', async ({
  page,
  admin,
}) => {
  const ui = new Console(page);
  await page.goto('/admin/audit');
  await ui.expectTableLoaded('Audit log');

  const field = page.getByRole('combobox', { name: 'Namespace' });
  await field.fill('sho');
  const option = page.getByRole('option', { name: 'demo-shop', exact: true });
  await expect(option).toBeVisible();
  // Only names with that part are offered.
  await expect(page.getByRole('option', { name: 'demo-data', exact: true })).toHaveCount(0);
  await screenshotsThenAxe(page, 'audit-namespace-suggestions', [1280]);
  await option.click();
  await expect(page).toHaveURL(/namespace=demo-shop/);
  const expected = await admin.call<{ items: unknown[] }>(
    '/api/v1/audit?namespace=demo-shop&limit=50',
  );
  expect(expected.items.length).toBeGreaterThan(0);
  await expect(
    page.getByRole('table', { name: 'Audit log' }).getByRole('row').nth(1),
  ).toBeVisible();

  // A namespace deleted since is not suggested; its full name and Enter still filter by it.
  await field.fill('');
  await expect(page).not.toHaveURL(/namespace=/);
  await field.fill('gone-team');
  await field.press('Enter');
  await expect(page).toHaveURL(/namespace=gone-team/);
  await expect(page.getByText('No entry matches these filters.')).toBeVisible();
});
