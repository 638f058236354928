import { Console } from './console';
import { expect, test } from './fixtures';

test('create a namespace by keyboard; the server explains an invalid name inline', async ({
  page,
}) => {
  const ui = new Console(page);
  await page.goto('/namespaces');
  await ui.expectTableLoaded('Namespaces');

  // The first Tab reaches the skip link, which moves focus past the navigation.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeFocused();

  await page.getByRole('button', { name: 'Create namespace' }).focus();
  await page.keyboard.press('Enter');
  const dialog = ui.dialog('Create namespace');
  const name = dialog.getByLabel('Name');
  await expect(name).toBeFocused();

  await page.keyboard.type('AB');
  await page.keyboard.press('Enter');
  await expect(dialog).toContainText('must be 4–30 characters');
  await expect(name).toHaveAttribute('aria-invalid', 'true');

  await name.fill('demo-shop');
  await page.keyboard.press('Enter');
  await expect(dialog).toContainText('already exists');

  await name.fill('team-alpha');
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(ui.toast('Namespace team-alpha created')).toBeVisible();
  await expect(ui.rowWithLink('team-alpha')).toBeVisible();
});
