import type { Locator, Page } from '@playwright/test';
import type { BerthClient } from './auth';
import { expectNoAxeViolations } from './axe';
import { expect, test } from './fixtures';
import { screenshotAt } from './operation-progress';

/**
 * Issue 15: tables that fit. At 390 and 800 px no table scrolls sideways and every row shows
 * its name and its action together; at 1280 px the images and audit tables fit the content area with
 * each row's controls on screen, and no overflow menu cuts its items short.
 */

const PHONE = { width: 390, height: 844 };
const TABLET = { width: 800, height: 1024 };
const DESKTOP = { width: 1280, height: 900 };

/** Enough data for every table: a project whose app uses an image, a user, a member... */
async function seedEveryTable(admin: BerthClient) {
  const { registryHost } = await admin.call<{ registryHost: string }>('/api/v1/regions');
  const project = await admin.call<{ id: string }>('/api/v1/projects', {
    method: 'POST',
    json: { name: 'storefront', region: 'local' },
  });
  await admin.call(`/api/v1/projects/${project.id}/apps`, {
    method: 'POST',
    json: { name: 'web', image: `${registryHost}/demo-infra/multiarch/busybox:latest` },
  });
  const old = await admin.call<{ id: string }>('/api/v1/projects', {
    method: 'POST',
    json: { name: 'old-shop', region: 'local' },
  });
  await admin.call(`/api/v1/projects/${old.id}`, { method: 'DELETE' });
  await admin.call('/api/v1/users', {
    method: 'POST',
    json: { username: 'nina', password: 'temporary-pass-5512' },
  });
  await admin.call('/api/v1/namespaces/demo-shop/members/nina', {
    method: 'PUT',
    json: { role: 'viewer' },
  });
  // A deleted image: something in the trash and in the audit log.
  const images = await admin.call<{ items: { digest: string }[] }>(
    '/api/v1/namespaces/demo-shop/repositories/nginx/images?limit=1',
  );
  const digest = images.items[0]?.digest ?? '';
  const deleted = await admin.registry(`/v2/demo-shop/nginx/manifests/${digest}`, {
    method: 'DELETE',
  });
  expect(deleted.status).toBe(202);
  return { projectId: project.id };
}

interface TablePage {
  name: string;
  path: string | ((seed: { projectId: string }) => string);
  table: string | RegExp;
  /** What opens the table once the page is there (e.g. asking for a retention preview). */
  open?: (page: Page) => Promise<void>;
  /** The row's action: its menu or first button. Null for a table whose rows have none. */
  action: ((row: Locator) => Locator) | null;
}

const rowMenu = (row: Locator) => row.getByRole('button', { name: /^Actions for / });

