import { Console } from './console';
import { expect, test } from './fixtures';
import { doneOf, pacedChunks, progressOf, screenshotsThenAxe } from './operation-progress';
import { SYNTHETIC_BIG } from './synthetic-registry';

const { namespace: NAMESPACE, repository: REPOSITORY } = SYNTHETIC_BIG;
const BIG_IMAGES = 40_000;

// Each operation below must still run after the page has been reloaded, looked at, shot at two
// widths and checked with axe: pacedChunks makes that a floor, whatever the machine's speed.

test.describe('on a 40,000-image repository', () => {
  test.use({
    syntheticRegistry: { images: 46_000, repositories: 4, namespaces: 2, big: BIG_IMAGES },
    // 800 chunks of 50: at least 32 s.
    serverEnv: pacedChunks(50, 40),
  });

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

    // The operation lived only in this page's memory: after a reload the page asks the server
    // what is running in the namespace, and shows it again.
    await page.reload();
    await expect(progress).toBeVisible();
    await expect(progress).toContainText(`of ${BIG_IMAGES.toLocaleString('en')} images`);
    // Its row says so, and offers no second delete.
    await expect(ui.rowWithLink(REPOSITORY)).toContainText('Being deleted');
    // Select all picks only what can still be deleted.
    // By name: the largest-repositories chart's text table comes first on this page.
    await page
      .getByRole('table', { name: `Repositories in ${NAMESPACE}` })
      .locator('thead th')
      .first()
      .locator('label')
      .click();
    await expect(page.getByText('1 item selected')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Delete', exact: true })).toBeVisible();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByText('1 item selected')).toBeHidden();
    await page.getByRole('button', { name: `Actions for ${REPOSITORY}` }).click();
    await expect(page.getByRole('menuitem', { name: 'Delete', exact: true })).toBeDisabled();
    await page.keyboard.press('Escape');
    await expect(progress, 'the menu was looked at while the work ran').toBeVisible();

    const seenAfterReload = await doneOf(progress);
    await expect.poll(() => doneOf(progress)).toBeGreaterThan(seenAfterReload);
    await screenshotsThenAxe(page, 'repository-delete-progress', [390, 1280]);
    await expect(progress, 'axe and the screenshots saw the work running').toBeVisible();

    // Told as when the delete finishes without a reload: with the way to the trash and Undo.
    const toast = ui.toast(`Repository ${REPOSITORY} deleted`);
    await expect(toast).toBeVisible({ timeout: 120_000 });
    await expect(toast).toContainText(`Moved ${BIG_IMAGES.toLocaleString('en')} images`);
    await expect(toast.getByRole('link', { name: `See ${REPOSITORY} in the trash` })).toBeVisible();
    await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();
    await screenshotsThenAxe(page, 'repository-delete-done', [1280, 390]);
    await expect(progress).toBeHidden();
    await expect(ui.rowWithLink(REPOSITORY)).toHaveCount(0);
  });

  test('a retention confirm is found again after a reload and ends with its run', async ({
    page,
  }) => {
    test.setTimeout(240_000);
    const ui = new Console(page);
    await page.goto(`/retention?namespace=${NAMESPACE}`);
    await expect(page.getByRole('heading', { level: 1, name: 'Retention' })).toBeVisible();
    const form = page.getByRole('form', { name: `Retention policy of ${NAMESPACE}` });
    await form.getByLabel('Images to keep per repository').fill('10');
    await form.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = page.getByRole('region', { name: 'Preview' });
    const move = preview.getByRole('button', { name: /^Move [\d,]+ images to trash$/ });
    await expect(move).toBeVisible({ timeout: 60_000 });
    const deleting = /^Move ([\d,]+) images/.exec((await move.innerText()).trim())?.[1] ?? '';
    await move.click();
    const dialog = ui.dialog(`Move ${deleting} images to the trash?`);
    const confirmAnswer = page.waitForResponse(
      (response) =>
        response.request().method() === 'POST' && response.url().endsWith('/retention/runs'),
    );
    await dialog.getByRole('button', { name: `Move ${deleting} images to trash` }).click();
    expect((await confirmAnswer).status()).toBe(202);

    const progress = page.locator('.berth-operation').filter({
      has: page.getByRole('progressbar', { name: /^Applying retention run / }),
    });
    await expect(progress).toBeVisible();
    await page.reload();
    await expect(progress).toContainText(`of ${deleting} images`);
    // The run being applied is in the history, and cannot be restored half-way.
    await expect(page.getByRole('button', { name: /^Restore run #/ })).toBeDisabled();
    const seenAfterReload = await doneOf(progress);
    await expect.poll(() => doneOf(progress)).toBeGreaterThan(seenAfterReload);
    await screenshotsThenAxe(page, 'retention-confirm-progress', [390, 1280]);
    await expect(progress, 'axe and the screenshots saw the work running').toBeVisible();

    // After the reload too, the page's own outcome: the toast with Undo.
    const toast = ui.toast(`Moved ${deleting} images to the trash`);
    await expect(toast).toBeVisible({ timeout: 120_000 });
    await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();
    await expect(progress).toBeHidden();
  });
});

test.describe('namespace delete', () => {
  // A namespace delete does several times a trash's work per image: fewer images, as long.
  // Over 1,700 chunks of 12: at least 34 s.
  test.use({
    syntheticRegistry: { images: 24_000, repositories: 4, namespaces: 2, big: 20_000 },
    serverEnv: pacedChunks(12, 20),
  });

  test('a namespace delete of thousands of images shows its progress, also after a reload', async ({
    page,
  }) => {
    test.setTimeout(180_000);
    const doomed = NAMESPACE;
    const survivor = 'bench-0002';
    const ui = new Console(page);
    await page.goto('/namespaces');
    await ui.expectTableLoaded('Namespaces');
    const images = (await ui.rowWithLink(doomed).locator('td').nth(2).innerText()).trim();
    expect(Number(images.replace(/,/g, ''))).toBeGreaterThan(20_000);

    await ui.rowAction(doomed, 'Delete');
    const dialog = ui.dialog(`Delete namespace ${doomed}`);
    await expect(dialog).toContainText(`${images} images`);
    const confirm = dialog.getByRole('button', { name: 'Delete namespace' });
    await expect(confirm).toBeDisabled();
    await dialog.getByLabel(`Type ${doomed} to confirm`).fill(doomed);
    const deleteAnswer = page.waitForResponse(
      (response) =>
        response.request().method() === 'DELETE' &&
        response.url().endsWith(`/namespaces/${doomed}`),
    );
    await confirm.click();
    expect((await deleteAnswer).status()).toBe(202);
    await expect(dialog).toBeHidden();

    // The server stops listing the namespace at once; the progress says how far its removal is.
    const progress = progressOf(page, `Deleting namespace ${doomed}`);
    await expect(progress).toBeVisible();
    await expect(ui.rowWithLink(doomed)).toHaveCount(0);
    await page.reload();
    await expect(progress).toContainText(`of ${images} images`);
    await expect(ui.rowWithLink(doomed)).toHaveCount(0);
    await expect(ui.rowWithLink(survivor)).toBeVisible();
    const seenAfterReload = await doneOf(progress);
    await expect.poll(() => doneOf(progress)).toBeGreaterThan(seenAfterReload);
    await screenshotsThenAxe(page, 'namespace-delete-progress', [390, 1280]);
    await expect(progress, 'axe and the screenshots saw the work running').toBeVisible();

    // After the reload too, the namespace's own summary of what went.
    const toast = ui.toast(`Namespace ${doomed} deleted`);
    await expect(toast).toBeVisible({ timeout: 120_000 });
    await expect(toast).toContainText(`${images} images`);
    await expect(progress).toBeHidden();
    await expect(ui.rowWithLink(doomed)).toHaveCount(0);
    await expect(ui.rowWithLink(survivor)).toBeVisible();
    await screenshotsThenAxe(page, 'namespace-delete-done', [1280, 390]);

    await page.reload();
    await expect(ui.rowWithLink(survivor)).toBeVisible();
    await expect(ui.rowWithLink(doomed)).toHaveCount(0);
    await expect(progress).toHaveCount(0);
  });
});

test.describe('repository restore', () => {
  const IMAGES = 5_000;
  // 500 chunks of 10: the restore takes at least 10 s (about 9 s of work on a quiet machine
  // besides), and so does the delete before it.
  test.use({
    syntheticRegistry: { images: 6_000, repositories: 4, namespaces: 2, big: IMAGES },
    serverEnv: pacedChunks(10, 20),
  });

  test('a repository restore found again after a reload on the trash page ends as one started there', async ({
    page,
    admin,
  }) => {
    test.setTimeout(120_000);
    const deleted = await admin.call<{ operation: { id: string } }>(
      `/api/v1/namespaces/${NAMESPACE}/repositories/${encodeURIComponent(REPOSITORY)}`,
      { method: 'DELETE' },
    );
    await expect
      .poll(
        async () =>
          (await admin.call<{ state: string }>(`/api/v1/operations/${deleted.operation.id}`)).state,
        { timeout: 60_000 },
      )
      .toBe('succeeded');

    const ui = new Console(page);
    await page.goto(`/trash?namespace=${NAMESPACE}&repository=${encodeURIComponent(REPOSITORY)}`);
    await expect(ui.trashRows().first()).toBeVisible();
    const restoreAnswer = page.waitForResponse((response) =>
      response.url().endsWith(`/namespaces/${NAMESPACE}/trash/restore-repository`),
    );
    await page.getByRole('button', { name: `Restore repository ${REPOSITORY}` }).click();
    expect((await restoreAnswer).status()).toBe(202);
    const progress = progressOf(page, `Restoring ${NAMESPACE}/${REPOSITORY}`);
    await expect(progress).toBeVisible();

    // The page that started it is gone: the reloaded one finds it in the running list.
    await page.reload();
    await expect(progress).toContainText(`of ${IMAGES.toLocaleString('en')} images`);
    // It is not offered a second time while it runs.
    await expect(page.getByText(`Restoring repository ${REPOSITORY}…`)).toBeVisible();
    await expect(
      page.getByRole('button', { name: `Restore repository ${REPOSITORY}` }),
    ).toHaveCount(0);
    await screenshotsThenAxe(page, 'repository-restore-progress', [390, 1280]);

    // The same ending as without the reload: what came back, with the way to the repository,
    // in a toast and on the page.
    const toast = ui.toast(`Restored repository ${REPOSITORY}`);
    await expect(toast).toBeVisible({ timeout: 60_000 });
    await expect(toast).toContainText(
      `${IMAGES.toLocaleString('en')} images back in their repositories with every tag they had`,
    );
    const result = page.getByRole('region', { name: 'Restore result' });
    await expect(result).toContainText(`Restored repository ${REPOSITORY}`);
    await expect(progress).toBeHidden();
    await screenshotsThenAxe(page, 'repository-restore-done', [1280, 390]);
    await toast.getByRole('button', { name: `Open ${REPOSITORY}` }).click();
    await expect(page.getByRole('heading', { level: 1, name: REPOSITORY })).toBeVisible();
  });
});
