import type { Page } from '@playwright/test';
import { ADMIN, type Credentials } from './auth';
import { Console } from './console';
import { expect, test } from './fixtures';

/** The sign-in form, used by keyboard only: type, Tab, type, Enter. */
async function signInByKeyboard(page: Page, who: Credentials): Promise<void> {
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Berth' })).toBeVisible();
  await expect(page.getByLabel('Username')).toBeFocused();
  await page.keyboard.type(who.username);
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
  await page.keyboard.type(who.password);
  await page.keyboard.press('Enter');
}

function sideNav(page: Page) {
  return page.getByRole('navigation', { name: 'Side navigation' });
}

test.describe('signing in by hand', () => {
  test.use({ signedIn: false });

  test('sign in, create an API key, see its secret once, use it, sign out', async ({
    page,
    berth,
  }) => {
    const ui = new Console(page);
    await page.goto('/namespaces');
    // Nothing of the console shows before signing in.
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Berth' })).toBeVisible();
    await expect(sideNav(page)).toHaveCount(0);

    // A wrong password is said plainly, and the form stays usable.
    await signInByKeyboard(page, { username: ADMIN.username, password: 'not-the-password' });
    await expect(page.getByText('Wrong username or password.')).toBeVisible();
    await expect(page.getByLabel('Password', { exact: true })).toBeFocused();
    await page.keyboard.type(ADMIN.password);
    await page.keyboard.press('Enter');
    await ui.expectTableLoaded('Namespaces');
    await expect(sideNav(page)).toBeVisible();

    // The account menu, by keyboard: Enter opens it on its first item.
    const account = page.getByRole('button', { name: ADMIN.username, exact: true });
    await account.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('menuitem', { name: 'API keys' })).toBeFocused();
    await expect(page.getByRole('menuitem', { name: 'Change password' })).toBeVisible();
    await expect(page.getByRole('menuitem', { name: 'Sign out' })).toBeVisible();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'No API keys yet' })).toBeVisible();

    await page.getByRole('button', { name: 'Create API key' }).click();
    const create = ui.dialog('Create API key');
    await create.getByRole('textbox', { name: 'Name' }).fill('ci push');
    await create.getByText('Read and write').click();
    await create.getByRole('button', { name: 'Create key' }).click();

    const shown = ui.dialog('API key ci push created');
    await expect(shown).toContainText('It is shown only this once');
    await expect(shown.getByRole('button', { name: 'Copy API key' })).toBeVisible();
    const secret = (await shown.locator('.cds--snippet pre').innerText()).trim();
    expect(secret.length).toBeGreaterThan(20);
    await expect(shown).toContainText(`-u ${ADMIN.username}`);
    await expect(shown).toContainText('Authorization: Bearer');
    await shown.getByRole('button', { name: 'Done' }).click();
    await expect(shown).toBeHidden();

    // Listed by name and prefix; the secret itself is nowhere on the page any more.
    const row = page.getByRole('table', { name: 'Your API keys' }).locator('tbody tr');
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('ci push');
    await expect(row).toContainText('Active');
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await expect(row).toContainText('ci push');
    expect(await page.content()).not.toContain(secret);

    // The key works as a Bearer token on the API, outside the browser.
    const withKey = await fetch(`${berth.url}/api/v1/namespaces`, {
      headers: { Authorization: `Bearer ${secret}` },
    });
    expect(withKey.status).toBe(200);

    // Revoked, it stays listed as such and stops working at once.
    await ui.rowAction('ci push', 'Revoke');
    const revoke = ui.dialog('Revoke API key ci push?');
    await revoke.getByRole('button', { name: 'Revoke key' }).click();
    await expect(revoke).toBeHidden();
    await expect(row).toContainText('Revoked');
    const revoked = await fetch(`${berth.url}/api/v1/namespaces`, {
      headers: { Authorization: `Bearer ${secret}` },
    });
    expect(revoked.status).toBe(401);

    await page.getByRole('button', { name: ADMIN.username, exact: true }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Berth' })).toBeVisible();
    await expect(sideNav(page)).toHaveCount(0);
    expect((await page.request.get('/api/v1/session')).status()).toBe(401);
  });

  test('an ended session sends you to sign in, then back where you were', async ({ page }) => {
    await page.goto('/namespaces/demo-shop/repositories');
    await signInByKeyboard(page, ADMIN);
    await expect(page.getByRole('heading', { level: 1, name: 'demo-shop' })).toBeVisible();
    await expect(page).toHaveURL(/\/namespaces\/demo-shop\/repositories$/);
    // The page's own first calls finish before the session ends, or one of them, not the
    // click below, would be the call that finds it gone.
    await new Console(page).expectTableLoaded('Repositories in demo-shop');
    await page.waitForLoadState('networkidle');

    // The session ends elsewhere (here: its cookie goes); the next call the page makes says so.
    await page.context().clearCookies();
    await page.getByRole('tab', { name: 'Members' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in to Berth' })).toBeVisible();
    await expect(page.getByText('Your session has ended.')).toBeVisible();
    await expect(page).toHaveURL(/\/namespaces\/demo-shop\/members$/);

    await signInByKeyboard(page, ADMIN);
    await expect(page.getByRole('heading', { level: 1, name: 'demo-shop' })).toBeVisible();
    await expect(page.getByRole('tab', { name: 'Members', selected: true })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'No members yet' })).toBeVisible();
  });

  test('a viewer changes the temporary password first, then sees nothing it may not do', async ({
    page,
    admin,
  }) => {
    const ui = new Console(page);
    const viewer = { username: 'viewer1', password: 'temporary-pass-7291' };
    await admin.call('/api/v1/users', { method: 'POST', json: viewer });
    await admin.call('/api/v1/namespaces/demo-shop/members/viewer1', {
      method: 'PUT',
      json: { role: 'viewer' },
    });

    await page.goto('/namespaces/demo-shop/repositories');
    await signInByKeyboard(page, viewer);

    // A temporary password opens nothing but the page that replaces it.
    await expect(
      page.getByRole('heading', { level: 1, name: 'Choose a new password' }),
    ).toBeVisible();
    await expect(sideNav(page)).toHaveCount(0);
    const chosen = 'my-own-long-passphrase';
    await page.getByLabel('Current password').fill(viewer.password);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('New password again').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByText('Passwords are 12–256 characters long.')).toBeVisible();
    await page.getByLabel('New password', { exact: true }).fill(chosen);
    await page.getByLabel('New password again').fill(chosen);
    await page.getByRole('button', { name: 'Change password' }).click();

    // Then the page asked for at sign-in, read-only for a viewer.
    await expect(page.getByRole('heading', { level: 1, name: 'demo-shop' })).toBeVisible();
    await expect(page.getByText('your role: viewer')).toBeVisible();
    const repositories = await ui.expectTableLoaded('Repositories in demo-shop');
    await expect(repositories.locator('tbody tr').first()).toBeVisible();
    await expect(page.getByRole('checkbox')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^Actions for / })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Delete' })).toHaveCount(0);
    await expect(page.getByRole('tab', { name: 'Settings' })).toHaveCount(0);

    await repositories.getByRole('link', { name: 'frontend', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'frontend' })).toBeVisible();
    await expect(ui.imageRows().first()).toBeVisible();
    await expect(page.getByRole('checkbox')).toHaveCount(0);
    await expect(page.getByRole('button', { name: /^Actions for / })).toHaveCount(0);
    await expect(page.getByRole('menuitem')).toHaveCount(0);

    await page.goto('/trash?namespace=demo-shop');
    await expect(ui.trashRows().first()).toBeVisible();
    await expect(page.getByRole('button', { name: /^Restore/ })).toHaveCount(0);

    await page.goto('/namespaces/demo-shop/members');
    await expect(page.getByRole('table', { name: 'Members of demo-shop' })).toContainText(
      'viewer1',
    );
    await expect(page.getByRole('button', { name: 'Add member' })).toHaveCount(0);

    await sideNav(page).getByRole('link', { name: 'Namespaces' }).click();
    await ui.expectTableLoaded('Namespaces');
    await expect(ui.rowWithLink('demo-shop')).toBeVisible();
    // Only the namespace viewer1 belongs to is listed; creating namespaces is for admins.
    await expect(ui.rowWithLink('demo-data')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Create namespace' })).toHaveCount(0);
    await ui.rowAction('demo-shop', 'Members');
    await expect(page).toHaveURL(/\/namespaces\/demo-shop\/members$/);
    await page.goBack();
    await page.getByRole('button', { name: 'Actions for demo-shop' }).click();
    await expect(page.getByRole('menuitem', { name: 'Delete' })).toHaveCount(0);
    await page.keyboard.press('Escape');

    await expect(sideNav(page).getByRole('link', { name: 'Users' })).toHaveCount(0);
    await expect(sideNav(page).getByRole('link', { name: 'Audit log' })).toHaveCount(0);
    await sideNav(page).getByRole('link', { name: 'Projects' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create project' })).toHaveCount(0);
  });
});

