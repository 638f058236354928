import { Header, HeaderName, Theme } from '@carbon/react';
import type { ReactNode } from 'react';

/**
 * The page around signing in and a required password change: the product's header without
 * navigation, region or user menu, since none of them can be used yet.
 */
export function BarePage({ children }: { children: ReactNode }) {
  return (
    <>
      <Theme theme="g100">
        <Header aria-label="Berth">
          <HeaderName href="/" prefix="">
            Berth
          </HeaderName>
        </Header>
      </Theme>
      <main id="main-content" className="berth-bare">
        <div className="berth-bare__panel">{children}</div>
      </main>
    </>
  );
}
