import { expectNoAxeViolations } from './axe';
import { expect, test } from './fixtures';
import { screenshotsTo } from './operation-progress';
import { importAdvisories } from './scan-fixtures';

const screenshots = screenshotsTo('/tmp/assets-advisories');

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
    // One advisory changed 2 days ago (current), one 40 days ago.
    const day = 86_400_000;
    const recent = new Date(Date.now() - 2 * day).toISOString();
    const old = new Date(Date.now() - 40 * day).toISOString();
    await importAdvisories(berth.dataDir, [
      record('DSA-100-1', recent, 'Debian:12', 'openssl'),
      record('GHSA-xxxx-yyyy-zzzz', old, 'npm', 'lodash'),
      '{ not json',
    ]);

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
