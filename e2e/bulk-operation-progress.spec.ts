import type { Locator, Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { Console } from './console';
import { expect, test } from './fixtures';
import { SYNTHETIC_BIG } from './synthetic-registry';

const { namespace: NAMESPACE, repository: REPOSITORY } = SYNTHETIC_BIG;
const BIG_IMAGES = 20_000;

// Thousands of images in small chunks: the work lasts seconds, long enough to reload during it.
test.use({
  syntheticRegistry: { images: 26_000, repositories: 4, namespaces: 2, big: BIG_IMAGES },
  serverEnv: { BERTH_BULK_CHUNK_IMAGES: '50' },
});

/** The progress bar of one operation, by what it says it does. */
function progressOf(page: Page, title: string): Locator {
  return page
    .locator('.berth-operation')
    .filter({ has: page.getByRole('progressbar', { name: title }) });
}

/** Images done so far, as the bar's count says ("1,250 of 20,000 images"). */
async function doneOf(progress: Locator): Promise<number> {
  const text = await progress.innerText();
  const match = /([\d,]+) of [\d,]+ images/.exec(text);
  if (!match?.[1]) throw new Error(`no count in the progress: ${text}`);
  return Number(match[1].replace(/,/g, ''));
}

/** The page as it is now at `width` px, kept with the test's results for a look by eye. */
async function screenshotAt(page: Page, width: number, name: string): Promise<void> {
  await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
  await page.screenshot({ path: test.info().outputPath(name), fullPage: true });
}

test('a repository delete is found again after a reload and followed to its end', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const ui = new Console(page);
  await page.goto(`/namespaces/${NAMESPACE}/repositories`);
  await ui.expectTableLoaded(`Repositories in ${NAMESPACE}`);
  await expect(ui.rowWithLink(REPOSITORY).locator('td').nth(2)).toHaveText(
    BIG_IMAGES.toLocaleString('en'),
  );

  await ui.rowAction(REPOSITORY, 'Delete');
  const dialog = ui.dialog(`Delete repository ${REPOSITORY}`);
  const deleteAnswer = page.waitForResponse(
    (response) =>
      response.request().method() === 'DELETE' &&
      response.url().endsWith(`/repositories/${encodeURIComponent(REPOSITORY)}`),
  );
  await dialog.getByRole('button', { name: 'Move to trash' }).click();
  expect((await deleteAnswer).status()).toBe(202);
  const progress = progressOf(page, `Deleting ${NAMESPACE}/${REPOSITORY}`);
  await expect(progress).toBeVisible();
  const started = Date.now();

  // The operation lived only in this page's memory: after a reload the page asks the server
  // what is running in the namespace, and shows it again.
  await page.reload();
  await expect(progress).toBeVisible();
  await expect(progress).toContainText(`of ${BIG_IMAGES.toLocaleString('en')} images`);
  // Its row says so, and offers no second delete.
  await expect(ui.rowWithLink(REPOSITORY)).toContainText('Being deleted');
  await page.getByRole('button', { name: `Actions for ${REPOSITORY}` }).click();
  await expect(page.getByRole('menuitem', { name: 'Delete', exact: true })).toBeDisabled();
  await page.keyboard.press('Escape');
  // The menu's button keeps the focus, and its tooltip would cover the screenshots.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const seenAfterReload = await doneOf(progress);
  await expect.poll(() => doneOf(progress)).toBeGreaterThan(seenAfterReload);
  await screenshotAt(page, 390, 'repository-delete-progress-390.png');
  await expectNoAxeViolations(page);
  await screenshotAt(page, 1280, 'repository-delete-progress-1280.png');
  await expectNoAxeViolations(page);

  // Told as when the delete finishes without a reload: with the way to the trash and Undo.
  const toast = ui.toast(`Repository ${REPOSITORY} deleted`);
  await expect(toast).toBeVisible({ timeout: 120_000 });
  await expect(toast).toContainText(`Moved ${BIG_IMAGES.toLocaleString('en')} images`);
  await expect(toast.getByRole('link', { name: `See ${REPOSITORY} in the trash` })).toBeVisible();
  await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();
  await screenshotAt(page, 390, 'repository-delete-done-390.png');
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshotAt(page, 1280, 'repository-delete-done-1280.png');
  console.log(`repository delete of ${BIG_IMAGES} images: ${Date.now() - started} ms`);
  await expect(progress).toBeHidden();
  await expect(ui.rowWithLink(REPOSITORY)).toHaveCount(0);
});

test('a namespace with thousands of images is deleted with its progress shown', async ({
  page,
}) => {
  test.setTimeout(180_000);
  const doomed = 'bench-0002';
  const ui = new Console(page);
  await page.goto('/namespaces');
  await ui.expectTableLoaded('Namespaces');
  const images = (await ui.rowWithLink(doomed).locator('td').nth(3).innerText()).trim();
  expect(Number(images.replace(/,/g, ''))).toBeGreaterThan(1_000);

  await ui.rowAction(doomed, 'Delete');
  const dialog = ui.dialog(`Delete namespace ${doomed}`);
  await expect(dialog).toContainText(`${images} images`);
  const confirm = dialog.getByRole('button', { name: 'Delete namespace' });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(`Type ${doomed} to confirm`).fill(doomed);
  const deleteAnswer = page.waitForResponse(
    (response) =>
      response.request().method() === 'DELETE' && response.url().endsWith(`/namespaces/${doomed}`),
  );
  await confirm.click();
  expect((await deleteAnswer).status()).toBe(202);
  await expect(dialog).toBeHidden();

  const progress = progressOf(page, `Deleting namespace ${doomed}`);
  await expect(progress).toBeVisible();
  await expect(ui.rowWithLink(doomed)).toContainText('Being deleted');
  await screenshotAt(page, 390, 'namespace-delete-progress-390.png');
  await expectNoAxeViolations(page);
  await screenshotAt(page, 1280, 'namespace-delete-progress-1280.png');
  await expectNoAxeViolations(page);

  const toast = ui.toast(`Namespace ${doomed} deleted`);
  await expect(toast).toBeVisible({ timeout: 120_000 });
  await expect(toast).toContainText(`${images} images`);
  await expect(progress).toBeHidden();
  await expect(ui.rowWithLink(doomed)).toHaveCount(0);
  await expect(ui.rowWithLink(NAMESPACE)).toBeVisible();

  await page.reload();
  await expect(ui.rowWithLink(NAMESPACE)).toBeVisible();
  await expect(ui.rowWithLink(doomed)).toHaveCount(0);
  await expect(progress).toHaveCount(0);
});
