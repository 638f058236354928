import { Console } from './console';
import { expect, test } from './fixtures';

test('delete a namespace with typed confirmation', async ({ page }) => {
  const ui = new Console(page);
  await page.goto('/namespaces');
  await ui.expectTableLoaded('Namespaces');
  const row = ui.rowWithLink('demo-data');
  await expect(row).toBeVisible();
  const repositories = (await row.locator('td').nth(1).innerText()).trim();
  const images = (await row.locator('td').nth(2).innerText()).trim();

  await ui.rowAction('demo-data', 'Delete');
  const dialog = ui.dialog('Delete namespace demo-data');
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('cannot be undone');
  await expect(dialog).toContainText(`${repositories} repositories`);
  await expect(dialog).toContainText(`${images} images`);
  await expect(dialog).toContainText(/\d+ trash items?/);

  const confirm = dialog.getByRole('button', { name: 'Delete namespace' });
  const input = dialog.getByLabel('Type demo-data to confirm');
  await expect(confirm).toBeDisabled();
  await input.fill('demo-dat');
  await expect(confirm).toBeDisabled();
  await input.fill('demo-data ');
  await expect(confirm).toBeDisabled();
  await input.fill('demo-data');
  await expect(confirm).toBeEnabled();
  await confirm.click();

  await expect(dialog).toBeHidden();
  await expect(ui.toast('Namespace demo-data deleted')).toBeVisible();
  await expect(ui.rowWithLink('demo-data')).toHaveCount(0);
  await expect(ui.rowWithLink('demo-shop')).toBeVisible();

  await page.reload();
  await expect(ui.rowWithLink('demo-shop')).toBeVisible();
  await expect(ui.rowWithLink('demo-data')).toHaveCount(0);
});

test('the namespaces page fits a 390px wide screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const ui = new Console(page);
  await page.goto('/namespaces');
  await ui.expectTableLoaded('Namespaces');
  await expect(ui.rowWithLink('demo-shop')).toBeVisible();

  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole('button', { name: 'Create namespace' })).toBeVisible();

  // The side navigation is behind the menu button on small screens.
  await page.getByRole('button', { name: 'Open menu' }).click();
  await page
    .getByRole('navigation', { name: 'Side navigation' })
    .getByRole('link', { name: 'Trash' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Trash' })).toBeVisible();
});
