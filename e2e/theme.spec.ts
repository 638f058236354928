import type { Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { Console } from './console';
import { expect, test } from './fixtures';

/** The main pages, each with what shows once its data has loaded. */
const PAGES: { path: string; name: string; ready: (page: Page) => Promise<void> }[] = [
  {
    path: '/namespaces',
    name: 'namespaces',
    ready: (page) => expect(page.getByRole('table', { name: 'Namespaces' })).toBeVisible(),
  },
  {
    path: '/namespaces/demo-shop/repositories',
    name: 'repositories',
    ready: (page) =>
      expect(page.getByRole('table', { name: 'Repositories in demo-shop' })).toBeVisible(),
  },
  {
    path: '/namespaces/demo-shop/repositories/frontend',
    name: 'images',
    ready: (page) =>
      expect(
        page
          .getByRole('table', { name: /^Images in / })
          .locator('tbody tr')
          .first(),
      ).toBeVisible(),
  },
  {
    path: '/trash?namespace=demo-shop',
    name: 'trash',
    ready: (page) =>
      expect(
        page
          .getByRole('table', { name: /^Trash of / })
          .locator('tbody tr')
          .first(),
      ).toBeVisible(),
  },
  {
    path: '/retention?namespace=demo-shop',
    name: 'retention',
    ready: (page) =>
      expect(page.getByRole('heading', { level: 1, name: 'Retention' })).toBeVisible(),
  },
  {
    path: '/projects',
    name: 'projects',
    ready: (page) =>
      expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible(),
  },
  {
    path: '/admin/users',
    name: 'users',
    ready: (page) => expect(page.getByRole('table').first()).toBeVisible(),
  },
  {
    path: '/admin/audit',
    name: 'audit',
    ready: (page) => expect(page.getByRole('table').first()).toBeVisible(),
  },
  {
    path: '/admin/gc',
    name: 'gc',
    ready: (page) =>
      expect(page.getByRole('heading', { level: 1, name: 'Garbage collection' })).toBeVisible(),
  },
];

async function htmlTheme(page: Page): Promise<string> {
  return page.evaluate(() => document.documentElement.className);
}

/** The page's own background, as painted: the dark theme's is Carbon's gray 100. */
async function bodyBackground(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

const GRAY_100 = 'rgb(22, 22, 22)';
const WHITE = 'rgb(255, 255, 255)';

async function chooseTheme(page: Page, label: 'System' | 'Light' | 'Dark') {
  await page.getByRole('button', { name: 'admin', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Theme: / }).click();
  await page.getByRole('menuitemradio', { name: label }).click();
}

test.describe('dark theme from the system setting', () => {
  test.use({ colorScheme: 'dark' });

  test('every main page is dark and passes axe, colour contrast included', async ({ page }) => {
    test.setTimeout(180_000);
    for (const target of PAGES) {
      await page.goto(target.path);
      await target.ready(page);
      await page.waitForLoadState('networkidle');
      expect(await htmlTheme(page), target.path).toContain('cds--g100');
      expect(await bodyBackground(page), target.path).toBe(GRAY_100);
      await expectNoAxeViolations(page);
      if (['namespaces', 'images', 'retention', 'gc'].includes(target.name)) {
        for (const [width, height] of [
          [1280, 900],
          [390, 844],
        ] as const) {
          await page.setViewportSize({ width, height });
          await page.screenshot({
            path: `/tmp/assets-gc-theme-dark-${target.name}-${width}.png`,
            fullPage: true,
          });
        }
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    }
  });

  test('selections, menus, dialogs and notifications are readable in dark too', async ({
    page,
  }) => {
    const ui = new Console(page);
    await page.goto('/trash?namespace=demo-shop');
    await expect(ui.trashRows().first()).toBeVisible();
    // Selected rows and the batch bar have their own colours.
    const rowBoxes = ui.trashRows().locator('td:first-child label');
    await rowBoxes.nth(0).click();
    await rowBoxes.nth(1).click();
    await expect(page.getByText('2 items selected')).toBeVisible();
    await expectNoAxeViolations(page);

    await page.goto('/namespaces/demo-shop/repositories/frontend');
    const row = ui
      .imageRows()
      .filter({ has: page.locator('.cds--tag--blue') })
      .first();
    await expect(row).toBeVisible();
    await row.getByRole('button', { name: /^Actions for / }).click();
    await expect(page.getByRole('menuitem').first()).toBeVisible();
    await expectNoAxeViolations(page);
    await page.getByRole('menuitem', { name: /^Delete/ }).click();
    const dialog = page.getByRole('dialog', { name: /^Delete/ });
    await expect(dialog).toBeVisible();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: '/tmp/assets-gc-theme-dark-delete-modal-1280.png' });
    await dialog.getByRole('button', { name: 'Move to trash' }).click();
    await expect(dialog).toBeHidden();
    const toast = ui.toast(/to the trash/);
    await expect(toast).toBeVisible();
    await expectNoAxeViolations(page);
    await page.screenshot({ path: '/tmp/assets-gc-theme-dark-toast-1280.png' });
  });

  test('the user menu switches to light, remembers it, and back to the system', async ({
    page,
  }) => {
    await page.goto('/namespaces');
    await expect(page.getByRole('table', { name: 'Namespaces' })).toBeVisible();
    expect(await bodyBackground(page)).toBe(GRAY_100);

    await chooseTheme(page, 'Light');
    await expect.poll(() => bodyBackground(page)).toBe(WHITE);
    expect(await htmlTheme(page)).toContain('cds--white');
    await expectNoAxeViolations(page);
    for (const [width, height] of [
      [1280, 900],
      [390, 844],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page.screenshot({
        path: `/tmp/assets-gc-theme-light-namespaces-${width}.png`,
        fullPage: true,
      });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    // Remembered in this browser: a reload stays light although the system is dark.
    await page.reload();
    await expect(page.getByRole('table', { name: 'Namespaces' })).toBeVisible();
    expect(await bodyBackground(page)).toBe(WHITE);

    // The menu shows the choice, and keyboard users reach it too (on a phone's width here).
    await page.setViewportSize({ width: 390, height: 844 });
    const account = page.getByRole('button', { name: 'admin', exact: true });
    await account.focus();
    await page.keyboard.press('Enter');
    const themeItem = page.getByRole('menuitem', { name: 'Theme: Light' });
    await expect(themeItem).toBeVisible();
    await themeItem.focus();
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('menuitemradio', { name: 'Light' })).toHaveAttribute(
      'aria-checked',
      'true',
    );
    await page.screenshot({ path: '/tmp/assets-gc-theme-theme-menu-390.png' });
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 1280, height: 900 });

    await chooseTheme(page, 'System');
    await expect.poll(() => bodyBackground(page)).toBe(GRAY_100);
    await page.reload();
    await expect(page.getByRole('table', { name: 'Namespaces' })).toBeVisible();
    expect(await bodyBackground(page)).toBe(GRAY_100);
  });
});

test.describe('light system setting', () => {
  test.use({ colorScheme: 'light' });

  test('the console is light, and Dark in the menu makes it dark', async ({ page }) => {
    await page.goto('/namespaces');
    await expect(page.getByRole('table', { name: 'Namespaces' })).toBeVisible();
    expect(await bodyBackground(page)).toBe(WHITE);
    await chooseTheme(page, 'Dark');
    await expect.poll(() => bodyBackground(page)).toBe(GRAY_100);
    await expectNoAxeViolations(page);
  });
});
