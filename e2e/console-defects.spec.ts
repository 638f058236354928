import type { Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import type { BerthClient } from './auth';
import { Console } from './console';
import { expect, test } from './fixtures';
import { createNamespace, pushImage, seedRetentionNamespace } from './retention-helpers';

/**
 * Issue 15's defects, each as a person meets it. The browser reads times in Berlin, so a
 * time set in UTC has to be shown in both zones to be right.
 */
test.use({ timezoneId: 'Europe/Berlin', locale: 'en-GB' });

const SHOTS = process.env.BERTH_SHOTS_DIR;

/** Screenshots to look at by eye (BERTH_SHOTS_DIR=/tmp/…), at desktop and phone widths. */
async function shoot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  for (const viewport of [
    { width: 1280, height: 900 },
    { width: 390, height: 844 },
  ]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/console-defects-${name}-${viewport.width}.png` });
  }
  await page.setViewportSize(size);
}

async function createProject(admin: BerthClient, name: string): Promise<void> {
  await admin.call('/api/v1/projects', { method: 'POST', json: { name, region: 'local' } });
}

async function deleteProjectInConsole(ui: Console, name: string): Promise<void> {
  await ui.rowAction(name, 'Delete');
  const dialog = ui.dialog(`Delete project ${name}`);
  await dialog.getByRole('button', { name: 'Delete project' }).click();
  await expect(dialog).toBeHidden();
}

test('retention says which settings a preview and a run used, and asks before dropping edits', async ({
  page,
  admin,
}) => {
  const seed = await seedRetentionNamespace(admin);
  const ui = new Console(page);
  await page.goto(`/retention?namespace=${seed.namespace}`);
  const form = page.getByRole('form', { name: `Retention policy of ${seed.namespace}` });
  await expect(form).toContainText('No policy saved yet: these are the defaults.');
  // The schedule is set in UTC and read in the reader's zone: both, each with its zone.
  await expect(form).toContainText(/03:00 UTC \(0[45]:00 CES?T, your time\)/);

  // Edited values are no longer the defaults, and the form stops saying they are.
  await form.getByLabel('Images to keep per repository').fill('2');
  await form.getByLabel('Protected tags (optional)').fill('stable');
  await expect(form).not.toContainText('these are the defaults');
  await expect(form).toContainText('changed from the defaults and not saved');
  await form.getByLabel('Time of day (UTC)').fill('22:30');
  await expect(form).toContainText(/22:30 UTC \((23|00):30 CES?T, your time\)/);

  // A preview of settings nobody saved says so, with the settings.
  await form.getByRole('button', { name: 'Preview', exact: true }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview).toContainText(
    'Previewing unsaved settings (N=2; retain untagged: yes; protected tags: stable).',
  );
  await expectNoAxeViolations(page);
  await shoot(page, 'retention-unsaved-preview');

  // So does the result of confirming it.
  await preview.getByRole('button', { name: 'Move 3 images to trash' }).click();
  const confirm = ui.dialog('Move 3 images to the trash?');
  await expect(confirm).toContainText('They stay in the trash');
  await confirm.getByRole('button', { name: 'Move 3 images to trash' }).click();
  const result = page.getByRole('region', { name: /^Result of run #\d+$/ });
  await expect(result).toContainText(
    'Ran with unsaved settings (N=2; retain untagged: yes; protected tags: stable).',
  );

  // Leaving with unsaved edits asks first; Stay keeps them.
  await ui.nav('Trash');
  const leave = ui.dialog('Leave without saving the policy?');
  await expect(leave).toBeVisible();
  await expectNoAxeViolations(page);
  await shoot(page, 'retention-leave');
  await leave.getByRole('button', { name: 'Stay' }).click();
  await expect(leave).toBeHidden();
  // Focus goes back to what was used to leave, not to the page's <body>.
  await expect
    .poll(() => page.evaluate(() => document.activeElement?.textContent ?? ''))
    .toContain('Trash');
  await expect(page).toHaveURL(/\/retention/);
  await expect(form.getByLabel('Images to keep per repository')).toHaveValue('2');

  // Saved, the next daily run is told in UTC and in the reader's time, and nothing is asked.
  await form.getByRole('switch', { name: 'Run daily' }).press('Space');
  await form.getByRole('button', { name: 'Save policy' }).click();
  await expect(ui.toast(`Retention policy of ${seed.namespace} saved`)).toBeVisible();
  await expect(form).toContainText(
    /Next daily run: \d{1,2} \w{3} \d{4}, 22:30 UTC \((\d{1,2} \w{3} \d{4}, )?(23|00):30 CES?T, your time\)/,
  );
  await form.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Preview' })).toContainText(
    'Previewing the saved policy (N=2;',
  );
  await ui.nav('Trash');
  await expect(page.getByRole('heading', { level: 1, name: 'Trash' })).toBeVisible();

  // And when the edits are dropped on purpose, the page goes.
  await page.goto(`/retention?namespace=${seed.namespace}`);
  await form.getByLabel('Images to keep per repository').fill('7');
  await ui.nav('Trash');
  await ui
    .dialog('Leave without saving the policy?')
    .getByRole('button', { name: 'Leave without saving' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Trash' })).toBeVisible();
});

test('restore tag says which tags another image holds now, before anything is sent', async ({
  page,
  admin,
}) => {
  const ui = new Console(page);
  const ns = 'e2e-tags';
  await createNamespace(admin, ns);
  // The old image had tags v1 and extra; after it was deleted, a new image took v1.
  const old = await pushImage(admin, `${ns}/app`, 'v1', 3);
  const manifest = await admin.registry(`/v2/${ns}/app/manifests/${old.digest}`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  const put = await admin.registry(`/v2/${ns}/app/manifests/extra`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    body: await manifest.arrayBuffer(),
  });
  expect(put.status).toBe(201);
  await admin.call(
    `/api/v1/namespaces/${ns}/repositories/app/images/${encodeURIComponent(old.digest)}`,
    { method: 'DELETE' },
  );
  const newer = await pushImage(admin, `${ns}/app`, 'v1', 1);

  await page.goto(`/trash?namespace=${ns}`);
  await expect(ui.trashRows()).toHaveCount(1);
  await ui.trashRows().getByRole('button', { name: 'Restore tag…' }).click();
  const dialog = ui.dialog('Restore tag');
  const held = dialog.getByRole('radio', { name: /^v1/ });
  await expect(held).toBeDisabled();
  await expect(dialog).toContainText(`v1 (now held by ${newer.digest.slice(0, 19)})`);
  const free = dialog.getByRole('radio', { name: 'extra' });
  await expect(free).toBeEnabled();
  await expect(free).toBeChecked();
  await expectNoAxeViolations(page);
  await shoot(page, 'restore-tag');

  await dialog.getByRole('button', { name: 'Restore tag' }).click();
  await expect(dialog).toBeHidden();
  await expect(ui.trashRows()).toHaveCount(0);
});

test('a project restored from Deleted projects takes its Undo toast away', async ({
  page,
  admin,
}) => {
  const ui = new Console(page);
  await createProject(admin, 'billing');
  await page.goto('/projects');
  await deleteProjectInConsole(ui, 'billing');
  const toast = ui.toast('Project billing deleted');
  await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();

  await page.getByRole('tab', { name: /^Deleted projects/ }).click();
  await page.getByRole('button', { name: 'Restore billing' }).click();
  await expect(ui.toast('Project billing restored')).toBeVisible();
  // Its Undo would only fail now: it is gone.
  await expect(toast).toHaveCount(0);
});

test('toasts stack at most three deep and Undo toasts expire', async ({ page, admin }) => {
  const ui = new Console(page);
  for (const name of ['one', 'two', 'three', 'four']) await createProject(admin, name);
  await page.clock.install();
  await page.goto('/projects');
  for (const name of ['one', 'two', 'three', 'four']) await deleteProjectInConsole(ui, name);

  // Newest first; the oldest folded away until asked for.
  const shown = page.locator('.berth-toasts .berth-toast');
  await expect(shown).toHaveCount(3);
  await expect(shown.first()).toContainText('Project four deleted');
  const more = page.getByRole('button', { name: 'Show 1 older notification' });
  await expect(more).toBeVisible();
  await expectNoAxeViolations(page);
  await shoot(page, 'toasts-stacked');
  await more.click();
  await expect(shown).toHaveCount(4);

  // After a while they go; Deleted projects still offers the restore.
  await page.clock.fastForward(16_000);
  await expect(shown).toHaveCount(0);
  await page.getByRole('tab', { name: /^Deleted projects/ }).click();
  await expect(page.getByRole('button', { name: 'Restore one' })).toBeVisible();
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("a toast does not cover an open modal's buttons", async ({ page, admin }) => {
    const ui = new Console(page);
    await createProject(admin, 'alpha');
    await createProject(admin, 'beta');
    await page.goto('/projects');
    await deleteProjectInConsole(ui, 'alpha');
    await expect(ui.toast('Project alpha deleted')).toBeVisible();

    await ui.rowAction('beta', 'Delete');
    const dialog = ui.dialog('Delete project beta');
    const button = dialog.getByRole('button', { name: 'Delete project' });
    await expect(button).toBeVisible();
    await shoot(page, 'modal-over-toast');
    // The toast waits beneath the modal: what is on top where it sits is the modal's overlay.
    const toastBox = await ui.toast('Project alpha deleted').boundingBox();
    expect(toastBox).not.toBeNull();
    const overToast = await page.evaluate(
      ({ x, y }) => Boolean(document.elementFromPoint(x, y)?.closest('.berth-toasts')),
      { x: toastBox!.x + toastBox!.width / 2, y: toastBox!.y + toastBox!.height / 2 },
    );
    expect(overToast).toBe(false);
    // What is on top at the button's middle is the button, not the toast.
    const box = await button.boundingBox();
    expect(box).not.toBeNull();
    const onTop = await page.evaluate(
      ({ x, y }) => document.elementFromPoint(x, y)?.closest('button')?.textContent ?? '',
      { x: box!.x + box!.width / 2, y: box!.y + box!.height / 2 },
    );
    expect(onTop).toContain('Delete project');
    await button.click();
    await expect(ui.toast('Project beta deleted')).toBeVisible();
    // One toast at a time on a phone, the older one a tap away.
    await expect(page.locator('.berth-toasts .berth-toast')).toHaveCount(1);
    await expect(page.getByRole('button', { name: 'Show 1 older notification' })).toBeVisible();
  });
});

test('a non-admin opening the admin pages is told they are not for their account', async ({
  page,
  admin,
}) => {
  const temporary = 'temporary-pass-4417';
  const chosen = 'chosen-pass-88213';
  await admin.call('/api/v1/users', {
    method: 'POST',
    json: { username: 'member1', password: temporary },
  });
  const session = await page.request.post('/api/v1/session', {
    data: { username: 'member1', password: temporary },
  });
  const { csrfToken } = (await session.json()) as { csrfToken: string };
  const changed = await page.request.post('/api/v1/session/password', {
    data: { currentPassword: temporary, newPassword: chosen },
    headers: { 'X-CSRF-Token': csrfToken },
  });
  expect(changed.status()).toBe(204);
  await page.request.post('/api/v1/session', { data: { username: 'member1', password: chosen } });

  for (const [path, title] of [
    ['/admin/users', 'Users'],
    ['/admin/audit', 'Audit log'],
  ] as const) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
    await expect(
      page.getByRole('heading', { name: 'Not available to your account' }),
    ).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create user' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
    await expect(page.getByText(/forbidden|administrator role/i)).toHaveCount(0);
  }
  await expectNoAxeViolations(page);
  await shoot(page, 'admin-not-available');
});

test('an unknown repository shows the not-found state, not an error to retry', async ({ page }) => {
  await page.goto('/namespaces/demo-shop/repositories/no-such-repository');
  await expect(page.getByRole('heading', { name: 'Repository not found' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Look in the trash' })).toHaveAttribute(
    'href',
    '/trash?namespace=demo-shop&repository=no-such-repository',
  );
  await expectNoAxeViolations(page);
  await shoot(page, 'repository-not-found');
});
