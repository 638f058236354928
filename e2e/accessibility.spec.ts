import type { Page } from '@playwright/test';
import type { BerthClient } from './auth';
import { expectNoAxeViolations } from './axe';
import { Console } from './console';
import { expect, test } from './fixtures';
import { seedRetentionNamespace } from './retention-helpers';

/**
 * Every page of the console, with the title it must have and what shows once its data has
 * loaded: each is checked for its own `document.title` and for zero axe violations.
 */
interface ConsolePage {
  path: string;
  title: string | RegExp;
  ready: (page: Page) => Promise<void>;
}

const h1 = (page: Page, name: string) =>
  expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
const firstRow = (page: Page, table: string | RegExp) =>
  expect(page.getByRole('table', { name: table }).locator('tbody tr').first()).toBeVisible();

/** A project to open, another soft-deleted, and a retention run for the run history. */
async function seedEveryPage(admin: BerthClient) {
  const { defaultRegion } = await admin.call<{ defaultRegion: string }>('/api/v1/regions');
  const shop = await admin.call<{ id: string }>('/api/v1/projects', {
    method: 'POST',
    json: { name: 'shop', region: defaultRegion },
  });
  const old = await admin.call<{ id: string }>('/api/v1/projects', {
    method: 'POST',
    json: { name: 'old-shop', region: defaultRegion },
  });
  await admin.call(`/api/v1/projects/${old.id}`, { method: 'DELETE' });
  const retention = await seedRetentionNamespace(admin);
  const preview = await admin.call<{ id: string }>(
    `/api/v1/namespaces/${retention.namespace}/retention/previews`,
    {
      method: 'POST',
      json: {
        rules: {
          keepCount: 2,
          retainUntagged: false,
          excludeTags: ['stable'],
          excludeRepositories: [],
        },
      },
    },
  );
  await admin.call(`/api/v1/namespaces/${retention.namespace}/retention/runs`, {
    method: 'POST',
    json: { previewId: preview.id },
  });
  // Something in demo-shop's trash for the trash page.
  const images = await admin.call<{ items: { digest: string }[] }>(
    '/api/v1/namespaces/demo-shop/repositories/frontend/images',
  );
  const digest = images.items[0]!.digest;
  await admin.call(`/api/v1/namespaces/demo-shop/repositories/frontend/images/${digest}`, {
    method: 'DELETE',
  });
  return { shopId: shop.id, retentionNamespace: retention.namespace, defaultRegion };
}

test('every page has its own title and no axe violations', async ({ page, admin }) => {
  test.setTimeout(240_000);
  const seeded = await seedEveryPage(admin);
  const images = await admin.call<{ items: { digest: string }[] }>(
    '/api/v1/namespaces/demo-shop/repositories/frontend/images',
  );
  const digest = images.items[0]!.digest;
  const region = seeded.defaultRegion;

  const pages: ConsolePage[] = [
    { path: '/namespaces', title: 'Namespaces · Berth', ready: (p) => firstRow(p, 'Namespaces') },
    {
      path: '/namespaces/demo-shop/repositories',
      title: 'Repositories · demo-shop · Berth',
      ready: (p) => firstRow(p, 'Repositories in demo-shop'),
    },
    {
      path: '/namespaces/demo-shop/members',
      title: 'Members · demo-shop · Berth',
      ready: (p) => expect(p.getByRole('tab', { name: 'Members', selected: true })).toBeVisible(),
    },
    {
      path: '/namespaces/demo-shop/settings',
      title: 'Settings · demo-shop · Berth',
      ready: (p) => expect(p.getByRole('button', { name: /^Save/ })).toBeVisible(),
    },
    {
      path: '/namespaces/demo-shop/repositories/frontend',
      title: 'frontend · demo-shop · Berth',
      ready: (p) => firstRow(p, /^Images in /),
    },
    {
      path: `/namespaces/demo-shop/repositories/frontend/-/images/${digest}`,
      // Named as its heading names it: by its first tag, else by its short digest.
      title: /^frontend[:@]\S+ · demo-shop · Berth$/,
      ready: (p) => expect(p.getByRole('heading', { level: 2, name: 'Summary' })).toBeVisible(),
    },
    {
      path: '/repositories',
      title: 'Repositories · Berth',
      ready: (p) => h1(p, 'Repositories'),
    },
    {
      path: '/trash?namespace=demo-shop',
      title: 'Trash · demo-shop · Berth',
      ready: (p) => firstRow(p, /^Trash of /),
    },
    {
      path: `/retention?namespace=${seeded.retentionNamespace}`,
      title: `Retention · ${seeded.retentionNamespace} · Berth`,
      ready: (p) => firstRow(p, /^Retention runs/),
    },
    {
      path: '/projects',
      title: `Projects · ${region} · Berth`,
      ready: (p) => firstRow(p, `Projects in ${region}`),
    },
    {
      path: '/projects/deleted',
      title: `Deleted projects · ${region} · Berth`,
      ready: (p) => firstRow(p, `Deleted projects in ${region}`),
    },
    {
      path: `/projects/${seeded.shopId}`,
      title: 'shop · Projects · Berth',
      ready: (p) => h1(p, 'shop'),
    },
    {
      path: '/account/api-keys',
      title: 'API keys · Berth',
      ready: (p) => firstRow(p, /API keys/),
    },
    {
      path: '/account/password',
      title: 'Change password · Berth',
      ready: (p) => expect(p.getByLabel('Current password')).toBeVisible(),
    },
    { path: '/admin/users', title: 'Users · Berth', ready: (p) => firstRow(p, /Users/) },
    { path: '/admin/audit', title: 'Audit log · Berth', ready: (p) => firstRow(p, /Audit/) },
    {
      path: '/admin/gc',
      title: 'Garbage collection · Berth',
      ready: (p) => h1(p, 'Garbage collection'),
    },
    {
      path: '/admin/advisories',
      title: 'Advisory data · Berth',
      ready: (p) => h1(p, 'Advisory data'),
    },
    {
      path: '/admin/no-such-page',
      title: 'Page not found · Berth',
      ready: (p) => h1(p, 'Page not found'),
    },
  ];

  const failures: string[] = [];
  for (const target of pages) {
    await page.goto(target.path);
    await target.ready(page);
    await page.waitForLoadState('networkidle');
    await expect(page, target.path).toHaveTitle(target.title);
    try {
      await expectNoAxeViolations(page);
    } catch (error) {
      failures.push(`${target.path}: ${(error as Error).message}`);
    }
  }
  expect(failures).toEqual([]);
});

