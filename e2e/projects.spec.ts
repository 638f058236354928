import type { Page } from '@playwright/test';
import type { BerthClient } from './auth';
import { Console } from './console';
import { expect, test } from './fixtures';

/** The host image pointers into this registry start with, as the console shows it. */
async function registryHost(admin: BerthClient): Promise<string> {
  return (await admin.call<{ registryHost: string }>('/api/v1/regions')).registryHost;
}

function projectRows(page: Page, table: 'Projects' | 'Deleted projects') {
  return page.getByRole('table', { name: `${table} in local` }).locator('tbody tr');
}

test('create a project with a secret and an app, delete it, restore it, delete it for good', async ({
  page,
  admin,
}) => {
  const ui = new Console(page);
  const host = await registryHost(admin);
  const pointer = `${host}/demo-shop/frontend:stable`;

  await page.goto('/namespaces');
  await ui.nav('Projects');
  await expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
  await expect(page.getByText('0 of 20 projects in local')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'No projects in local' })).toBeVisible();

  // Create: the name is checked before it is sent.
  await page.getByRole('button', { name: 'Create project' }).first().click();
  const create = ui.dialog('Create project');
  await create.getByLabel('Name').fill('Shop!');
  await create.getByRole('button', { name: 'Create project' }).click();
  await expect(create).toContainText('may contain only lowercase letters');
  await create.getByLabel('Name').fill('shop');
  await create.getByRole('button', { name: 'Create project' }).click();
  await expect(create).toBeHidden();
  await expect(ui.toast('Project shop created')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'shop' })).toBeVisible();

  // A secret: its value goes in a password field and is never shown again.
  await page.getByRole('tab', { name: /^Secrets/ }).click();
  await page.getByRole('button', { name: 'Create secret' }).click();
  const secretDialog = ui.dialog('Create secret');
  await secretDialog.getByLabel('Name', { exact: true }).fill('api-keys');
  await secretDialog.getByLabel('Key 1', { exact: true }).fill('API_TOKEN');
  const value = secretDialog.getByLabel('Value 1', { exact: true });
  await expect(value).toHaveAttribute('type', 'password');
  await value.fill('s3cr3t-token-value');
  await secretDialog.getByRole('button', { name: 'Create secret' }).click();
  await expect(secretDialog).toBeHidden();
  await expect(ui.toast('Secret api-keys created')).toBeVisible();
  const secrets = page.getByRole('table', { name: 'Secrets of shop' });
  const secretRow = secrets.locator('tbody tr').filter({ hasText: 'api-keys' });
  await expect(secretRow).toContainText('API_TOKEN');
  await expect(secretRow).toContainText('••••••••');
  await expect(page.getByText('s3cr3t-token-value')).toHaveCount(0);
  await expect(page.getByRole('tab', { name: 'Secrets (1)' })).toBeVisible();

  // An app pointing at a demo image: the console says the image is here.
  await page.getByRole('tab', { name: /^Apps/ }).click();
  await page.getByRole('button', { name: 'Create app' }).click();
  const appDialog = ui.dialog('Create app');
  await expect(appDialog.getByLabel('Image')).toHaveAttribute(
    'placeholder',
    new RegExp(`^${host}/`),
  );
  await appDialog.getByLabel('Name', { exact: true }).fill('web');
  await appDialog.getByLabel('Image').fill(pointer);
  await appDialog.getByRole('button', { name: 'Create app' }).click();
  await expect(appDialog).toBeHidden();
  await expect(ui.toast('App web created')).toBeVisible();
  const appRow = page
    .getByRole('table', { name: 'Apps of shop' })
    .locator('tbody tr')
    .filter({ hasText: 'web' });
  await expect(appRow).toContainText(pointer);
  await expect(appRow.locator('.cds--tag', { hasText: /^Present$/ })).toBeVisible();

  // Delete (restorable): the modal lists what goes with it.
  await page.getByRole('button', { name: 'Delete project' }).click();
  const deleteDialog = ui.dialog('Delete project shop');
  await expect(deleteDialog).toContainText('Apps (1): web');
  await expect(deleteDialog).toContainText('Secrets (1): api-keys');
  await expect(
    deleteDialog.getByRole('radio', { name: 'Delete (restorable for 7 days)' }),
  ).toBeChecked();
  await deleteDialog.getByRole('button', { name: 'Delete project' }).click();
  await expect(deleteDialog).toBeHidden();
  await expect(ui.toast('Project shop deleted')).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Projects' })).toBeVisible();
  await expect(page.getByText('1 of 20 projects in local (1 deleted)')).toBeVisible();
  await expect(ui.rowWithLink('shop')).toHaveCount(0);

  // Deleted projects: the time left, and Restore.
  await page.getByRole('tab', { name: 'Deleted projects (1)' }).click();
  await expect(page).toHaveURL(/\/projects\/deleted$/);
  const deletedRow = projectRows(page, 'Deleted projects').filter({ hasText: 'shop' });
  await expect(deletedRow).toContainText(/6 days 23 hours left/);
  await expect(deletedRow).toContainText('1 app, 1 secret');
  await deletedRow.getByRole('button', { name: 'Restore shop' }).click();
  await expect(ui.toast('Project shop restored')).toBeVisible();
  await expect(projectRows(page, 'Deleted projects')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'No deleted projects in local' })).toBeVisible();

  // Restored with its app and its secret.
  await page.getByRole('tab', { name: 'Projects', exact: true }).click();
  await ui.rowWithLink('shop').getByRole('link', { name: 'shop' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'shop' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Apps of shop' })).toContainText(pointer);
  await page.getByRole('tab', { name: /^Secrets/ }).click();
  await expect(secrets.locator('tbody tr').filter({ hasText: 'api-keys' })).toContainText(
    'API_TOKEN',
  );

  // Delete permanently: only once the name is typed.
  await page.getByRole('button', { name: 'Delete project' }).click();
  const hardDialog = ui.dialog('Delete project shop');
  await hardDialog.locator('label', { hasText: 'Delete permanently' }).click();
  const confirm = hardDialog.getByRole('button', { name: 'Delete permanently' });
  await expect(confirm).toBeDisabled();
  await hardDialog.getByLabel('Type shop to confirm').fill('sho');
  await expect(confirm).toBeDisabled();
  await hardDialog.getByLabel('Type shop to confirm').fill('shop');
  await expect(confirm).toBeEnabled();
  await confirm.click();
  await expect(hardDialog).toBeHidden();
  await expect(ui.toast('Project shop deleted permanently')).toBeVisible();

  await expect(page.getByText('0 of 20 projects in local')).toBeVisible();
  await expect(ui.rowWithLink('shop')).toHaveCount(0);
  await page.getByRole('tab', { name: /^Deleted projects/ }).click();
  await expect(page.getByRole('heading', { name: 'No deleted projects in local' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'No deleted projects in local' })).toBeVisible();
});

