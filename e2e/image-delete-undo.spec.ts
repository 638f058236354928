import { Console, readImageRow } from './console';
import { expect, test } from './fixtures';

test('delete an image, then undo from the notification', async ({ page }) => {
  const ui = new Console(page);
  await page.goto('/namespaces/demo-shop/repositories/frontend');
  await expect(page.getByRole('heading', { level: 1, name: 'frontend' })).toBeVisible();
  await expect(ui.imageRows().first()).toBeVisible();

  const row = ui
    .imageRows()
    .filter({ has: page.locator('.cds--tag.cds--tag--blue') })
    .first();
  const { tags, digest } = await readImageRow(row);
  expect(tags.length).toBeGreaterThan(0);
  const before = await ui.imageRows().count();

  await row.getByRole('button', { name: `Actions for ${tags[0]}` }).click();
  await page.getByRole('menuitem', { name: 'Delete image' }).click();
  const dialog = ui.dialog('Delete image');
  await expect(dialog).toContainText(digest);
  await dialog.getByRole('button', { name: 'Move to trash' }).click();

  await expect(dialog).toBeHidden();
  const toast = ui.toast('Moved 1 image to the trash');
  await expect(toast).toBeVisible();
  await expect(ui.imageRows().filter({ hasText: digest })).toHaveCount(0);
  await expect(ui.imageRows()).toHaveCount(before - 1);

  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(ui.toast('Restored 1 image')).toBeVisible();
  const back = ui.imageRows().filter({ hasText: digest });
  await expect(back).toHaveCount(1);
  await expect(ui.imageRows()).toHaveCount(before);
  for (const tag of tags) {
    await expect(back.locator('.cds--tag', { hasText: new RegExp(`^${tag}$`) })).toBeVisible();
  }
});

test('an image restored from the trash takes the Undo away from its earlier toast', async ({
  page,
}) => {
  const ui = new Console(page);
  await page.goto('/namespaces/demo-shop/repositories/frontend');
  const row = ui
    .imageRows()
    .filter({ has: page.locator('.cds--tag.cds--tag--blue') })
    .first();
  await expect(row).toBeVisible();
  const { tags, digest } = await readImageRow(row);
  await row.getByRole('button', { name: `Actions for ${tags[0]}` }).click();
  await page.getByRole('menuitem', { name: 'Delete image' }).click();
  await ui.dialog('Delete image').getByRole('button', { name: 'Move to trash' }).click();
  const toast = ui.toast('Moved 1 image to the trash');
  await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();

  // The toast follows to the trash (same app, no reload); the image is restored there.
  await ui.nav('Trash');
  const trashRow = ui.trashRows().filter({ hasText: digest });
  await expect(trashRow).toHaveCount(1);
  await trashRow.getByRole('button', { name: /^Restore frontend@/ }).click();
  await expect(trashRow).toHaveCount(0);
  // Its Undo would only fail now ("holds no image"): the toast is gone.
  await expect(toast).toHaveCount(0);
});
