import { Console } from './console';
import { expect, test } from './fixtures';
import { screenshotsThenAxe } from './operation-progress';

interface TrashItem {
  repository: string;
  digest: string;
  tags: string[];
}

test('find images in the trash by part of a repository name, a tag or a digest', async ({
  page,
  admin,
}) => {
  // What the demo registry has in the demo-shop trash: one tagged image to look for.
  const trash = await admin.call<{ items: TrashItem[] }>(
    '/api/v1/namespaces/demo-shop/trash?limit=200',
  );
  const wanted = trash.items.find((item) => item.tags.length > 0 && item.repository.length > 3);
  if (!wanted) throw new Error('the demo trash has no tagged image');
  const others = trash.items.filter((item) => item.repository !== wanted.repository);
  expect(others.length, 'the demo trash holds more than one repository').toBeGreaterThan(0);

  const ui = new Console(page);
  await page.goto('/trash?namespace=demo-shop');
  await expect(ui.trashRows().first()).toBeVisible();

  // Part of the name, then the suggestion: a deleted repository is offered too.
  const part = wanted.repository.slice(1, 4);
  const filter = page.getByRole('combobox', { name: 'Repository' });
  await filter.fill(part);
  const option = page.getByRole('option', { name: wanted.repository, exact: true });
  await expect(option).toBeVisible();
  await screenshotsThenAxe(page, 'trash-repository-suggestions', [1280]);
  await option.click();
  await expect(page).toHaveURL(new RegExp(`repository=${encodeURIComponent(wanted.repository)}`));
  await expect(ui.trashRows().first()).toBeVisible();
  for (const row of await ui.trashRows().all()) await expect(row).toContainText(wanted.repository);

  // A tag's beginning, across the whole trash again.
  await filter.fill('');
  const search = page.getByRole('textbox', { name: 'Tag or digest' });
  const tag = wanted.tags[0]!;
  const prefix = tag.slice(0, Math.max(1, tag.length - 1));
  const expected = await admin.call<{ items: TrashItem[] }>(
    `/api/v1/namespaces/demo-shop/trash?limit=200&q=${encodeURIComponent(prefix)}`,
  );
  expect(expected.items.every((item) => item.tags.some((t) => t.startsWith(prefix)))).toBe(true);
  await search.fill(prefix);
  await expect(ui.trashRows()).toHaveCount(expected.items.length);
  await expect(ui.trashRows().filter({ hasText: wanted.digest.slice(0, 19) })).toBeVisible();

  // The digest's beginning, as copied from anywhere (bare hex).
  await search.fill(wanted.digest.slice(7, 19));
  await expect(ui.trashRows()).toHaveCount(1);
  await expect(ui.trashRows().first()).toContainText(wanted.digest.slice(0, 19));

  // Characters no tag or digest has: said at the field, nothing sent, nothing hidden.
  await search.fill('v1 beta');
  await expect(page.getByText('Tags and digests have only letters, digits')).toBeVisible();
  await search.fill('no-such-tag-anywhere');
  await expect(
    page.getByText('Nothing with a tag or digest starting “no-such-tag-anywhere”'),
  ).toBeVisible();
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshotsThenAxe(page, 'trash-search-no-match', [390]);
});
