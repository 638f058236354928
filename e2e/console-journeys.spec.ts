import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { seedRetentionNamespace } from './retention-helpers';

/*
 * The three journeys issue 15 counted by clicks only at 1280 px, from the namespaces page
 * after signing in (12, 15 and 25 actions then), done the shortest way the console offers now.
 * Every click, every field typed into and every option picked is one action; waiting and
 * reading are not. docs/console.md gives each count; a change that makes a journey longer
 * fails here.
 */

/** Counts the person's actions in one journey. */
class Journey {
  actions = 0;
  constructor(readonly page: Page) {}

  async click(target: Locator): Promise<void> {
    this.actions++;
    await target.click();
  }

  async type(field: Locator, text: string): Promise<void> {
    this.actions++;
    await field.fill(text);
  }
}

test.use({ viewport: { width: 1280, height: 800 } });

test('delete a repository and restore it from the trash: 6 actions', async ({ page }) => {
  const j = new Journey(page);
  await page.goto('/namespaces');
  await expect(page.getByRole('heading', { level: 1, name: 'Namespaces' })).toBeVisible();

  await j.click(page.getByRole('link', { name: 'demo-shop', exact: true }).first());
  const row = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: 'backend/api' }) });
  await j.click(row.getByRole('button', { name: /^Actions for / }));
  await j.click(page.getByRole('menuitem', { name: 'Delete' }));
  const dialog = page.getByRole('dialog', { name: 'Delete repository backend/api' });
  await j.click(dialog.getByRole('button', { name: 'Move to trash' }));
  await j.click(page.getByRole('link', { name: 'See backend/api in the trash' }));
  await j.click(page.getByRole('button', { name: 'Restore repository backend/api' }));

  await expect(page.getByRole('status').or(page.getByRole('alert')).first()).toBeVisible();
  await expect
    .poll(async () => {
      const answer = await page.request.get('/api/v1/namespaces/demo-shop/repositories?limit=100');
      const body = (await answer.json()) as { items: { name: string }[] };
      return body.items.some((r) => r.name === 'backend/api');
    })
    .toBe(true);
  expect(j.actions).toBe(6);
});

test('retention: preview, confirm and undo: 7 actions', async ({ page, admin }) => {
  const seed = await seedRetentionNamespace(admin);
  const j = new Journey(page);
  await page.goto('/namespaces');
  await expect(page.getByRole('heading', { level: 1, name: 'Namespaces' })).toBeVisible();

  await j.click(page.getByRole('link', { name: seed.namespace, exact: true }).first());
  // The side navigation opens Retention on the namespace being shown: wait until it is shown,
  // or a quick click opens it on the namespace before (seen once in CI).
  await expect(page.getByRole('heading', { level: 1, name: seed.namespace })).toBeVisible();
  await j.click(
    page
      .getByRole('navigation', { name: 'Side navigation' })
      .getByRole('link', { name: 'Retention' }),
  );
  const form = page.getByRole('form', { name: `Retention policy of ${seed.namespace}` });
  await j.type(form.getByLabel('Images to keep per repository'), '2');
  await j.click(form.getByRole('button', { name: 'Preview', exact: true }));
  const preview = page.getByRole('region', { name: /preview/i });
  await j.click(preview.getByRole('button', { name: /^Move \d+ images to trash$/ }));
  const dialog = page.getByRole('dialog');
  await j.click(dialog.getByRole('button', { name: /^Move \d+ images to trash$/ }));
  const toast = page
    .locator('.berth-toasts > *')
    .filter({ hasText: /Moved \d+ images to the trash/ });
  await j.click(toast.getByRole('button', { name: 'Undo' }));

  // Undone: every image of the namespace is live again.
  await expect
    .poll(async () => {
      const answer = await page.request.get(
        `/api/v1/namespaces/${seed.namespace}/repositories/app/images?limit=100`,
      );
      return ((await answer.json()) as { items: unknown[] }).items.length;
    })
    .toBe(6);
  expect(j.actions).toBe(7);
});

test('project: create, delete, restore, delete for good: 14 actions', async ({ page }) => {
  const j = new Journey(page);
  await page.goto('/namespaces');
  await expect(page.getByRole('heading', { level: 1, name: 'Namespaces' })).toBeVisible();

  await j.click(
    page
      .getByRole('navigation', { name: 'Side navigation' })
      .getByRole('link', { name: 'Projects' }),
  );
  await j.click(page.getByRole('button', { name: 'Create project' }).first());
  const create = page.getByRole('dialog', { name: /Create project/ });
  await j.type(create.getByLabel('Name'), 'journey');
  await j.click(create.getByRole('button', { name: 'Create project' }));

  await j.click(page.getByRole('button', { name: 'Delete project' }));
  const soft = page.getByRole('dialog', { name: 'Delete project journey' });
  await j.click(soft.getByRole('button', { name: 'Delete project' }));
  await j.click(page.getByRole('tab', { name: /^Deleted projects/ }));
  await j.click(page.getByRole('button', { name: 'Restore journey' }));

  await j.click(page.getByRole('tab', { name: 'Projects', exact: true }));
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'journey' }) });
  await j.click(row.getByRole('button', { name: /^Actions for / }));
  await j.click(page.getByRole('menuitem', { name: 'Delete' }));
  const hard = page.getByRole('dialog', { name: 'Delete project journey' });
  await j.click(hard.locator('label', { hasText: 'Delete permanently' }));
  await j.type(hard.getByLabel('Type journey to confirm'), 'journey');
  await j.click(hard.getByRole('button', { name: 'Delete permanently' }));

  await expect(hard).toBeHidden();
  for (const status of ['active', 'deleted']) {
    const answer = await page.request.get(`/api/v1/projects?region=local&status=${status}`);
    const body = (await answer.json()) as { items: { name: string }[] };
    expect(body.items.map((p) => p.name)).not.toContain('journey');
  }
  expect(j.actions).toBe(14);
});
