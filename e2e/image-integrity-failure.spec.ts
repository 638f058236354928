import { expectNoAxeViolations } from './axe';
import { expect, test } from './fixtures';
import { screenshotsTo } from './operation-progress';

const screenshots = screenshotsTo('/tmp/assets-integrity');

const NS = 'demo-shop';
const REPO = 'payments';
const DIGEST = `sha256:${'5e'.repeat(32)}`;
/** The server's words for a sealed manifest row that was altered (integrity-error.ts). */
const MESSAGE = `the stored manifest ${DIGEST} failed its integrity check: its sealed bytes do not open under its namespace's key (they were altered, or copied from another image or namespace). It was not served. An administrator can restore it from a backup taken before the change`;

/**
 * A browser test cannot alter a database row of the server it runs against, so the image's
 * details are answered here exactly as the server answers them for such a row (checked over
 * real HTTP in integrity-errors.test.ts). Everything else is the real server and demo registry.
 */
test('an image whose stored manifest fails its integrity check says so, and what an administrator can do', async ({
  page,
}) => {
  await page.route(
    (url) =>
      decodeURIComponent(url.pathname) ===
      `/api/v1/namespaces/${NS}/repositories/${REPO}/images/${DIGEST}`,
    (route) =>
      route.fulfill({
        status: 500,
        json: {
          error: {
            code: 'INTEGRITY_FAILURE',
            message: MESSAGE,
            details: { subject: 'manifest', digest: DIGEST, reason: 'altered' },
          },
        },
      }),
  );
  await page.goto(`/namespaces/${NS}/repositories/${REPO}/-/images/${DIGEST}`);
  const error = page.locator('.berth-error');
  await expect(error).toContainText('Stored data failed its integrity check');
  await expect(error).toContainText(`The stored manifest ${DIGEST} failed its integrity check`);
  await expect(error).toContainText(
    'An administrator can restore it from a backup taken before the change.',
  );
  // Trying again cannot help, so it is not offered.
  await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
  await screenshots(page, 'image');
  await expectNoAxeViolations(page);
});