test('the states the issue named pass axe too: a preview, a narrow run history, an Undo toast', async ({
  page,
  admin,
}) => {
  test.setTimeout(180_000);
  const ui = new Console(page);
  const seed = await seedRetentionNamespace(admin);
  await page.goto(`/retention?namespace=${seed.namespace}`);
  const form = page.getByRole('form', { name: `Retention policy of ${seed.namespace}` });
  await form.getByLabel('Images to keep per repository').fill('1');
  await form.getByRole('button', { name: 'Preview', exact: true }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  // The red "to delete" counts, on a row the pointer rests on as well.
  const count = preview.locator('.berth-delete-count').first();
  await expect(count).toBeVisible();
  await count.hover();
  await expectNoAxeViolations(page);
  await preview.getByRole('button', { name: 'Move 6 images to trash' }).click();
  const confirm = ui.dialog('Move 6 images to the trash?');
  await confirm.getByRole('button', { name: 'Move 6 images to trash' }).click();
  await expect(confirm).toBeHidden();
  const runs = page.getByRole('table', { name: `Retention runs of ${seed.namespace}` });
  await expect(runs.locator('tbody tr').first()).toBeVisible();
  // A phone's width: the run history scrolls sideways and must be reachable by keyboard.
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/a11y-retention-390.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });

  // An Undo toast: no invisible tab stops around it.
  await page.goto('/namespaces/demo-shop/repositories/frontend');
  await ui
    .imageRows()
    .first()
    .getByRole('button', { name: /^Actions for / })
    .click();
  await page.getByRole('menuitem', { name: /^Delete/ }).click();
  await page
    .getByRole('dialog', { name: /^Delete/ })
    .getByRole('button', { name: 'Move to trash' })
    .click();
  const toast = ui.toast(/to the trash/);
  await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();
  await expect(page.getByText('Focus sentinel')).toHaveCount(0);
  await expectNoAxeViolations(page);
  await page.screenshot({ path: 'test-results/a11y-undo-toast-1280.png' });
});

