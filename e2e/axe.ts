import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect, type Page } from '@playwright/test';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page as it is now (WCAG 2.1 A and AA rules, and axe's best practices:
 * they catch what WCAG's tags miss, such as a table column without a header) and fails with every
 * violation named, the elements included, so a journey checks what a person reaches too.
 */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  // Evaluated rather than added as a <script>: the console's CSP refuses inline scripts.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
    const result = await axe.run(document, {
      runOnly: {
        type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
      },
      // Carbon renders open menus and tooltips in a portal at the end of <body>, outside any
      // landmark; they are transient and belong to the control that opened them.
      rules: { region: { enabled: false } },
    });
    return result.violations.map((violation): Violation => ({
      id: violation.id,
      impact: violation.impact ?? null,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
  expect(violations).toEqual([]);
}