const TABLE_PAGES: TablePage[] = [
  { name: 'namespaces', path: '/namespaces', table: 'Namespaces', action: rowMenu },
  {
    name: 'repositories',
    path: '/namespaces/demo-shop/repositories',
    table: 'Repositories in demo-shop',
    action: rowMenu,
  },
  {
    name: 'images',
    path: '/namespaces/demo-infra/repositories/multiarch/busybox',
    table: /^Images in /,
    action: rowMenu,
  },
  {
    name: 'image-details',
    path: '/namespaces/demo-shop/repositories/frontend',
    table: /^Layers/,
    open: async (page) => {
      await page
        .getByRole('table', { name: /^Images in / })
        .getByRole('link', { name: /^Details of / })
        .first()
        .click();
    },
    action: null,
  },
  {
    name: 'trash',
    path: '/trash?namespace=demo-shop',
    table: 'Trash of demo-shop',
    action: (row) => row.getByRole('button', { name: /^Restore (?!tag)/ }),
  },
  {
    name: 'retention-preview',
    path: '/retention?namespace=demo-shop',
    table: 'Retention preview of demo-shop',
    open: async (page) => {
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
    },
    action: (row) => row.getByRole('button', { name: /^Show images of / }),
  },
  {
    name: 'retention-preview-images',
    path: '/retention?namespace=demo-shop',
    table: 'Preview of frontend',
    open: async (page) => {
      await page.getByRole('button', { name: 'Preview', exact: true }).click();
      await page.getByRole('button', { name: 'Show images of frontend' }).click();
    },
    action: null,
  },
  { name: 'projects', path: '/projects', table: 'Projects in local', action: rowMenu },
  {
    name: 'deleted-projects',
    path: '/projects/deleted',
    table: 'Deleted projects in local',
    action: (row) => row.getByRole('button', { name: /^Restore / }),
  },
  {
    name: 'project-apps',
    path: (seed) => `/projects/${seed.projectId}`,
    table: 'Apps of storefront',
    action: rowMenu,
  },
  { name: 'users', path: '/admin/users', table: 'Users', action: rowMenu },
  {
    name: 'members',
    path: '/namespaces/demo-shop/members',
    table: /^Members of /,
    action: rowMenu,
  },
  { name: 'api-keys', path: '/account/api-keys', table: 'Your API keys', action: rowMenu },
  {
    name: 'audit',
    path: '/admin/audit',
    table: 'Audit log',
    action: (row) => row.getByRole('button', { name: /^Details of / }),
  },
];

/** Rows of the table itself: not those of a table nested in an expanded row, nor the expansions. */
function dataRows(table: Locator): Locator {
  return table.locator(':scope > tbody > tr:not([data-child-row])');
}

/** The cell that names the row: the first one that is not a checkbox or an expand button. */
function identityCell(row: Locator): Locator {
  return row
    .locator(':scope > td:not(.cds--table-column-checkbox):not(.cds--table-expand)')
    .first();
}

/** Every box that scrolls (or clips) sideways between the table and the page. */
async function sidewaysOverflow(table: Locator) {
  return table.evaluate((element) => {
    const clipped: string[] = [];
    for (let node = element.parentElement; node; node = node.parentElement) {
      if (node.scrollWidth > node.clientWidth + 1) {
        clipped.push(`${node.tagName.toLowerCase()}.${node.className}`);
      }
    }
    const root = document.scrollingElement ?? document.documentElement;
    return { pageWidth: root.scrollWidth, viewport: window.innerWidth, clipped };
  });
}

