import type { Locator, Page } from '@playwright/test';
import { expectNoAxeViolations } from './axe';
import { test } from './fixtures';

/**
 * Server settings under which bulk work runs in chunks of `images` with a rest of `restMs`
 * after each (BERTH_BULK_REST_MS): an operation of N images then lasts at least
 * N / images * restMs, however fast the machine. Sizing chunks alone left that to the machine,
 * and a quiet one finished before the page had been looked at (twice, as the work got cheaper).
 */
export function pacedChunks(images: number, restMs: number): Record<string, string> {
  return {
    BERTH_BULK_CHUNK_IMAGES: String(images),
    BERTH_BULK_CHUNK_MS: '0',
    BERTH_BULK_REST_MS: String(restMs),
  };
}

/** The progress bar of one operation, by what it says it does. */
export function progressOf(page: Page, title: string | RegExp): Locator {
  return page
    .locator('.berth-operation')
    .filter({ has: page.getByRole('progressbar', { name: title }) });
}

/** Images done so far, as the bar's count says ("1,250 of 20,000 images"). */
export async function doneOf(progress: Locator): Promise<number> {
  const text = await progress.innerText();
  const match = /([\d,]+) of [\d,]+ images/.exec(text);
  if (!match?.[1]) throw new Error(`no count in the progress: ${text}`);
  return Number(match[1].replace(/,/g, ''));
}

const viewportOf = (width: number) => ({ width, height: width < 600 ? 844 : 900 });

/** The page as it is now at `width` px, kept with the test's results for a look by eye. */
export async function screenshotAt(page: Page, width: number, name: string): Promise<void> {
  await page.setViewportSize(viewportOf(width));
  await page.screenshot({ path: test.info().outputPath(name), fullPage: true });
}

/**
 * A spec's screenshots for a look by eye (not compared): `<prefix>-<name>-<width>.png` at 1280
 * and 390 px, the page 1280 px wide again afterwards for the steps that follow.
 */
export function screenshotsTo(prefix: string): (page: Page, name: string) => Promise<void> {
  return async (page, name) => {
    for (const width of [1280, 390]) {
      await page.setViewportSize(viewportOf(width));
      await page.screenshot({ path: `${prefix}-${name}-${width}.png`, fullPage: true });
    }
    await page.setViewportSize(viewportOf(1280));
  };
}

/**
 * Screenshots at each width in turn (`<name>-<width>.png`), then axe at the last: screenshots
 * are quick, so both catch a short-lived state; axe, slower, runs once.
 */
export async function screenshotsThenAxe(
  page: Page,
  name: string,
  widths: number[],
): Promise<void> {
  for (const width of widths) await screenshotAt(page, width, `${name}-${width}.png`);
  await expectNoAxeViolations(page);
}
