import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Console, readImageRow } from './console';
import { expect, test } from './fixtures';
import { skopeo } from './skopeo';

test('an image pushed with skopeo shows in the console; deleting it there stops pulls until Undo', async ({
  page,
  berth,
  admin,
}) => {
  const host = new URL(berth.url).host;
  // The console's pull command names the host as the server does (the login hint's host).
  const { registryHost } = await admin.call<{ registryHost: string }>('/api/v1/regions');
  const layout = await mkdtemp(path.join(tmpdir(), 'berth-e2e-layout-'));
  try {
    // Real content from the demo registry goes out and back in through the registry API.
    await skopeo(
      admin.creds,
      'copy',
      `docker://${host}/demo-shop/frontend:latest`,
      `oci:${layout}:image`,
    );
    await skopeo(
      admin.creds,
      'copy',
      `oci:${layout}:image`,
      `docker://${host}/demo-shop/pushed/by-client:e2e`,
    );

    const ui = new Console(page);
    await page.goto('/namespaces/demo-shop/repositories');
    await expect(ui.rowWithLink('pushed/by-client')).toBeVisible();
    await ui.rowWithLink('pushed/by-client').getByRole('link').click();
    await expect(page.getByRole('heading', { level: 1, name: 'pushed/by-client' })).toBeVisible();
    await expect(ui.imageRows()).toHaveCount(1);
    const { tags } = await readImageRow(ui.imageRows().first());
    expect(tags).toEqual(['e2e']);
    await expect(
      page.getByText(`docker pull ${registryHost}/demo-shop/pushed/by-client:e2e`),
    ).toBeVisible();

    await ui.imageRows().first().getByRole('button', { name: 'Actions for e2e' }).click();
    await page.getByRole('menuitem', { name: 'Delete image' }).click();
    await ui.dialog('Delete image').getByRole('button', { name: 'Move to trash' }).click();
    const toast = ui.toast('Moved 1 image to the trash');
    await expect(toast).toBeVisible();
    await expect(
      skopeo(
        admin.creds,
        'copy',
        `docker://${host}/demo-shop/pushed/by-client:e2e`,
        `oci:${layout}:again`,
      ),
    ).rejects.toThrow(/manifest unknown/i);

    await toast.getByRole('button', { name: 'Undo' }).click();
    await expect(ui.toast('Restored 1 image')).toBeVisible();
    await skopeo(
      admin.creds,
      'copy',
      `docker://${host}/demo-shop/pushed/by-client:e2e`,
      `oci:${layout}:again`,
    );
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
});
