import { expect, test } from './fixtures';
import { screenshotsThenAxe } from './operation-progress';
import { SYNTHETIC_BIG } from './synthetic-registry';

const { namespace: NAMESPACE, repository: BIG } = SYNTHETIC_BIG;

// 30 repositories: more than a page of the preview's table, which the server pages.
test.use({
  syntheticRegistry: { images: 2_000, repositories: 30, namespaces: 1, big: 400 },
});

test("a preview's repositories come a page at a time, most deletions first, and are found by name", async ({
  page,
}) => {
  await page.goto(`/retention?namespace=${NAMESPACE}`);
  const form = page.getByRole('form', { name: `Retention policy of ${NAMESPACE}` });
  await form.getByLabel('Images to keep per repository').fill('1');
  await form.getByRole('button', { name: 'Preview', exact: true }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview).toContainText('30 repositories, most deletions first');

  const table = preview.getByRole('table', { name: `Retention preview of ${NAMESPACE}` });
  // The repositories' rows, not the rows that open under them.
  const rows = table.locator('tbody > tr').filter({
    has: page.getByRole('button', { name: / images of / }),
  });
  const names = async () =>
    (await rows.locator('td:nth-child(2)').allInnerTexts()).map((name) => name.trim());
  const toDelete: number[] = [];
  const readToDelete = async () => {
    for (const text of await rows.locator('td:nth-child(6)').allInnerTexts()) {
      toDelete.push(Number(text.replace(/,/g, '')));
    }
  };
  await expect(rows).toHaveCount(10);
  // The big repository loses the most.
  await expect(rows.first()).toContainText(BIG);
  const firstPage = await names();
  await readToDelete();

  await preview.getByRole('button', { name: 'Next page' }).click();
  await expect(rows.first()).not.toContainText(BIG);
  await expect(rows).toHaveCount(10);
  const secondPage = await names();
  await readToDelete();
  expect(secondPage.filter((name) => firstPage.includes(name))).toEqual([]);
  await preview.getByRole('button', { name: 'Next page' }).click();
  await expect(rows).toHaveCount(10);
  const thirdPage = await names();
  await readToDelete();
  // Every repository once, over the three pages, most deletions first.
  expect(new Set([...firstPage, ...secondPage, ...thirdPage]).size).toBe(30);
  expect(toDelete).toEqual([...toDelete].sort((a, b) => b - a));
  expect(toDelete[0]).toBeGreaterThan(toDelete[29] ?? Infinity);

  // Searching asks the server, and starts again at the first page.
  const search = preview.getByRole('searchbox', { name: 'Search repositories in the preview' });
  await search.fill('SERVICE-001');
  // The page before stays on screen until the answer comes.
  await expect
    .poll(async () => (await names()).every((name) => /service-001\d$/.test(name)))
    .toBe(true);
  await expect(rows).toHaveCount(10);
  await expect(preview.getByRole('button', { name: 'Next page' })).toBeHidden();
  await search.fill('service-0011');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('team-11/service-0011');
  // A found repository opens to its images.
  await rows.first().getByRole('button', { name: 'Show images of team-11/service-0011' }).click();
  await expect(
    preview.getByRole('table', { name: 'Preview of team-11/service-0011' }),
  ).toBeVisible();
  await screenshotsThenAxe(page, 'preview-repository-found', [390, 1280]);

  await search.fill('no-such-repository');
  await expect(preview.getByRole('status').filter({ hasText: 'No matches' })).toContainText(
    'No repository in this preview contains “no-such-repository”.',
  );
});