async function expectWithinViewport(locator: Locator, what: string) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  const viewport = await locator.page().evaluate(() => window.innerWidth);
  expect(box, `${what} is rendered`).not.toBeNull();
  if (!box) return;
  expect(box.x, `${what} starts inside the viewport`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${what} ends inside the viewport`).toBeLessThanOrEqual(viewport);
}

async function expectTableFits(table: Locator, action: TablePage['action'], label: string) {
  await expect(dataRows(table).first()).toBeVisible();
  const { pageWidth, viewport, clipped } = await sidewaysOverflow(table);
  expect(clipped, `${label}: no box around the table scrolls sideways`).toEqual([]);
  expect(pageWidth, `${label}: the page is no wider than the screen`).toBeLessThanOrEqual(viewport);
  const rows = dataRows(table);
  const count = Math.min(await rows.count(), 4);
  for (let index = 0; index < count; index += 1) {
    const row = rows.nth(index);
    await expectWithinViewport(identityCell(row), `${label} row ${index}: its name`);
    if (action) await expectWithinViewport(action(row), `${label} row ${index}: its action`);
  }
}

/** Every item of the open overflow menu shows its whole text. */
async function expectMenuItemsWhole(page: Page, label: string) {
  const items = page.locator('.cds--overflow-menu-options__option-content');
  await expect(items.first()).toBeVisible();
  const cut = await items.evaluateAll((elements) =>
    elements
      .filter((element) => element.scrollWidth > element.clientWidth)
      .map((element) => element.textContent),
  );
  expect(cut, `${label}: menu items cut short`).toEqual([]);
  const menu = page.locator('.cds--overflow-menu-options').first();
  const box = await menu.boundingBox();
  const viewport = await page.evaluate(() => window.innerWidth);
  expect(box && box.x >= 0 && box.x + box.width <= viewport, `${label}: menu on screen`).toBe(true);
  await page.keyboard.press('Escape');
}

/** Every table of TABLE_PAGES at one screen size: no sideways scroll, names and actions shown. */
async function expectEveryTableFits(
  page: Page,
  seed: { projectId: string },
  viewport: { width: number; height: number },
) {
  for (const entry of TABLE_PAGES) {
    await test.step(entry.name, async () => {
      await page.setViewportSize(viewport);
      await page.goto(typeof entry.path === 'string' ? entry.path : entry.path(seed));
      await entry.open?.(page);
      await expectTableFits(
        page.getByRole('table', { name: entry.table }),
        entry.action,
        entry.name,
      );
      await screenshotAt(page, viewport.width, `${entry.name}-${viewport.width}.png`);
    });
  }
}

test.describe('tables at 390 px', () => {
  test('every table shows each row’s name and its action without scrolling sideways', async ({
    page,
    admin,
  }) => {
    test.setTimeout(360_000);
    const seed = await seedEveryTable(admin);
    await page.setViewportSize(PHONE);
    for (const entry of TABLE_PAGES) {
      await test.step(entry.name, async () => {
        await page.setViewportSize(PHONE);
        await page.goto(typeof entry.path === 'string' ? entry.path : entry.path(seed));
        await entry.open?.(page);
        const table = page.getByRole('table', { name: entry.table });
        await expectTableFits(table, entry.action, entry.name);
        // The table's first rows as a person sees them (the full page can be very long).
        await dataRows(table).first().scrollIntoViewIfNeeded();
        await page.screenshot({ path: test.info().outputPath(`${entry.name}-rows-390.png`) });
        // A hovered row's darker background is a passing state, not what axe should judge.
        await page.mouse.move(0, 0);
        await expectNoAxeViolations(page);
        await screenshotAt(page, PHONE.width, `${entry.name}-390.png`);
      });
    }
  });

  test('selection and the batch bar work in the stacked layout', async ({ page }) => {
    await page.setViewportSize(PHONE);
    await page.goto('/namespaces/demo-shop/repositories/frontend');
    const table = page.getByRole('table', { name: /^Images in / });
    const rows = dataRows(table);
    await expect(rows.first()).toBeVisible();
    // The header is still the table's header for assistive tech, each value still in its column.
    await expect(table.getByRole('columnheader', { name: 'Digest' })).toHaveCount(1);
    await expect(rows.first().getByRole('cell').nth(2)).toHaveAttribute('data-label', 'Digest');
    // Select-all stays on screen above the cards, and the batch bar acts on what it checked.
    const selectAll = table.locator('thead th').first().locator('label');
    await expectWithinViewport(selectAll, 'select all');
    await selectAll.click();
    await expect(page.getByText(/^\d+ items selected$/)).toBeVisible();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await rows.nth(1).locator('td').first().locator('label').click();
    await expect(page.getByText('1 item selected')).toBeVisible();
    const remove = page.getByRole('button', { name: 'Delete', exact: true });
    await expectWithinViewport(remove, 'the batch bar’s Delete');
    await remove.click();
    const dialog = page.getByRole('dialog', { name: 'Delete image' });
    await expect(dialog).toBeVisible();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await table.scrollIntoViewIfNeeded();
    await page.screenshot({ path: test.info().outputPath('images-selected-390.png') });
    await expectNoAxeViolations(page);
  });
});

// Between Carbon's md and lg breakpoints (672-1056 px) the side navigation folds away and the
// tables are laid out as on a desktop, in less room: the widest stack into cards there too.
test('at 800 px every table fits, with each row’s action on screen', async ({ page, admin }) => {
  test.setTimeout(240_000);
  await expectEveryTableFits(page, await seedEveryTable(admin), TABLET);
});

test.describe('tables at 1280 px', () => {
  test('every table fits beside the side navigation with each row’s action on screen', async ({
    page,
    admin,
  }) => {
    test.setTimeout(240_000);
    await expectEveryTableFits(page, await seedEveryTable(admin), DESKTOP);
  });

  test('the images table, with Used by and Platforms, fits with every row’s menu on screen', async ({
    page,
    admin,
  }) => {
    await seedEveryTable(admin);
    await page.setViewportSize(DESKTOP);
    await page.goto('/namespaces/demo-infra/repositories/multiarch/busybox');
    const images = page.getByRole('table', { name: /^Images in / });
    await expect(images.getByRole('columnheader', { name: 'Platforms' })).toBeVisible();
    await expect(images.getByRole('columnheader', { name: 'Used by' })).toBeVisible();
    await expect(images.getByRole('button', { name: /^Used by 1 project/ })).toBeVisible();
    await expectTableFits(images, rowMenu, 'images');
    await rowMenu(dataRows(images).first()).click();
    await expectMenuItemsWhole(page, 'images');
    await screenshotAt(page, DESKTOP.width, 'images-wide-1280.png');
    await expectNoAxeViolations(page);
  });

  test('the audit table fits with every row’s controls on screen', async ({ page, admin }) => {
    await seedEveryTable(admin);
    await page.setViewportSize(DESKTOP);
    await page.goto('/admin/audit');
    const audit = page.getByRole('table', { name: 'Audit log' });
    // The longest action name the set-up recorded, with a request id in the last column.
    await expect(audit.getByText('namespace.member.set', { exact: true })).toBeVisible();
    await expectTableFits(
      audit,
      (row) => row.getByRole('button', { name: /^Details of / }),
      'audit',
    );
    // The last column, the request id's copy button, is on screen too.
    const rows = dataRows(audit);
    for (let index = 0; index < Math.min(await rows.count(), 4); index += 1) {
      const copy = rows.nth(index).getByRole('button', { name: /^Copy request ID/ });
      if ((await copy.count()) > 0) await expectWithinViewport(copy, `audit row ${index} copy`);
    }
    await screenshotAt(page, DESKTOP.width, 'audit-wide-1280.png');
    await expectNoAxeViolations(page);
  });

  test('no overflow menu cuts its items short', async ({ page, admin }) => {
    const seed = await seedEveryTable(admin);
    await page.setViewportSize(DESKTOP);
    const menus: { path: string; menu: string }[] = [
      { path: '/namespaces', menu: 'Actions for demo-shop' },
      { path: '/namespaces/demo-shop/repositories', menu: 'Actions for frontend' },
      { path: '/namespaces/demo-infra/repositories/multiarch/busybox', menu: 'Actions for 1.37.0' },
      { path: '/admin/users', menu: 'Actions for nina' },
      { path: '/namespaces/demo-shop/members', menu: 'Actions for nina' },
      { path: '/account/api-keys', menu: 'Actions for e2e' },
      { path: '/projects', menu: 'Actions for storefront' },
      { path: `/projects/${seed.projectId}`, menu: 'Actions for web' },
    ];
    for (const { path, menu } of menus) {
      await test.step(`${path}: ${menu}`, async () => {
        await page.goto(path);
        await page.getByRole('button', { name: menu, exact: true }).click();
        await expectMenuItemsWhole(page, `${path} ${menu}`);
      });
    }
    await page.goto('/admin/users');
    await page.getByRole('button', { name: 'Actions for nina', exact: true }).click();
    await expect(page.getByRole('menuitem', { name: 'Make administrator' })).toBeVisible();
    await screenshotAt(page, DESKTOP.width, 'users-menu-1280.png');
  });
});
