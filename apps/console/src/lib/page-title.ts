import { useEffect } from 'react';

const PRODUCT = 'Berth';
const SEPARATOR = ' · ';

/**
 * "<page> · <context> · Berth": the page first, so tabs and history entries tell pages apart
 * when they are cut short; parts that are not known yet (still loading) are left out.
 */
export function pageTitle(page: string, ...context: (string | null | undefined)[]): string {
  return [page, ...context, PRODUCT]
    .filter((part): part is string => Boolean(part))
    .join(SEPARATOR);
}

/**
 * Sets `document.title` while the page is shown. Each route's page calls it once, so a screen
 * reader announces where a link led and every tab and history entry has its own name (WCAG
 * 2.4.2).
 */
export function usePageTitle(page: string, ...context: (string | null | undefined)[]): void {
  const title = pageTitle(page, ...context);
  useEffect(() => {
    document.title = title;
  }, [title]);
}
