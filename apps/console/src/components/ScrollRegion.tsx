import type { ReactNode } from 'react';

/**
 * A wide table's horizontal scroller that keyboard users can reach: focusable and named, so
 * arrow keys scroll it even when no row has a button (axe: scrollable-region-focusable).
 * Carbon's own scroller inside is told not to scroll (see .berth-scroll-region in styles).
 */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="berth-scroll-region" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
