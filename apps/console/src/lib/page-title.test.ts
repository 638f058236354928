import { describe, expect, it } from 'vitest';
import { pageTitle } from './page-title';

describe('pageTitle', () => {
  it('puts the page first, then its context, then the product', () => {
    expect(pageTitle('Repositories', 'demo-shop')).toBe('Repositories · demo-shop · Berth');
    expect(pageTitle('frontend', 'demo-shop')).toBe('frontend · demo-shop · Berth');
  });

  it('needs no context', () => {
    expect(pageTitle('Namespaces')).toBe('Namespaces · Berth');
  });

  it('leaves out context that is not known yet', () => {
    expect(pageTitle('Trash', undefined)).toBe('Trash · Berth');
    expect(pageTitle('Projects', null, '')).toBe('Projects · Berth');
  });
});
