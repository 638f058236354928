import type { Locator, Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { BULK_CHUNK_IMAGES, seedLargeRepository } from './bulk-helpers';
import { Console } from './console';
import { expect, test } from './fixtures';

const NAMESPACE = 'bulk-shop';
const REPOSITORY = 'payments';
const IMAGES = 100;

// Five chunks: every delete or restore of the whole repository is an operation.
// Chunks of a fixed size, not grown by time: the operation's pace is what the test expects.
test.use({
  serverEnv: { BERTH_BULK_CHUNK_IMAGES: String(BULK_CHUNK_IMAGES), BERTH_BULK_CHUNK_MS: '0' },
});

/** Tabs forward from where the focus is until `target` has it; fails if it is not reached. */
async function tabTo(page: Page, target: Locator, most = 10): Promise<void> {
  for (let step = 0; step < most; step++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`${most} presses of Tab did not reach ${target.toString()}`);
}

test('delete a large repository, see its progress, restore it from the trash in one action', async ({
  page,
  admin,
}) => {
  test.setTimeout(180_000);
  await seedLargeRepository(admin, NAMESPACE, REPOSITORY, IMAGES);
  const ui = new Console(page);

  await page.goto(`/namespaces/${NAMESPACE}/repositories`);
  await ui.expectTableLoaded(`Repositories in ${NAMESPACE}`);
  await expect(ui.rowWithLink(REPOSITORY).locator('td').nth(2)).toHaveText(String(IMAGES));

  await ui.rowAction(REPOSITORY, 'Delete');
  const dialog = ui.dialog(`Delete repository ${REPOSITORY}`);
  await expect(dialog).toContainText(`Move ${IMAGES} images`);
  const deleteAnswer = page.waitForResponse(
    (response) =>
      response.request().method() === 'DELETE' &&
      response.url().endsWith(`/repositories/${REPOSITORY}`),
  );
  await dialog.getByRole('button', { name: 'Move to trash' }).click();
  // More than one chunk: the server answers with the operation, the console follows it.
  const accepted = await deleteAnswer;
  expect(accepted.status()).toBe(202);
  const { operation } = (await accepted.json()) as { operation: { id: string; total: number } };
  expect(operation.total).toBe(IMAGES);
  await expect(dialog).toBeHidden();

  // The progress shows where the delete was started, from the 202 on, until it has ended.
  // One assertion for bar, title and count: with 5 small chunks it may end within a second.
  const progress = page
    .locator('.berth-operation')
    .filter({ has: page.getByRole('progressbar', { name: `Deleting ${NAMESPACE}/${REPOSITORY}` }) })
    .filter({ hasText: new RegExp(`of ${IMAGES} images`) });
  await expect(progress).toBeVisible();

  const toast = ui.toast(`Repository ${REPOSITORY} deleted`);
  await expect(toast).toBeVisible({ timeout: 30_000 });
  await expect(toast).toContainText(`Moved ${IMAGES} images`);
  await expect(progress).toBeHidden();
  await expect(ui.rowWithLink(REPOSITORY)).toHaveCount(0);

  // The toast leads to the trash, filtered to the repository.
  await toast.getByRole('link', { name: `See ${REPOSITORY} in the trash` }).click();
  await expect(page.getByRole('combobox', { name: 'Repository' })).toHaveValue(REPOSITORY);
  await expect(ui.trashRows().first()).toBeVisible();
  await expect(ui.trashRows().filter({ hasNotText: REPOSITORY })).toHaveCount(0);
  const restoreRepository = page.getByRole('button', {
    name: `Restore repository ${REPOSITORY}`,
  });
  await expect(restoreRepository).toBeVisible();
  await expectNoAxeViolations(page);

  // Selecting rows turns the toolbar into the batch bar; it is checked, then left unused.
  const rowBoxes = ui.trashRows().locator('td:first-child label');
  await rowBoxes.nth(0).click();
  await rowBoxes.nth(1).click();
  await expect(page.getByText('2 items selected')).toBeVisible();
  await expectNoAxeViolations(page);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(restoreRepository).toBeVisible();

  // One action, from the keyboard: the button follows the repository filter in tab order.
  await page.getByRole('combobox', { name: 'Repository' }).focus();
  await tabTo(page, restoreRepository);
  const restoreAnswer = page.waitForResponse((response) =>
    response.url().endsWith(`/namespaces/${NAMESPACE}/trash/restore-repository`),
  );
  await page.keyboard.press('Enter');
  expect((await restoreAnswer).status()).toBe(202);

  const result = page.getByRole('region', { name: 'Restore result' });
  await expect(result).toContainText(`Restored repository ${REPOSITORY}`, { timeout: 30_000 });
  await expect(result).toContainText(`${IMAGES} images back in their repositories`);
  await expect(ui.trashRows()).toHaveCount(0);

  await result.getByRole('button', { name: `Open ${REPOSITORY}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: REPOSITORY })).toBeVisible();
  await page.goto(`/namespaces/${NAMESPACE}/repositories`);
  await expect(ui.rowWithLink(REPOSITORY).locator('td').nth(2)).toHaveText(String(IMAGES));
});
