import { expect, type Locator, type Page } from '@playwright/test';

/** Page objects: what a person sees and does, named as the console names it. */
export class Console {
  constructor(readonly page: Page) {}

  nav(name: 'Namespaces' | 'Repositories' | 'Trash' | 'Projects'): Promise<void> {
    return this.page
      .getByRole('navigation', { name: 'Side navigation' })
      .getByRole('link', { name })
      .click();
  }

  async chooseNamespace(namespace: string): Promise<void> {
    await this.page.getByRole('combobox', { name: 'Namespace' }).click();
    await this.page.getByRole('option', { name: namespace, exact: true }).click();
  }

  /** A table row identified by the link or text in its first cell. */
  rowWithLink(name: string): Locator {
    return this.page
      .getByRole('row')
      .filter({ has: this.page.getByRole('link', { name, exact: true }) });
  }

  async rowAction(rowActionsName: string, item: string): Promise<void> {
    await this.page.getByRole('button', { name: `Actions for ${rowActionsName}` }).click();
    await this.page.getByRole('menuitem', { name: item, exact: true }).click();
  }

  dialog(name: string | RegExp): Locator {
    return this.page.getByRole('dialog', { name });
  }

  toast(title: string | RegExp): Locator {
    return this.page.locator('.berth-toasts > *').filter({ hasText: title });
  }

  imageRows(): Locator {
    return this.page.getByRole('table', { name: /^Images in / }).locator('tbody tr');
  }

  trashRows(): Locator {
    return this.page.getByRole('table', { name: /^Trash of / }).locator('tbody tr');
  }

  async expectTableLoaded(name: string | RegExp): Promise<Locator> {
    const table = this.page.getByRole('table', { name });
    await expect(table).toBeVisible();
    return table;
  }
}

/** Tags and short digest of an image row, as shown. */
export async function readImageRow(row: Locator): Promise<{ tags: string[]; digest: string }> {
  const tagTexts = await row.locator('td').nth(1).locator('.cds--tag').allInnerTexts();
  const digest = (await row.locator('td').nth(2).locator('code').innerText()).trim();
  return { tags: tagTexts.map((t) => t.trim()).filter((t) => t !== 'untagged'), digest };
}
