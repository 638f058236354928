import { expectNoAxeViolations } from './axe';
import { Console } from './console';
import { expect, test } from './fixtures';
import { MEDIA, pushSignedIndex } from './oci-push';

const NS = 'demo-shop';
const REPO = 'e2e/multiarch';
const short = (digest: string) => digest.slice(0, 'sha256:'.length + 12);

/** Screenshots to look at (not compared): /tmp/image-details-<name>-<width>.png. */
async function screenshots(page: import('@playwright/test').Page, name: string) {
  for (const [width, height] of [
    [1280, 900],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `/tmp/image-details-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

test('a pushed multi-arch image with a signature: from its tag to its details, a platform, and its manifest', async ({
  page,
  admin,
  context,
}) => {
  // The registry host as the server names it, which the login hint uses too.
  const { registryHost: host } = await admin.call<{ registryHost: string }>('/api/v1/regions');
  const { index, children, signature } = await pushSignedIndex(admin, `${NS}/${REPO}`, 'v1.0', [
    { architecture: 'amd64' },
    { architecture: 'arm64', variant: 'v8' },
  ]);
  const [amd, arm] = children as [(typeof children)[0], (typeof children)[0]];

  const ui = new Console(page);
  await page.goto(`/namespaces/${NS}/repositories`);
  await ui.rowWithLink(REPO).getByRole('link', { name: REPO, exact: true }).click();
  await expect(ui.imageRows()).toHaveCount(1);
  await screenshots(page, 'repository');
  await ui.imageRows().first().getByRole('link', { name: 'v1.0' }).click();

  await expect(page.getByRole('heading', { level: 1, name: `${REPO}:v1.0` })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/repositories/${REPO}/-/images/${index.digest}$`));
  await expect(page.getByText('A multi-platform image index with 2 platforms.')).toBeVisible();
  await expect(page).toHaveTitle(`${REPO}:v1.0 · ${NS} · Berth`);

  // Pull commands per tag and by digest, with the host the images page uses.
  await expect(page.getByText(`docker pull ${host}/${NS}/${REPO}:v1.0`)).toBeVisible();
  await expect(page.getByText(`docker pull ${host}/${NS}/${REPO}@${index.digest}`)).toBeVisible();

  const platforms = page.getByRole('table', { name: 'Platforms' });
  await expect(platforms.getByRole('row')).toHaveCount(3);
  await expect(platforms.getByRole('link', { name: 'linux/amd64', exact: true })).toBeVisible();
  await expect(platforms.getByRole('link', { name: 'linux/arm64/v8' })).toBeVisible();
  await expect(platforms.getByText(short(arm.digest))).toBeVisible();

  const referrers = page.getByRole('table', { name: 'Signatures, SBOMs and attestations' });
  await expect(
    referrers.getByRole('link', { name: `Signature ${short(signature.digest)}` }),
  ).toBeVisible();
  await expect(referrers.getByText(MEDIA.cosignSignature)).toBeVisible();
  await expect(page.getByRole('table', { name: 'Timeline' })).toContainText(
    'Pushed to the registry',
  );
  await expectNoAxeViolations(page);
  await screenshots(page, 'index');

  // A platform of the index has details of its own, and a way back to the index.
  // By keyboard, as the manifest below.
  await platforms.getByRole('link', { name: 'linux/arm64/v8' }).focus();
  await page.keyboard.press('Enter');
  await expect(
    page.getByRole('heading', { level: 1, name: `${REPO}@${short(arm.digest)}` }),
  ).toBeVisible();
  await expect(page.getByText('A platform image (linux/arm64/v8) of')).toBeVisible();
  await expect(
    page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'v1.0' }),
  ).toBeVisible();
  await expect(page.getByText('--port 8080', { exact: true })).toBeVisible();
  await expect(page.getByText('/srv/server', { exact: true })).toBeVisible();
  await expect(page.getByText('BUILD_PLATFORM=arm64')).toBeVisible();
  await expect(page.getByText('8080/tcp')).toBeVisible();
  const layers = page.getByRole('table', { name: 'Layers' });
  await expect(layers.getByRole('row')).toHaveCount(2);
  await expect(layers.getByText(MEDIA.layer)).toBeVisible();
  const history = page.getByRole('table', { name: 'History' });
  await expect(history.getByText('COPY server /srv/server # buildkit')).toBeVisible();
  await expect(history.getByText('none (no files changed)')).toBeVisible();

  // The manifest, collapsed until asked for; copying takes the exact bytes.
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Manifest JSON' }).focus();
  await page.keyboard.press('Enter');
  const json = page.locator('pre[aria-label="Manifest JSON"]');
  await expect(json).toContainText(`"mediaType": "${MEDIA.config}"`);
  await page.getByRole('button', { name: 'Copy manifest JSON' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(arm.bytes.toString());
  await expectNoAxeViolations(page);
  await screenshots(page, 'platform');

  // Back to the index through the breadcrumb; then an address that names no image.
  await page
    .getByRole('navigation', { name: 'Breadcrumb' })
    .getByRole('link', { name: 'v1.0' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: `${REPO}:v1.0` })).toBeVisible();
  expect(amd.digest).not.toBe(arm.digest);
  await page.goto(`/namespaces/${NS}/repositories/${REPO}/-/images/sha256:${'0'.repeat(64)}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Image not found' })).toBeVisible();
  await expect(page.getByText(`${REPO} holds no image sha256:000000000000`)).toBeVisible();
  await expect(page.getByRole('link', { name: `images of ${REPO}` })).toBeVisible();
  await expectNoAxeViolations(page);
  await screenshots(page, 'not-found');
});