test.describe('signed out', () => {
  test.use({ signedIn: false });

  test('the sign-in page and its errors have a title and no axe violations', async ({ page }) => {
    await page.goto('/namespaces/demo-shop/repositories');
    await expect(page).toHaveTitle('Sign in · Berth');
    await expectNoAxeViolations(page);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await expect(page.getByRole('alert').first()).toBeVisible();
    // Carbon fades the button from disabled to enabled: axe must not measure it half-way.
    await expect(page.getByRole('button', { name: 'Sign in' })).toBeEnabled();
    await page.waitForTimeout(300);
    await expectNoAxeViolations(page);
    // Submitting nothing marks both fields invalid: each names its message.
    await page.getByLabel('Username').fill('');
    await page.getByLabel('Password', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expectNoAxeViolations(page);
  });

  test('a temporary password: the page that replaces it has a title', async ({ page, admin }) => {
    const user = { username: 'newcomer', password: 'temporary-pass-7291' };
    await admin.call('/api/v1/users', { method: 'POST', json: user });
    await page.goto('/namespaces');
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(
      page.getByRole('heading', { level: 1, name: 'Choose a new password' }),
    ).toBeVisible();
    await expect(page).toHaveTitle('Choose a new password · Berth');
    await expectNoAxeViolations(page);
  });
});

/** Images of demo-shop/frontend that the demo registry starts with in the trash. */
const TRASHED_BY_DEMO = 2;

/** Whether focus is inside the table named by `label` (its container, toolbar included). */
function focusInTable(page: Page, label: string): Promise<boolean> {
  return page.evaluate((prefix) => {
    const active = document.activeElement;
    const table = document.querySelector(`table[aria-label^="${prefix}"]`);
    const container = table?.closest('.cds--data-table-container') ?? table;
    return Boolean(active && active !== document.body && container?.contains(active));
  }, label);
}

test.describe('focus after the page changes under it', () => {
  test('deleting an image by keyboard leaves focus in the images table', async ({ page }) => {
    const ui = new Console(page);
    await page.goto('/namespaces/demo-shop/repositories/frontend');
    await expect(ui.imageRows().first()).toBeVisible();
    const before = await ui.imageRows().count();
    await ui
      .imageRows()
      .nth(1)
      .getByRole('button', { name: /^Actions for / })
      .focus();
    await page.keyboard.press('Enter');
    // Delete is the menu's last item: up from the first wraps to it.
    await expect(page.getByRole('menuitem').first()).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await expect(page.getByRole('menuitem', { name: /^Delete/ })).toBeFocused();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /^Delete/ });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Move to trash' }).press('Enter');
    await expect(dialog).toBeHidden();
    await expect(ui.imageRows()).toHaveCount(before - 1);
    // The row that moved into its place: the keyboard user goes on from there.
    await expect
      .poll(() => focusInTable(page, 'Images in '), { message: 'focus in the images table' })
      .toBe(true);
    await expect(
      ui
        .imageRows()
        .nth(1)
        .getByRole('button', { name: /^Actions for / }),
    ).toBeFocused();
  });

  test('restoring from the trash by keyboard leaves focus in the trash table', async ({
    page,
    admin,
  }) => {
    const ui = new Console(page);
    const images = await admin.call<{ items: { digest: string }[] }>(
      '/api/v1/namespaces/demo-shop/repositories/frontend/images',
    );
    for (const image of images.items.slice(0, 2)) {
      await admin.call(
        `/api/v1/namespaces/demo-shop/repositories/frontend/images/${image.digest}`,
        { method: 'DELETE' },
      );
    }
    await page.goto('/trash?namespace=demo-shop&repository=frontend');
    await expect(ui.trashRows()).toHaveCount(2 + TRASHED_BY_DEMO);
    // Each row's two restore buttons are told apart by the image they restore.
    const restore = ui
      .trashRows()
      .first()
      .getByRole('button', { name: /^Restore frontend@sha256:/ });
    await expect(
      ui
        .trashRows()
        .first()
        .getByRole('button', { name: /^Restore tag… of frontend@sha256:/ }),
    ).toBeVisible();
    await restore.focus();
    await page.keyboard.press('Enter');
    await expect(ui.trashRows()).toHaveCount(1 + TRASHED_BY_DEMO);
    await expect
      .poll(() => focusInTable(page, 'Trash of '), { message: 'focus in the trash table' })
      .toBe(true);
  });

  test('a dialog closed with Escape gives focus back to the button that opened it', async ({
    page,
  }) => {
    await page.goto('/namespaces');
    await expect(
      page.getByRole('table', { name: 'Namespaces' }).locator('tbody tr').first(),
    ).toBeVisible();
    const create = page.getByRole('button', { name: 'Create namespace' }).first();
    await create.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: /Create namespace/ });
    await expect(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(create).toBeFocused();
  });

  test('a dialog whose opener went with its row leaves focus in the table', async ({
    page,
    admin,
  }) => {
    const ui = new Console(page);
    const images = await admin.call<{ items: { digest: string; tags: string[] }[] }>(
      '/api/v1/namespaces/demo-shop/repositories/frontend/images',
    );
    const tagged = images.items.filter((image) => image.tags.length > 0).slice(0, 2);
    for (const image of tagged) {
      await admin.call(
        `/api/v1/namespaces/demo-shop/repositories/frontend/images/${image.digest}`,
        { method: 'DELETE' },
      );
    }
    await page.goto('/trash?namespace=demo-shop&repository=frontend');
    await expect(ui.trashRows()).toHaveCount(2 + TRASHED_BY_DEMO);
    await ui
      .trashRows()
      .first()
      .getByRole('button', { name: /^Restore tag… of / })
      .click();
    const dialog = page.getByRole('dialog', { name: /^Restore tag/ });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Restore tag', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(ui.trashRows()).toHaveCount(1 + TRASHED_BY_DEMO);
    await expect
      .poll(() => focusInTable(page, 'Trash of '), { message: 'focus in the trash table' })
      .toBe(true);
  });
});
