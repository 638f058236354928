import { readFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { Console } from './console';
import { expect, test } from './fixtures';

const REPOSITORY_PAGE = '/namespaces/demo-shop/repositories/frontend';
const PREVIEW = '/api/v1/namespaces/demo-shop/repositories/frontend/export/preview';
const EXPORT = '/api/v1/namespaces/demo-shop/repositories/frontend/export';

interface Preview {
  images: number;
  tags: number;
  archiveBytes: number;
}

/**
 * Stands in for Chromium's save dialog, which a test cannot click: the "file" counts the bytes
 * written to it, and each write waits until the test calls `__releaseWrites()`, so the
 * progress bar can be looked at mid-download.
 */
async function fakeSavePicker(page: Page) {
  await page.addInitScript(() => {
    const state = { bytes: 0, closed: false, aborted: false, release: () => {} };
    let released = false;
    const gate = new Promise<void>((resolve) => {
      state.release = resolve;
    });
    Object.assign(window, {
      __saved: state,
      __releaseWrites: () => {
        released = true;
        state.release();
      },
      showSaveFilePicker: async (options: { suggestedName: string }) => ({
        name: options.suggestedName,
        createWritable: async () => ({
          async write(chunk: Uint8Array) {
            // The first chunk goes through, so the bar shows some progress while it waits.
            if (!released && state.bytes > 0) await gate;
            state.bytes += chunk.byteLength;
          },
          async close() {
            state.closed = true;
          },
          async abort() {
            state.aborted = true;
          },
        }),
      }),
    });
  });
}

async function preview(page: Page): Promise<Preview> {
  const res = await page.request.get(PREVIEW);
  expect(res.ok()).toBe(true);
  return (await res.json()) as Preview;
}

test('download a repository as an OCI layout with visible progress', async ({ page }) => {
  await fakeSavePicker(page);
  const ui = new Console(page);
  const expected = await preview(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(REPOSITORY_PAGE);
  await expect(page.getByRole('button', { name: 'Download (OCI layout)' })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('repository-export-button-390.png') });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'Download (OCI layout)' }).click();
  const dialog = ui.dialog('Download as an OCI image layout');
  await expect(dialog).toContainText(`${expected.images} images (${expected.tags} tags)`);
  await expect(dialog).toContainText('demo-shop-frontend.oci.tar');
  await expectNoAxeViolations(page);
  await page.screenshot({ path: test.info().outputPath('repository-export-preview-1280.png') });

  await dialog.getByRole('button', { name: 'Download', exact: true }).click();
  const progress = dialog.getByRole('progressbar', { name: /Saving to demo-shop-frontend/ });
  await expect(progress).toBeVisible();
  await expect(progress).not.toHaveAttribute('aria-valuenow', '0');
  await expect(dialog).toContainText(/\d+(\.\d)? [KM]i?B of \d/);
  await expect(dialog.getByRole('button', { name: 'Cancel download' })).toBeVisible();
  await expectNoAxeViolations(page);
  await page.screenshot({ path: test.info().outputPath('repository-export-progress-1280.png') });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: test.info().outputPath('repository-export-progress-390.png') });
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.evaluate(() => (window as unknown as { __releaseWrites(): void }).__releaseWrites());
  await expect(dialog).toContainText('Download complete');
  const saved = await page.evaluate(
    () => (window as unknown as { __saved: { bytes: number; closed: boolean } }).__saved,
  );
  expect(saved).toMatchObject({ bytes: expected.archiveBytes, closed: true });
  await expectNoAxeViolations(page);
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
});

test('without a save dialog the browser downloads the archive itself', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'showSaveFilePicker', { value: undefined });
  });
  const ui = new Console(page);
  const expected = await preview(page);
  await page.goto(REPOSITORY_PAGE);
  await page.getByRole('button', { name: 'Download (OCI layout)' }).click();
  const dialog = ui.dialog('Download as an OCI image layout');
  await expect(dialog).toContainText(`${expected.images} images`);
  const downloading = page.waitForEvent('download');
  await dialog.getByRole('button', { name: 'Download', exact: true }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('demo-shop-frontend.oci.tar');
  const file = await download.path();
  const bytes = await readFile(file);
  expect(bytes.length).toBe(expected.archiveBytes);
  // A tar whose first entry is the layout's marker file.
  expect(bytes.subarray(0, 10).toString('latin1')).toBe('oci-layout');
  await expect(dialog).toContainText('Download started');
});

test('a failed download says why in words', async ({ page }) => {
  await fakeSavePicker(page);
  await page.route(`**${EXPORT}`, (route) =>
    route.fulfill({
      status: 404,
      contentType: 'application/json',
      body: JSON.stringify({
        error: {
          code: 'NAME_UNKNOWN',
          message: 'repository demo-shop/frontend has no live images',
        },
      }),
    }),
  );
  const ui = new Console(page);
  await page.goto(REPOSITORY_PAGE);
  await page.evaluate(() => (window as unknown as { __releaseWrites(): void }).__releaseWrites());
  await page.getByRole('button', { name: 'Download (OCI layout)' }).click();
  const dialog = ui.dialog('Download as an OCI image layout');
  await dialog.getByRole('button', { name: 'Download', exact: true }).click();
  await expect(dialog).toContainText('The download failed');
  await expect(dialog).toContainText('has no live images');
  const saved = await page.evaluate(
    () => (window as unknown as { __saved: { aborted: boolean } }).__saved,
  );
  expect(saved.aborted).toBe(true);
  await expectNoAxeViolations(page);
});
