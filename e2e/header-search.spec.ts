import type { Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { signIn } from './auth';
import { Console } from './console';
import { expect, test } from './fixtures';

const searchBox = (page: Page) => page.getByRole('combobox', { name: 'Search the registry' });
const results = (page: Page) => page.getByRole('listbox', { name: 'Search results' });
const group = (page: Page, name: string | RegExp) => results(page).getByRole('group', { name });

test.describe('header search', () => {
  test('finds a repository and a tag, by keyboard and by pointer', async ({ page }) => {
    const ui = new Console(page);
    await page.goto('/namespaces');
    await ui.expectTableLoaded('Namespaces');

    // "/" from anywhere but a text field goes to the box.
    await page.keyboard.press('/');
    await expect(searchBox(page)).toBeFocused();
    await page.keyboard.type('demo-shop/back');
    const repositories = group(page, 'Repositories');
    await expect(repositories.getByRole('option')).toHaveText([
      'demo-shop/backend/api',
      'demo-shop/backend/worker',
    ]);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: '/tmp/header-search-1280.png' });

    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await expect(
      repositories.getByRole('option', { name: 'demo-shop/backend/worker' }),
    ).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/namespaces\/demo-shop\/repositories\/backend\/api$/);
    await expect(page.getByRole('heading', { level: 1, name: 'backend/api' })).toBeVisible();
    await expect(results(page)).toHaveCount(0);

    // A tag opens its image's page.
    await searchBox(page).fill('lates');
    const tags = group(page, /^Tags/);
    await expect(tags.getByRole('option').first()).toContainText('demo-data/etl/ingest:latest');
    await page.screenshot({ path: '/tmp/header-search-1280-tags.png' });
    await tags.getByRole('option').first().click();
    await expect(page).toHaveURL(
      /\/namespaces\/demo-data\/repositories\/etl\/ingest\/-\/images\/sha256:[0-9a-f]{64}$/,
    );
    await expect(page.getByRole('heading', { level: 1, name: /^etl\/ingest[:@]/ })).toBeVisible();
    await expect(page.getByText('docker pull').first()).toBeVisible();

    // Nothing found says so; Escape closes the results and keeps the text.
    await searchBox(page).fill('zzz-nothing');
    await expect(
      page.getByText('No namespace, repository, tag or digest starts with “zzz-nothing”.'),
    ).toBeVisible();
    await expectNoAxeViolations(page);
    await page.keyboard.press('Escape');
    await expect(page.getByText('No namespace, repository, tag or digest starts')).toHaveCount(0);
    await expect(searchBox(page)).toHaveValue('zzz-nothing');
  });

  test.describe('as a member of one namespace', () => {
    test.use({ signedIn: false });

    test('never shows anything of a namespace the person has no role in', async ({
      page,
      admin,
    }) => {
      const nina = { username: 'nina', password: 'temporary-pass-5512' };
      await admin.call('/api/v1/users', { method: 'POST', json: nina });
      await admin.call('/api/v1/namespaces/demo-shop/members/nina', {
        method: 'PUT',
        json: { role: 'viewer' },
      });
      const images = await admin.call<{ items: { digest: string }[] }>(
        '/api/v1/namespaces/demo-data/repositories/etl%2Fingest/images?limit=1',
      );
      const hiddenDigest = images.items[0]?.digest ?? '';
      expect(hiddenDigest).toMatch(/^sha256:/);

      // Replace the temporary password through the API, as the console's form does.
      const session = await page.request.post('/api/v1/session', { data: nina });
      const { csrfToken } = (await session.json()) as { csrfToken: string };
      const chosen = { username: 'nina', password: 'a-long-passphrase-of-her-own' };
      const changed = await page.request.post('/api/v1/session/password', {
        data: { currentPassword: nina.password, newPassword: chosen.password },
        headers: { 'X-CSRF-Token': csrfToken },
      });
      expect(changed.status(), await changed.text()).toBe(204);
      await signIn(page.request, chosen);

      await page.goto('/namespaces');
      await searchBox(page).click();
      await page.keyboard.type('demo');
      await expect(group(page, 'Namespaces').getByRole('option')).toHaveText(['demo-shop']);
      for (const text of [
        'demo-data',
        'etl',
        'demo-data/etl/ingest:latest',
        hiddenDigest.slice(7, 19),
      ]) {
        await searchBox(page).fill(text);
        await expect(
          page.getByText(`No namespace, repository, tag or digest starts with “${text}”.`),
        ).toBeVisible();
      }
      // What nina may read is found.
      await searchBox(page).fill('frontend');
      await expect(group(page, 'Repositories').getByRole('option')).toHaveText([
        'demo-shop/frontend',
      ]);
    });
  });

  test('at 390 px an icon opens a full-width panel', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/namespaces');
    await expect(page.getByRole('heading', { level: 1, name: 'Namespaces' })).toBeVisible();
    await expect(searchBox(page)).toHaveCount(0);

    const toggle = page.getByRole('button', { name: 'Search', exact: true });
    await toggle.click();
    await expect(searchBox(page)).toBeFocused();
    await page.keyboard.type('demo-infra/multi');
    await expect(group(page, 'Repositories').getByRole('option')).toHaveText([
      'demo-infra/multiarch/busybox',
      'demo-infra/multiarch/toolbox',
    ]);
    const box = await searchBox(page).boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(300);
    await expectNoAxeViolations(page);
    await page.screenshot({ path: '/tmp/header-search-390.png' });

    await page.keyboard.press('Escape');
    await expect(searchBox(page)).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Search', exact: true })).toBeFocused();

    // "/" opens the panel too.
    await page.keyboard.press('/');
    await expect(searchBox(page)).toBeFocused();
    await page.keyboard.type('demo-d');
    await expect(group(page, 'Namespaces').getByRole('option')).toHaveText(['demo-data']);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/namespaces\/demo-data\/repositories$/);
    await expect(searchBox(page)).toHaveCount(0);
  });
});
