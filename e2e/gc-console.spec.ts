import { createHash, randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import type { BerthClient } from './auth';
import { expect, test } from './fixtures';

/** Leaves a blob that no manifest uses: pushed to a repository, then nothing refers to it. */
async function pushUnreferencedBlob(admin: BerthClient, bytes: Uint8Array): Promise<void> {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const response = await admin.registry(
    `/v2/demo-shop/gc-leftover/blobs/uploads/?digest=${encodeURIComponent(digest)}`,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes as Uint8Array<ArrayBuffer>,
    },
  );
  expect(response.status, await response.text()).toBe(201);
}

function gcNavLink(page: Page) {
  return page
    .getByRole('navigation', { name: 'Side navigation' })
    .getByRole('link', { name: 'Garbage collection' });
}

async function screenshots(page: Page, name: string) {
  for (const [width, height] of [
    [1280, 900],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `/tmp/assets-gc-theme-gc-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test.describe('garbage collection in the console', () => {
  // Blobs are collected as soon as nothing links them: no day of grace to wait out.
  test.use({ serverEnv: { BERTH_GC_GRACE_MS: '0', BERTH_GC_INTERVAL_MS: '3600000' } });

  test('an admin dry-runs, sees the unused blob, runs it and the blob is gone', async ({
    page,
    admin,
  }) => {
    // Whatever the demo left collectable goes first, so the figures below are this blob's.
    await admin.call('/api/v1/gc/runs', { method: 'POST', json: { dryRun: false } });
    await pushUnreferencedBlob(admin, randomBytes(3 * 1024 * 1024));

    await page.goto('/namespaces');
    await gcNavLink(page).click();
    await expect(page).toHaveURL(/\/admin\/gc$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Garbage collection' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'See what it would free first' })).toBeVisible();
    // Nothing to run before a dry run said what it would remove.
    await expect(page.getByRole('button', { name: 'Run garbage collection' })).toHaveCount(0);
    await expectNoAxeViolations(page);
    await screenshots(page, 'start');

    await page.getByRole('button', { name: 'Dry run', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Dry run: Would free 3.0 MiB' })).toBeVisible();
    const dry = page.getByRole('table', { name: 'Dry run' });
    await expect(dry.getByRole('row', { name: /Unreferenced blobs/ })).toContainText('1 blob');
    await expect(dry.getByRole('row', { name: /Unreferenced blobs/ })).toContainText('3.0 MiB');
    await expect(dry.getByRole('row', { name: /Abandoned uploads/ })).toContainText('0 uploads');
    await expectNoAxeViolations(page);
    await screenshots(page, 'dry-run');

    // The confirmation says what goes, and that it is for good; Cancel removes nothing.
    const open = page.getByRole('button', { name: 'Run garbage collection' });
    await open.click();
    const modal = page.getByRole('dialog', { name: 'Run garbage collection?' });
    await expect(modal).toContainText('permanently deletes');
    await expect(modal).toContainText('Unreferenced blobs: 1 blob (3.0 MiB)');
    await expectNoAxeViolations(page);
    await screenshots(page, 'confirm');
    await modal.getByRole('button', { name: 'Cancel' }).click();
    await expect(modal).toBeHidden();
    await expect(open).toBeFocused();
    await page.getByRole('button', { name: 'Dry run again' }).click();
    await expect(page.getByRole('heading', { name: 'Dry run: Would free 3.0 MiB' })).toBeVisible();

    await open.click();
    await modal.getByRole('button', { name: 'Run garbage collection' }).click();
    await expect(modal).toBeHidden();
    const result = page.getByRole('heading', { name: 'Last run: Freed 3.0 MiB' });
    await expect(result).toBeFocused();
    await expect(page.getByRole('table', { name: 'Last run' })).toContainText('1 blob');
    // The dry run is asked again after the run: nothing is left.
    await expect(page.getByRole('heading', { name: 'Dry run: Nothing to free' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Run garbage collection' })).toHaveCount(0);
    await expectNoAxeViolations(page);
    await screenshots(page, 'done');

    // Asked again by hand, still nothing; and the run is in the audit log.
    await page.getByRole('button', { name: 'Dry run again' }).click();
    await expect(page.getByRole('heading', { name: 'Dry run: Nothing to free' })).toBeVisible();
    const audit = await admin.call<{ items: { action: string; actor: string }[] }>(
      '/api/v1/audit?action=gc.run',
    );
    expect(audit.items.length).toBeGreaterThanOrEqual(1);
  });

  test('a non-admin is told the page is not available, and is not offered it', async ({
    browser,
    berth,
    admin,
  }) => {
    const member = { username: 'member1', password: 'temporary-pass-4410' };
    const chosen = 'member-own-passphrase';
    await admin.call('/api/v1/users', { method: 'POST', json: member });
    const context = await browser.newContext({ baseURL: berth.url });
    const session = await context.request.post('/api/v1/session', { data: member });
    const { csrfToken } = (await session.json()) as { csrfToken: string };
    const changed = await context.request.post('/api/v1/session/password', {
      data: { currentPassword: member.password, newPassword: chosen },
      headers: { 'X-CSRF-Token': csrfToken },
    });
    expect(changed.ok(), await changed.text()).toBe(true);
    const page = await context.newPage();

    await page.goto('/admin/gc');
    await expect(page.getByRole('heading', { name: 'Not available' })).toBeVisible();
    await expect(page.getByRole('button', { name: /Dry run/ })).toHaveCount(0);
    await expect(gcNavLink(page)).toHaveCount(0);
    await expectNoAxeViolations(page);
    await context.close();
  });
});
