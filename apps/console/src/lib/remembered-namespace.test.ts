import { describe, expect, it } from 'vitest';
import { chooseNamespace } from './remembered-namespace';

describe('which namespace a picker page shows', () => {
  const visible = ['demo-data', 'demo-shop', 'team-alpha'];

  it('shows the one the address asks for when the person can see it', () => {
    expect(chooseNamespace(visible, 'demo-shop', 'team-alpha')).toEqual({
      namespace: 'demo-shop',
      notFound: null,
    });
  });

  it('shows none, and says not found, for one that is unknown or not visible', () => {
    expect(chooseNamespace(visible, 'secret-team', 'demo-shop')).toEqual({
      namespace: undefined,
      notFound: 'secret-team',
    });
  });

  it('opens on the remembered one without an address, else the first', () => {
    expect(chooseNamespace(visible, null, 'team-alpha')).toEqual({
      namespace: 'team-alpha',
      notFound: null,
    });
    // Remembered from before it was deleted, or from another account on this browser.
    expect(chooseNamespace(visible, null, 'gone-now')).toEqual({
      namespace: 'demo-data',
      notFound: null,
    });
    expect(chooseNamespace([], null, null)).toEqual({ namespace: undefined, notFound: null });
  });
});
