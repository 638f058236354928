import { expect, test } from './fixtures';
import { pushSizedImage } from './oci-push';
import { screenshotsThenAxe } from './operation-progress';

const QUOTA = 16 * 1024;
/** Sizes here are all a few KiB; the console writes them as the registry's messages do. */
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const used = (live: number, quota: number) =>
  `${kib(live)} of ${kib(quota)} used (${Math.round((live / quota) * 100)}%), trash not included`;

test('quota bars say what a push counts, and the storage charts read the same figures as text', async ({
  page,
  admin,
}) => {
  await admin.call('/api/v1/namespaces', {
    method: 'POST',
    json: { name: 'quota-e2e', region: 'local', quotaBytes: QUOTA },
  });
  const app = await pushSizedImage(admin, 'quota-e2e/app', '1', 9000);
  const tools = await pushSizedImage(admin, 'quota-e2e/tools', '1', 3500);
  const trashed = await admin.registry(`/v2/quota-e2e/app/manifests/${app.digest}`, {
    method: 'DELETE',
  });
  expect(trashed.status).toBe(202);
  // Live plus trash would now go over the quota; the push fits because the trash is not
  // counted, which is what the bars say.
  expect(tools.sizeBytes + app.sizeBytes + app.sizeBytes).toBeGreaterThan(QUOTA);
  const again = await pushSizedImage(admin, 'quota-e2e/again', '1', 9000);
  const live = tools.sizeBytes + again.sizeBytes;
  expect(live / QUOTA).toBeGreaterThanOrEqual(0.8);

  // The namespaces list: a quota bar in the size column, trash size beside its count.
  await page.goto('/namespaces');
  const row = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: 'quota-e2e', exact: true }) });
  const rowBar = row.getByRole('meter', { name: 'Quota of quota-e2e' });
  await expect(rowBar).toHaveAttribute('aria-valuetext', used(live, QUOTA));
  await expect(rowBar).toHaveAttribute('aria-valuenow', String(Math.round((live / QUOTA) * 100)));
  await expect(row).toContainText(`${Math.round((live / QUOTA) * 100)}% of 16.0 KiB`);
  await expect(row).toContainText(`1 item · ${kib(app.sizeBytes)}`);
  // A namespace without a quota has no bar.
  const demoData = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: 'demo-data', exact: true }) });
  await expect(demoData.getByRole('meter')).toHaveCount(0);

  // The chart's text alternative: live and trash per namespace.
  const perNamespace = page.getByRole('table', { name: 'Storage per namespace', exact: true });
  await expect(perNamespace).toHaveAccessibleDescription(
    '4 namespaces, largest first. Quotas count live images only, not the trash.',
  );
  // Its name leaves the page's own table the only one that answers to "Namespaces".
  await expect(page.getByRole('table', { name: 'Namespaces' })).toHaveCount(1);
  await expect(perNamespace.getByRole('row', { name: /^quota-e2e / })).toHaveText(
    `quota-e2e${kib(live)}${kib(app.sizeBytes)}`,
  );
  await expect(perNamespace.getByRole('columnheader')).toHaveText([
    'Namespace',
    'Live images',
    'Trash',
  ]);
  await screenshotsThenAxe(page, 'storage-namespaces', [1280, 390]);

  // The namespace's own pages: the bar in words, and its largest repositories.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/namespaces/quota-e2e/repositories');
  const bar = page.getByRole('meter', { name: 'Storage quota' });
  await expect(bar).toHaveAttribute('aria-valuetext', used(live, QUOTA));
  await expect(page.getByText(used(live, QUOTA))).toBeVisible();
  const nearWords = `Near the limit: ${kib(QUOTA - live)} left before pushes are refused. The trash holds ${kib(app.sizeBytes)} more, not counted.`;
  await expect(bar).toHaveAccessibleDescription(nearWords);
  await expect(page.getByText(nearWords)).toBeVisible();
  const largest = page.getByRole('table', { name: /^Largest repositories/ });
  await expect(largest.locator('tbody tr')).toHaveText([
    `again${kib(again.sizeBytes)}`,
    `tools${kib(tools.sizeBytes)}`,
  ]);
  await screenshotsThenAxe(page, 'storage-repositories', [1280, 390]);

  // Settings: lowering the quota below what is stored fills the bar and says pushes stop.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/namespaces/quota-e2e/settings');
  await expect(page.getByRole('meter', { name: 'Saved quota' })).toHaveAttribute(
    'aria-valuetext',
    used(live, QUOTA),
  );
  await page.getByLabel('Quota', { exact: true }).fill('0.01');
  await page.getByLabel('Unit').selectOption('MiB');
  await page.getByRole('button', { name: 'Save settings' }).click();
  const lowered = Math.round(0.01 * 2 ** 20);
  const saved = page.getByRole('meter', { name: 'Saved quota' });
  await expect(saved).toHaveAttribute('aria-valuetext', used(live, lowered));
  await expect(saved).toHaveAttribute('aria-valuenow', '100');
  await expect(saved).toHaveAccessibleDescription(
    `Full: pushes are refused. Moving images to the trash frees quota at once. The trash holds ${kib(app.sizeBytes)} more, not counted.`,
  );
  await expect(pushSizedImage(admin, 'quota-e2e/refused', '1', 100)).rejects.toThrow(/403/);
  await screenshotsThenAxe(page, 'storage-settings', [1280, 390]);

  // Retention and the trash change what the quota counts: each page shows the bar and says how.
  const full = `Full: pushes are refused. Moving images to the trash frees quota at once.`;
  await page.goto('/retention?namespace=quota-e2e');
  await expect(page.getByRole('meter', { name: 'Storage quota' })).toHaveAccessibleDescription(
    `${full} The trash holds ${kib(app.sizeBytes)} more, not counted. Images moved to the trash stop counting toward it at once.`,
  );
  await screenshotsThenAxe(page, 'storage-retention', [1280, 390]);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/trash?namespace=quota-e2e');
  const trashBar = page.getByRole('meter', { name: 'Storage quota' });
  await expect(trashBar).toHaveAccessibleDescription(
    `${full} The trash holds ${kib(app.sizeBytes)} more, not counted. Restored images count toward the quota again; a restore is never refused for it.`,
  );
  await screenshotsThenAxe(page, 'storage-trash', [1280, 390]);
  // Past the quota, a restore still brings the image back (it was counted before it went),
  // and the bar follows.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: /^Restore app@sha256:/ }).click();
  await expect(trashBar).toHaveAttribute('aria-valuetext', used(live + app.sizeBytes, lowered));
  await expect(trashBar).toHaveAccessibleDescription(
    `${full} Restored images count toward the quota again; a restore is never refused for it.`,
  );

  // The dark theme (g100): the bars and the chart take its tokens, and still pass axe.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/namespaces/quota-e2e/repositories');
  await expect(page.getByRole('table', { name: /^Largest repositories/ })).toBeAttached();
  await screenshotsThenAxe(page, 'storage-repositories-dark', [1280]);
  await page.goto('/namespaces');
  await expect(page.getByRole('table', { name: /^Storage per namespace/ })).toBeAttached();
  await screenshotsThenAxe(page, 'storage-namespaces-dark', [1280]);
});
