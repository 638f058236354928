import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expectNoAxeViolations } from './axe';
import { expect, test } from './fixtures';
import { screenshotsTo } from './operation-progress';

const screenshots = screenshotsTo('/tmp/assets-backups');

// Where the scheduled backups go: made before the server starts, removed after the run.
const work = mkdtempSync(path.join(tmpdir(), 'berth-e2e-backups-'));
const target = path.join(work, 'backups');
const blocked = path.join(work, 'not-a-directory');
writeFileSync(blocked, 'a file where the backups should go');
test.afterAll(() => rmSync(work, { recursive: true, force: true }));

const openBackups = async (page: import('@playwright/test').Page) => {
  await page.goto('/namespaces');
  await page
    .getByRole('navigation', { name: 'Side navigation' })
    .getByRole('link', { name: 'Backups' })
    .click();
  await expect(page).toHaveURL(/\/admin\/backups$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Backups' })).toBeVisible();
};

test.describe('backups in the console, not configured', () => {
  test('says how to configure backups', async ({ page }) => {
    await openBackups(page);
    await expect(page.getByRole('heading', { name: 'Backups are not scheduled' })).toBeVisible();
    await expect(page.getByText('BERTH_BACKUP_TARGET', { exact: true })).toBeVisible();
    await expectNoAxeViolations(page);
    await screenshots(page, 'empty');
  });
});

test.describe('backups in the console, scheduled', () => {
  // 00:00 UTC has passed: today's backup runs as soon as the server's scheduler ticks.
  test.use({
    serverEnv: {
      BERTH_BACKUP_TARGET: target,
      BERTH_BACKUP_AT: '00:00',
      BERTH_BACKUP_KEEP: '3',
      BERTH_SCHEDULER_INTERVAL_MS: '200',
    },
  });

  test('shows the last successful backup with its time, size and place', async ({ page }) => {
    await openBackups(page);
    const last = page.getByRole('heading', { name: /Last successful backup/ });
    await expect(async () => {
      await page.reload();
      await expect(last).toContainText('Current', { timeout: 1000 });
    }).toPass({ timeout: 60_000 });
    const details = page.getByRole('table', { name: 'The last successful backup' });
    await expect(details.getByRole('row', { name: /Size/ })).toContainText(/\d+(\.\d+)? [KMG]?i?B/);
    await expect(details.getByRole('row', { name: /Where/ })).toContainText(`${target}/backup-`);
    await expect(
      page.getByText(`Daily at 00:00 UTC into ${target}, keeping the newest 3 backups.`),
    ).toBeVisible();
    await expect(page.getByRole('table', { name: 'Recent backup runs' })).toContainText(
      'Succeeded',
    );
    await expectNoAxeViolations(page);
    await screenshots(page, 'succeeded');
  });
});

test.describe('backups in the console, failing', () => {
  test.use({
    serverEnv: {
      BERTH_BACKUP_TARGET: blocked,
      BERTH_BACKUP_AT: '00:00',
      BERTH_SCHEDULER_INTERVAL_MS: '200',
    },
  });

  test('says in words why the last backup failed', async ({ page }) => {
    await openBackups(page);
    const failed = page.getByText(/The last backup, .*, failed/);
    await expect(async () => {
      await page.reload();
      await expect(failed).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 60_000 });
    await expect(page.getByText(`${blocked} is not a directory`).first()).toBeVisible();
    await expect(page.getByRole('heading', { name: /Last successful backup/ })).toContainText(
      'None yet',
    );
    await expectNoAxeViolations(page);
    await screenshots(page, 'failed');
  });
});
