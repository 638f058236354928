import { ADMIN } from './auth';
import { expectNoAxeViolations } from './axe';
import { Console } from './console';
import { expect, test } from './fixtures';
import { seedRetentionNamespace } from './retention-helpers';

test('set a retention policy, preview it, confirm, find the images in the trash, undo the run', async ({
  page,
  admin,
}) => {
  const seed = await seedRetentionNamespace(admin);
  const ui = new Console(page);

  await page.goto('/namespaces');
  await page
    .getByRole('navigation', { name: 'Side navigation' })
    .getByRole('link', { name: 'Retention' })
    .click();
  await ui.chooseNamespace(seed.namespace);
  await expect(page.getByRole('heading', { level: 1, name: 'Retention' })).toBeVisible();

  // The policy: keep the 2 newest images of each repository, never delete `stable`.
  const form = page.getByRole('form', { name: `Retention policy of ${seed.namespace}` });
  await form.getByLabel('Images to keep per repository').fill('2');
  await form.getByLabel('Protected tags (optional)').fill('stable');
  await form.getByRole('button', { name: 'Save policy' }).click();
  await expect(ui.toast(`Retention policy of ${seed.namespace} saved`)).toBeVisible();
  await expect(form).toContainText('Saved by');

  await form.getByRole('button', { name: 'Preview', exact: true }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview).toBeVisible();
  const tile = (label: string) =>
    preview.locator('.berth-summary-tile').filter({ hasText: new RegExp(`^${label}`) });
  await expect(tile('Images to delete')).toContainText(/^Images to delete3/);
  await expect(tile('Protected')).toContainText(/^Protected1/);
  await expect(tile('Kept')).toContainText(/^Kept4/);
  await expect(
    preview.getByRole('img', { name: '2 kept, 1 protected, 3 to delete' }),
  ).toBeVisible();

  await preview.getByRole('button', { name: 'Show images of app' }).click();
  const appImages = preview.getByRole('table', { name: 'Preview of app' });
  const imageRow = (tag: string) =>
    appImages.locator('tbody tr').filter({ has: page.getByText(tag, { exact: true }) });
  await expect(appImages.locator('tbody tr')).toHaveCount(6);
  for (const tag of seed.deleted) {
    await expect(imageRow(tag).locator('.cds--tag', { hasText: /^delete$/ })).toBeVisible();
  }
  for (const tag of seed.kept) {
    await expect(imageRow(tag).locator('.cds--tag', { hasText: /^keep$/ })).toBeVisible();
  }
  await expect(imageRow('stable').locator('.cds--tag', { hasText: /^protected$/ })).toBeVisible();
  await expect(imageRow('stable')).toContainText('stable');

  await preview.getByRole('button', { name: 'Move 3 images to trash' }).click();
  const dialog = ui.dialog('Move 3 images to the trash?');
  await expect(dialog).toContainText('30 days');
  await dialog.getByRole('button', { name: 'Move 3 images to trash' }).click();
  await expect(dialog).toBeHidden();

  const result = page.getByRole('region', { name: /^Result of run #\d+$/ });
  await expect(result).toContainText('Moved 3 images to the trash');
  const runId = ((await result.getByRole('heading').innerText()).match(/#(\d+)/) ?? [])[1];
  expect(runId).toBeDefined();
  const toast = ui.toast('Moved 3 images to the trash');
  await expect(toast).toBeVisible();

  const history = page.getByRole('table', { name: `Retention runs of ${seed.namespace}` });
  const runRow = history.locator('tbody tr').filter({ hasText: `#${runId}` });
  await expect(runRow).toContainText(`Preview by user:${ADMIN.username}`);
  await expect(
    runRow.getByRole('link', { name: `3 images of run #${runId} in the trash` }),
  ).toBeVisible();

  // The trash, filtered by the run: exactly the three deleted images, reason Retention.
  await result.getByRole('link', { name: 'See them in the trash' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Trash' })).toBeVisible();
  await expect(ui.trashRows()).toHaveCount(3);
  for (const tag of seed.deleted) {
    const row = ui.trashRows().filter({ hasText: seed.app[tag]?.digest.slice(0, 19) ?? '' });
    await expect(row).toContainText('app');
    await expect(row.locator('.cds--tag', { hasText: new RegExp(`^${tag}$`) })).toBeVisible();
    await expect(row).toContainText('Retention');
    await expect(row.locator('.cds--tag', { hasText: `Retention run #${runId}` })).toBeVisible();
  }

  // Undo from the notification, which outlives the page it came from.
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(ui.toast(`Restored 3 images from run #${runId}`)).toBeVisible();
  await expect(ui.trashRows()).toHaveCount(0);

  await page.goto(`/namespaces/${seed.namespace}/repositories/app`);
  await expect(page.getByRole('heading', { level: 1, name: 'app' })).toBeVisible();
  await expect(ui.imageRows()).toHaveCount(6);
  for (const tag of seed.deleted) {
    await expect(
      ui.imageRows().locator('.cds--tag', { hasText: new RegExp(`^${tag}$`) }),
    ).toBeVisible();
  }
});

test('restore a run from the run history', async ({ page, admin }) => {
  const seed = await seedRetentionNamespace(admin);
  const ui = new Console(page);
  await page.goto(`/retention?namespace=${seed.namespace}`);

  const form = page.getByRole('form', { name: `Retention policy of ${seed.namespace}` });
  await form.getByLabel('Images to keep per repository').fill('1');
  // Previewed without saving: the form's rules, not the saved defaults.
  await form.getByRole('button', { name: 'Preview', exact: true }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  // app keeps v5 and loses 5; tools keeps 1.1 and loses 1.0.
  await preview.getByRole('button', { name: 'Move 6 images to trash' }).click();
  await ui
    .dialog('Move 6 images to the trash?')
    .getByRole('button', { name: 'Move 6 images to trash' })
    .click();
  await expect(page.getByRole('region', { name: /^Result of run #/ })).toContainText(
    'Moved 6 images to the trash',
  );

  const history = page.getByRole('table', { name: `Retention runs of ${seed.namespace}` });
  const runRow = history.locator('tbody tr').first();
  await expect(runRow).toContainText('6 images');
  await runRow.getByRole('button', { name: /^Restore run #\d+$/ }).click();
  const dialog = ui.dialog(/^Restore run #\d+\?$/);
  await dialog.getByRole('button', { name: 'Restore 6 images' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText(/^Restored 6 images from run #\d+$/)).toBeVisible();
  await expect(runRow.getByRole('button', { name: /^Restore run #\d+$/ })).toBeDisabled();
  await expect(runRow).toContainText('none');
});

test.describe('retention that protects images by their scans', () => {
  // Nothing is scanned on push here, so no image has a successful scan whatever the timing.
  test.use({ serverEnv: { BERTH_SCAN_ON_PUSH: '0' } });

  test('previews with the scan protection: unscanned images are protected, with the reason', async ({
    page,
    admin,
  }) => {
    const seed = await seedRetentionNamespace(admin);
    await page.goto(`/retention?namespace=${seed.namespace}`);
    const form = page.getByRole('form', { name: `Retention policy of ${seed.namespace}` });
    const days = form.getByLabel('Days since the last successful scan');
    // Off by default: its days wait, disabled, for the box to be ticked.
    await expect(form.getByLabel('Protect images not scanned recently')).not.toBeChecked();
    await expect(days).toBeDisabled();
    await form.getByText('Protect images not scanned recently').click();
    await expect(days).toBeEnabled();
    await days.fill('0');
    await form.getByRole('button', { name: 'Preview', exact: true }).click();
    await expect(form).toContainText('Enter a whole number of days from 1 to 365.');
    await days.fill('7');
    await form.getByLabel('Images to keep per repository').fill('1');
    await form.getByRole('button', { name: 'Preview', exact: true }).click();

    const preview = page.getByRole('region', { name: 'Preview' });
    await expect(preview).toContainText('scan protection: 7 days');
    await expect(
      preview.locator('.berth-summary-tile').filter({ hasText: /^Protected/ }),
    ).toContainText(/^Protected8/);
    await preview.getByRole('button', { name: 'Show images of app' }).click();
    const appImages = preview.getByRole('table', { name: 'Preview of app' });
    await expect(appImages.locator('tbody tr')).toHaveCount(6);
    await expect(
      appImages.locator('tbody tr').filter({ hasText: 'protected: no successful scan' }),
    ).toHaveCount(6);
    await expectNoAxeViolations(page);
  });
});
