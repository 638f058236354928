import { Console } from './console';
import { expect, test } from './fixtures';
import { screenshotsThenAxe } from './operation-progress';
import { seedRetentionNamespace } from './retention-helpers';

test("the trash filtered to a retention run offers that run's restore, in one action", async ({
  page,
  admin,
}) => {
  const seed = await seedRetentionNamespace(admin);
  const ns = seed.namespace;
  // A run made by script, as a scheduled run would be: keep 1 per repository.
  const preview = await admin.call<{ id: string }>(`/api/v1/namespaces/${ns}/retention/previews`, {
    method: 'POST',
    json: {
      rules: { keepCount: 1, retainUntagged: false, excludeTags: [], excludeRepositories: [] },
    },
  });
  const confirmed = await admin.call<{ run: { id: string; deletedImages: number } }>(
    `/api/v1/namespaces/${ns}/retention/runs`,
    { method: 'POST', json: { previewId: preview.id } },
  );
  const { id: runId, deletedImages } = confirmed.run;
  expect(deletedImages).toBe(6);

  const ui = new Console(page);
  await page.goto(`/trash?namespace=${ns}&retentionRun=${runId}`);
  await expect(ui.trashRows()).toHaveCount(6);
  const restore = page.getByRole('button', { name: `Restore run #${runId}` });
  await expect(restore).toBeVisible();
  await screenshotsThenAxe(page, 'trash-run-filter', [1280, 390]);
  await page.setViewportSize({ width: 1280, height: 900 });

  // Both filters on: neither whole restore would match what is shown.
  await page.getByRole('combobox', { name: 'Repository' }).fill('app');
  await expect(page.getByText('with only a repository or a run filter on')).toBeVisible();
  await expect(restore).toHaveCount(0);
  await page.getByRole('combobox', { name: 'Repository' }).fill('');

  await restore.click();
  await expect(ui.toast(`Restored 6 images from run #${runId}`)).toBeVisible();
  await expect(ui.trashRows()).toHaveCount(0);
  await page.goto(`/namespaces/${ns}/repositories/app`);
  await expect(ui.imageRows()).toHaveCount(6);
});