test('undo a project delete from the notification', async ({ page, admin }) => {
  const ui = new Console(page);
  const created = await admin.api('/api/v1/projects', {
    method: 'POST',
    json: { name: 'billing', region: 'local' },
  });
  expect(created.status).toBe(201);

  await page.goto('/projects');
  await expect(ui.rowWithLink('billing')).toBeVisible();
  await ui.rowAction('billing', 'Delete');
  const dialog = ui.dialog('Delete project billing');
  await expect(dialog).toContainText('The project is empty');
  await dialog.getByRole('button', { name: 'Delete project' }).click();
  const toast = ui.toast('Project billing deleted');
  await expect(toast).toBeVisible();
  await expect(ui.rowWithLink('billing')).toHaveCount(0);

  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(ui.toast('Project billing restored')).toBeVisible();
  await expect(ui.rowWithLink('billing')).toBeVisible();
  await expect(page.getByText('1 of 20 projects in local')).toBeVisible();
});

test('the images list says which project apps use an image, and deleting it warns', async ({
  page,
  admin,
}) => {
  const ui = new Console(page);
  const host = await registryHost(admin);
  const project = await admin.call<{ id: string }>('/api/v1/projects', {
    method: 'POST',
    json: { name: 'shop', region: 'local' },
  });
  const app = await admin.api(`/api/v1/projects/${project.id}/apps`, {
    method: 'POST',
    json: { name: 'web', image: `${host}/demo-shop/frontend:stable` },
  });
  expect(app.status).toBe(201);

  await page.goto('/namespaces/demo-shop/repositories/frontend');
  const row = ui.imageRows().filter({ has: page.locator('.cds--tag', { hasText: /^stable$/ }) });
  await row.getByRole('button', { name: 'Used by 1 project: show which apps and jobs' }).click();
  const usedBy = page.locator('.cds--popover--open').filter({ hasText: 'Used by 1 workload' });
  await expect(usedBy).toContainText('app web in shop');
  await expect(usedBy.getByRole('link', { name: 'shop' })).toHaveAttribute(
    'href',
    `/projects/${project.id}`,
  );
  await page.keyboard.press('Escape');

  await row.getByRole('button', { name: /^Actions for / }).click();
  await page.getByRole('menuitem', { name: 'Delete image' }).click();
  const dialog = ui.dialog('Delete image');
  await expect(dialog).toContainText('In use by 1 app or job in 1 project');
  await expect(dialog).toContainText('app web in shop');
  await dialog.getByRole('button', { name: 'Move to trash' }).click();
  await expect(ui.toast('Moved 1 image to the trash')).toBeVisible();

  // The app now points at an image in the trash, and says so.
  await page.goto(`/projects/${project.id}`);
  const appRow = page.getByRole('table', { name: 'Apps of shop' }).locator('tbody tr');
  await expect(appRow.locator('.cds--tag', { hasText: /^In trash$/ })).toBeVisible();
  await expect(appRow.getByRole('link')).toHaveAttribute(
    'href',
    '/trash?namespace=demo-shop&repository=frontend',
  );
});
