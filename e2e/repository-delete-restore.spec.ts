import { Console } from './console';
import { expect, test } from './fixtures';

test('delete a repository, find its images in the trash, restore one by digest', async ({
  page,
}) => {
  const ui = new Console(page);
  await page.goto('/namespaces');
  await ui.nav('Repositories');
  await ui.chooseNamespace('demo-shop');
  await ui.expectTableLoaded('Repositories in demo-shop');

  const row = ui.rowWithLink('backend/api');
  await expect(row).toBeVisible();
  const imageCount = (await row.locator('td').nth(2).innerText()).trim();

  await ui.rowAction('backend/api', 'Delete');
  const dialog = ui.dialog('Delete repository backend/api');
  await expect(dialog).toContainText(`Move ${imageCount} images`);
  await expect(dialog).toContainText('to the trash');
  await dialog.getByRole('button', { name: 'Move to trash' }).click();

  await expect(dialog).toBeHidden();
  await expect(ui.toast('Repository backend/api deleted')).toBeVisible();
  await expect(ui.rowWithLink('backend/api')).toHaveCount(0);

  await ui.nav('Trash');
  await ui.chooseNamespace('demo-shop');
  await page.getByRole('combobox', { name: 'Repository' }).fill('backend/api');
  // The filter applies after a pause in typing; then only backend/api rows remain. The demo
  // trash may already hold older backend/api deletions besides these.
  await expect(ui.trashRows().filter({ hasNotText: 'backend/api' })).toHaveCount(0);
  await expect.poll(() => ui.trashRows().count()).toBeGreaterThanOrEqual(Number(imageCount));
  const inTrash = await ui.trashRows().count();

  // Restore an image that had tags, so the journey can check they came back.
  const tagged = ui
    .trashRows()
    .filter({ hasNot: page.locator('.cds--tag', { hasText: /^untagged$/ }) })
    .first();
  // A writer's trash rows start with their selection box: the image, then its tags.
  const digest = (await tagged.locator('td').nth(1).locator('code').innerText()).trim();
  const tags = (await tagged.locator('td').nth(2).locator('.cds--tag').allInnerTexts()).map((t) =>
    t.trim(),
  );
  expect(tags.length).toBeGreaterThan(0);

  // Named for its image: "Restore <repository>@<short digest>".
  await tagged.getByRole('button', { name: /^Restore [^ ]+@sha256:/ }).click();
  const result = page.getByRole('region', { name: 'Restore result' });
  await expect(result).toBeVisible();
  await expect(result).toContainText(digest);
  for (const tag of tags) await expect(result).toContainText(tag);
  await expect(ui.trashRows()).toHaveCount(inTrash - 1);

  await result.getByRole('button', { name: 'Open backend/api' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'backend/api' })).toBeVisible();
  await expect(ui.imageRows()).toHaveCount(1);
  const restored = ui.imageRows().first();
  await expect(restored).toContainText(digest);
  for (const tag of tags) {
    await expect(restored.locator('.cds--tag', { hasText: new RegExp(`^${tag}$`) })).toBeVisible();
  }
});
