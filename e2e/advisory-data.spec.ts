import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { repoRoot } from './berth-process';
import { expect, test } from './fixtures';

const CLI = path.join(repoRoot, 'apps/server/dist/cli/advisories.js');

async function screenshots(page: Page, name: string) {
  for (const [width, height] of [
    [1280, 900],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `/tmp/assets-advisories-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const record = (id: string, modified: string, ecosystem: string, name: string) =>
  JSON.stringify({
    id,
    modified,
    summary: `${name} is vulnerable`,
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }],
      },
    ],
  });

test.describe('advisory data in the console', () => {
  test('says what to do when there is none, then how old the imported data is', async ({
    page,
    berth,
  }) => {
    await page.goto('/namespaces');
    await page
      .getByRole('navigation', { name: 'Side navigation' })
      .getByRole('link', { name: 'Advisory data' })
      .click();
    await expect(page).toHaveURL(/\/admin\/advisories$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Advisory data' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'No advisory data yet' })).toBeVisible();
    await expect(page.getByText('./berth advisories import <file.zip|directory>')).toBeVisible();
    await expectNoAxeViolations(page);
    await screenshots(page, 'empty');

    // The operator imports with the CLI, as the page says, while the server runs.
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-osv-'));
    try {
      // One advisory changed 2 days ago (current), one 40 days ago.
      const day = 86_400_000;
      const recent = new Date(Date.now() - 2 * day).toISOString();
      const old = new Date(Date.now() - 40 * day).toISOString();
      await writeFile(
        path.join(dir, 'a.json'),
        record('DSA-100-1', recent, 'Debian:12', 'openssl'),
      );
      await writeFile(
        path.join(dir, 'b.json'),
        record('GHSA-xxxx-yyyy-zzzz', old, 'npm', 'lodash'),
      );
      await writeFile(path.join(dir, 'c.json'), '{ not json');
      await promisify(execFile)(process.execPath, [CLI, 'import', dir], {
        env: { ...process.env, BERTH_DATA_DIR: berth.dataDir },
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    await page.reload();
    await expect(page.getByRole('heading', { name: /^2 days old/ })).toBeVisible();
    await expect(page.getByRole('heading', { name: /^2 days old/ })).toContainText('Current');
    await expect(
      page.getByText(/2 new advisories, 0 updated ones, 0 already current, 1 record skipped/),
    ).toBeVisible();
    const table = page.getByRole('table', { name: 'Advisories by ecosystem' });
    await expect(table.getByRole('row', { name: /Debian:12/ })).toContainText('1');
    await expect(table.getByRole('row', { name: /npm/ })).toContainText('1');
    await expect(table.getByRole('row', { name: /All/ })).toContainText('2');
    await expectNoAxeViolations(page);
    await screenshots(page, 'imported');
  });
});
