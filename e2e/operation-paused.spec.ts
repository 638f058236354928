import type { Page } from '@playwright/test';
import { Console } from './console';
import { expect, test } from './fixtures';
import { progressOf, screenshotsThenAxe } from './operation-progress';

const NAMESPACE = 'demo-shop';
const REPOSITORY = 'payments';

/**
 * A server cannot be made to run out of disk on cue, so the operations API is answered here:
 * a delete of demo-shop/payments paused because the storage is full, as the server reports one
 * (`waiting` set while it runs). Everything else is the real server with the demo registry.
 */
async function serveAPausedDelete(page: Page): Promise<void> {
  const paused = {
    id: '41',
    kind: 'repository.delete',
    namespace: NAMESPACE,
    target: `${NAMESPACE}/${REPOSITORY}`,
    state: 'running',
    done: 4,
    total: 12,
    actor: 'admin',
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    updatedAt: new Date().toISOString(),
    finishedAt: null,
    result: null,
    error: null,
    waiting: { code: 'STORAGE_FULL', message: 'SQLITE_FULL: database or disk is full' },
    // Every field of the contract's operation: the console refuses an answer without one.
    rolledBack: null,
  };
  await page.route(/\/api\/v1\/operations(\/41)?(\?.*)?$/, (route) =>
    route.fulfill({
      json: route.request().url().includes('/operations/41')
        ? paused
        : { items: [paused], nextCursor: null },
    }),
  );
}

test('a paused operation says why under its progress bar, at desktop and phone widths', async ({
  page,
}) => {
  await serveAPausedDelete(page);
  const ui = new Console(page);
  await page.goto(`/namespaces/${NAMESPACE}/repositories`);
  await ui.expectTableLoaded(`Repositories in ${NAMESPACE}`);
  const progress = progressOf(page, `Deleting ${NAMESPACE}/${REPOSITORY}`);
  await expect(progress).toContainText('4 of 12 images');
  // Its own warning, which a screen reader announces: why, and who can act on it.
  const pause = progress.getByRole('status').filter({ hasText: 'Paused' });
  await expect(pause).toContainText(
    'The disk where Berth keeps its data is full. Ask your Berth administrator',
  );
  await expect(pause).not.toContainText('SQLITE');
  await expect(ui.rowWithLink(REPOSITORY)).toContainText('Being deleted');
  await screenshotsThenAxe(page, 'operation-paused', [1280, 390]);
});
