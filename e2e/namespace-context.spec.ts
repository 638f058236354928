import { Console } from './console';
import { expect, test } from './fixtures';
import { screenshotsThenAxe } from './operation-progress';

const sideNavLink = (page: import('@playwright/test').Page, name: string) =>
  page.getByRole('navigation', { name: 'Side navigation' }).getByRole('link', { name });

test('Trash, Retention and Repositories open on the namespace you were in', async ({ page }) => {
  const ui = new Console(page);
  // Not the first namespace of the list (demo-data, in name order).
  await page.goto('/namespaces/demo-shop');
  await ui.expectTableLoaded('Repositories in demo-shop');

  await sideNavLink(page, 'Trash').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Trash' })).toBeVisible();
  await ui.expectTableLoaded('Trash of demo-shop');

  await sideNavLink(page, 'Retention').click();
  await expect(page.getByRole('form', { name: 'Retention policy of demo-shop' })).toBeVisible();

  await sideNavLink(page, 'Repositories').click();
  await ui.expectTableLoaded('Repositories in demo-shop');

  // Choosing another namespace on a picker page is remembered the same way.
  await sideNavLink(page, 'Trash').click();
  await ui.chooseNamespace('demo-infra');
  await expect(page.getByRole('heading', { name: 'The trash is empty' })).toBeVisible();
  await sideNavLink(page, 'Repositories').click();
  await ui.expectTableLoaded('Repositories in demo-infra');
});

test('a namespace in the address that does not exist shows "not found", never another one', async ({
  page,
}) => {
  for (const path of ['/trash', '/retention', '/repositories']) {
    await page.goto(`${path}?namespace=no-such-team`);
    const status = page.getByRole('status').filter({ hasText: 'Namespace not found' });
    await expect(status).toContainText('There is no namespace no-such-team');
    await expect(page.getByRole('table')).toHaveCount(0);
    await expect(page.getByRole('form')).toHaveCount(0);
  }
  // The picker is there to go on from.
  const ui = new Console(page);
  await page.goto('/trash?namespace=no-such-team');
  await expect(page.getByRole('status').filter({ hasText: 'Namespace not found' })).toBeVisible();
  await screenshotsThenAxe(page, 'namespace-not-found', [1280, 390]);
  await page.setViewportSize({ width: 1280, height: 900 });
  await ui.chooseNamespace('demo-shop');
  await ui.expectTableLoaded('Trash of demo-shop');
});