test('the audit log shows sign-ins, filters by action, and exports what it shows', async ({
  page,
}) => {
  await page.goto('/namespaces');
  await page
    .getByRole('navigation', { name: 'Side navigation' })
    .getByRole('link', { name: 'Audit log' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const rows = page
    .getByRole('table', { name: 'Audit log' })
    .locator('tbody tr:not([data-child-row])');
  const signIns = rows.filter({ hasText: 'session.login' });
  await expect(signIns.first()).toContainText(`user:${ADMIN.username}`);
  // The demo seed records its own entries: unfiltered, there is more than sign-ins.
  await expect(rows.filter({ hasNotText: 'session.login' }).first()).toBeVisible();

  await page.getByLabel('Action').fill('session.login');
  await expect(page).toHaveURL(/action=session\.login/);
  await expect(rows.filter({ hasNotText: 'session.login' })).toHaveCount(0);
  await expect(signIns.first()).toBeVisible();

  // The details of an entry open under it.
  await signIns
    .first()
    .getByRole('button', { name: /^Details of session.login/ })
    .click();
  await expect(page.locator('tr[data-child-row]').first()).toBeVisible();

  const exportLink = page.getByRole('link', { name: 'Export CSV' });
  await expect(exportLink).toHaveAttribute('href', '/api/v1/audit/csv?action=session.login');
  const csv = await page.request.get((await exportLink.getAttribute('href')) ?? '');
  expect(csv.status()).toBe(200);
  const text = await csv.text();
  expect(text).toContain('session.login');
  expect(text).not.toContain('namespace.create');
});
