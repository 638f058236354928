import type { Locator } from '@playwright/test';
import { Console } from './console';
import { expect, test } from './fixtures';
import { pacedChunks, progressOf, screenshotsThenAxe } from './operation-progress';
import { SYNTHETIC_BIG } from './synthetic-registry';

const { namespace: NAMESPACE, repository: REPOSITORY } = SYNTHETIC_BIG;
const BIG_IMAGES = 40_000;
/** The other repository of the first namespace seed-large writes (with 2 per namespace). */
const OTHER = 'team-01/service-0001';
/** How long a page with nothing running waits before asking again (RUNNING_LIST_POLL_MS.idle). */
const IDLE_POLL = 15_000;

// Chunks of 10 with a 15 ms rest after each (pacedChunks), and ~6,700 images in each
// other repository: the second delete runs for at least 10 s, longer than the page's busy
// poll, however fast the machine (chunks of a fixed size alone left that to the machine:
// with ~2,000 images in chunks of 10 it had ended before the page asked); the 40,000-image
// one runs at least a minute.
test.use({
  syntheticRegistry: { images: 60_000, repositories: 4, namespaces: 2, big: BIG_IMAGES },
  serverEnv: pacedChunks(10, 15),
});

/** The number in an Images cell: "40,000", or "12,340 left" while its repository is deleted. */
async function countIn(cell: Locator): Promise<number> {
  const text = (await cell.innerText()).trim();
  const match = /^([\d,]+)( left)?$/.exec(text);
  if (!match?.[1]) throw new Error(`no image count in "${text}"`);
  return Number(match[1].replace(/,/g, ''));
}

test('a delete started elsewhere shows on an open page without a reload, with what is left', async ({
  page,
  admin,
}) => {
  test.setTimeout(120_000);
  // Time flows as usual; the test jumps it forward where the page would wait for its next poll.
  await page.clock.install();
  const ui = new Console(page);
  await page.goto(`/namespaces/${NAMESPACE}/repositories`);
  await ui.expectTableLoaded(`Repositories in ${NAMESPACE}`);
  const count = ui.rowWithLink(REPOSITORY).locator('td').nth(2);
  await expect(count).toHaveText(BIG_IMAGES.toLocaleString('en'));
  await expect(page.locator('.berth-operation')).toHaveCount(0);

  // Started by a script (as by the CLI, or in another tab): this page has not been told.
  const started = await admin.api(
    `/api/v1/namespaces/${NAMESPACE}/repositories/${encodeURIComponent(REPOSITORY)}`,
    { method: 'DELETE' },
  );
  expect(started.status).toBe(202);

  // Nothing ran when the page last asked, so it asks again after the idle interval.
  await page.clock.fastForward(IDLE_POLL);
  const progress = progressOf(page, `Deleting ${NAMESPACE}/${REPOSITORY}`);
  await expect(progress).toBeVisible();
  await expect(ui.rowWithLink(REPOSITORY)).toContainText('Being deleted');

  // While something runs the page asks every few seconds: a second delete shows soon, with
  // no jump in time. (Started now, while the first has just begun: later it may have ended,
  // and the page would rightly be back to asking every 15 s.)
  const second = await admin.api(
    `/api/v1/namespaces/${NAMESPACE}/repositories/${encodeURIComponent(OTHER)}`,
    { method: 'DELETE' },
  );
  expect(second.status).toBe(202);
  await expect(progressOf(page, `Deleting ${NAMESPACE}/${OTHER}`)).toBeVisible({
    timeout: 6_000,
  });
  await expect(ui.rowWithLink(OTHER)).toContainText('Being deleted');
  await expect(progress, 'the first delete was still running').toBeVisible();

  // Its row counts what is left, and the count goes down as the chunks commit.
  await expect(count).toHaveText(/^[\d,]+ left$/);
  await expect.poll(() => countIn(count), { timeout: 20_000 }).toBeLessThan(BIG_IMAGES);
  const left = await countIn(count);
  await expect.poll(() => countIn(count), { timeout: 20_000 }).toBeLessThan(left);
  await screenshotsThenAxe(page, 'delete-started-elsewhere', [1280]);
});

test('a namespace delete started elsewhere takes the namespace off an open namespaces page', async ({
  page,
  admin,
}) => {
  test.setTimeout(120_000);
  await page.clock.install();
  const ui = new Console(page);
  await page.goto('/namespaces');
  await ui.expectTableLoaded('Namespaces');
  await expect(ui.rowWithLink(NAMESPACE)).toBeVisible();

  const started = await admin.api(`/api/v1/namespaces/${NAMESPACE}`, { method: 'DELETE' });
  expect(started.status).toBe(202);

  // Found by the next poll: its progress shows, and the namespace leaves the list at once,
  // as it does for a delete started on this page, not when the delete ends.
  await page.clock.fastForward(IDLE_POLL);
  const progress = progressOf(page, `Deleting namespace ${NAMESPACE}`);
  await expect(progress).toBeVisible();
  await expect(ui.rowWithLink(NAMESPACE)).toHaveCount(0);
  await expect(progress, 'the delete was still running').toBeVisible();
});

test('a repository delete found running on its images page ends with the toast that offers Undo', async ({
  page,
  admin,
}) => {
  test.setTimeout(120_000);
  await page.clock.install();
  const ui = new Console(page);
  await page.goto(`/namespaces/${NAMESPACE}/repositories/${OTHER}`);
  await ui.expectTableLoaded(`Images in ${NAMESPACE}/${OTHER}`);

  const started = await admin.api(
    `/api/v1/namespaces/${NAMESPACE}/repositories/${encodeURIComponent(OTHER)}`,
    { method: 'DELETE' },
  );
  expect(started.status).toBe(202);
  await page.clock.fastForward(IDLE_POLL);
  await expect(progressOf(page, `Deleting ${NAMESPACE}/${OTHER}`)).toBeVisible();

  // The same words as when the delete is started from the repositories page: not a plain
  // "it ended", but the way to the trash and Undo.
  const toast = ui.toast(`Repository ${OTHER} deleted`);
  await expect(toast).toBeVisible({ timeout: 60_000 });
  await expect(toast.getByRole('link', { name: `See ${OTHER} in the trash` })).toBeVisible();
  await expect(toast.getByRole('button', { name: 'Undo' })).toBeVisible();
});
