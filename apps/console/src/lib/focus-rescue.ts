/**
 * Focus that would fall to <body> is put somewhere sensible instead. It falls there when the
 * focused element leaves the page: a deleted or restored table row, a dialog or menu that
 * closed. Rather than every page and modal doing this by hand, one observer (installed by
 * the app shell) remembers the last focused control outside dialogs, menus and toasts — so,
 * the control that opened them — and when focus is lost:
 * - the control is still there: focus goes back to it (a dialog closed);
 * - it is gone with its table row: focus goes to the same column of the row now in its place
 *   (or the last row), so a keyboard user deleting or restoring rows one by one stays put;
 * - nothing is left of it: the page's heading.
 * A click on the page's background is a choice to leave focus there: it forgets the control.
 */

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Where focus belongs while these are open comes from what opened them. */
const TRANSIENT =
  '[role="dialog"], [role="alertdialog"], [role="menu"], .cds--modal, .berth-toasts';

/** The row that takes the place of the row at `removedIndex` when `rowsNow` rows are left. */
export function replacementRowIndex(removedIndex: number, rowsNow: number): number | null {
  if (rowsNow <= 0 || removedIndex < 0) return null;
  return Math.min(removedIndex, rowsNow - 1);
}

interface Remembered {
  element: HTMLElement;
  table: HTMLTableElement | null;
  rowIndex: number;
  cellIndex: number;
  /** Another page after navigation manages its own focus. */
  path: string;
}

function remember(element: HTMLElement): Remembered {
  const cell = element.closest('td, th');
  const row = cell?.closest('tbody tr');
  const table = row?.closest('table') ?? null;
  const rowIndex =
    row && table ? Array.prototype.indexOf.call(table.tBodies[0]?.rows ?? [], row) : -1;
  const cellIndex =
    cell && row ? Array.prototype.indexOf.call((row as HTMLTableRowElement).cells, cell) : -1;
  return { element, table, rowIndex, cellIndex, path: window.location.pathname };
}

function canFocus(element: HTMLElement): boolean {
  return element.isConnected && element.matches(FOCUSABLE) && element.getClientRects().length > 0;
}

function firstFocusable(within: Element | null | undefined): HTMLElement | null {
  if (!within) return null;
  for (const candidate of within.querySelectorAll<HTMLElement>(FOCUSABLE)) {
    if (canFocus(candidate)) return candidate;
  }
  return null;
}

function pageHeading(): HTMLElement | null {
  const heading = document.querySelector<HTMLElement>('main h1, h1');
  if (!heading) return null;
  // Focusable from script only: it stays out of the tab order.
  if (!heading.hasAttribute('tabindex')) heading.tabIndex = -1;
  return heading;
}

function replacementFor(lost: Remembered): HTMLElement | null {
  const body = lost.table?.isConnected ? lost.table.tBodies[0] : undefined;
  const index = body ? replacementRowIndex(lost.rowIndex, body.rows.length) : null;
  const row = index === null ? undefined : body?.rows[index];
  return (
    firstFocusable(row?.cells[lost.cellIndex]) ??
    firstFocusable(row) ??
    firstFocusable(lost.table?.isConnected ? lost.table : null) ??
    pageHeading()
  );
}

/** Starts watching; returns what stops it. */
export function installFocusRescue(): () => void {
  let remembered: Remembered | null = null;
  /** Focus was last in a dialog, menu or toast: its closing is what lost it. */
  let inTransient = false;

  const onFocusIn = (event: FocusEvent) => {
    const target = event.target;
    if (!(target instanceof HTMLElement) || target === document.body) return;
    inTransient = target.closest(TRANSIENT) !== null;
    if (inTransient) return;
    remembered = remember(target);
  };
  const onPointerDown = (event: PointerEvent) => {
    const target = event.target;
    if (!(target instanceof Element) || target.closest(TRANSIENT)) return;
    if (!target.closest(FOCUSABLE)) remembered = null;
  };
  const rescue = () => {
    const active = document.activeElement;
    if (active && active !== document.body) return;
    if (!remembered || remembered.path !== window.location.pathname) return;
    // A transient layer still open (a modal on its way out) hands focus back itself.
    if (document.querySelector('.cds--modal.is-visible')) return;
    if (remembered.element.isConnected) {
      // Only a closed dialog or menu hands focus back; anything else (a click elsewhere, a
      // link followed) is left alone. Disabled while its action runs: wait for it.
      if (inTransient && canFocus(remembered.element)) remembered.element.focus();
      return;
    }
    // Gone: with its table row, or with what a dialog or menu did; other changes are the
    // page's own business (navigation moves focus as the page decides).
    if (remembered.rowIndex < 0 && !inTransient) return;
    const next = replacementFor(remembered);
    if (!next) return;
    next.focus();
    if (!next.closest(TRANSIENT)) remembered = remember(next);
  };

  const observer = new MutationObserver(rescue);
  observer.observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['disabled', 'class'],
  });
  document.addEventListener('focusin', onFocusIn);
  document.addEventListener('pointerdown', onPointerDown, true);
  return () => {
    observer.disconnect();
    document.removeEventListener('focusin', onFocusIn);
    document.removeEventListener('pointerdown', onPointerDown, true);
  };
}
