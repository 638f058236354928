/** How long toasts stay and how many show at once: the rules, apart from the rendering. */

/** Confirmations are read at a glance. */
export const CONFIRMATION_MS = 8_000;
/**
 * Long enough to notice a mistake and reach the button (WCAG gives no number; Gmail and
 * Headlamp use 5–10 s), short enough not to pile up. The trash and Deleted projects keep
 * offering the restore after it is gone.
 */
export const UNDO_MS = 15_000;
/** More than this and the oldest are folded into one "Show N older" line. */
export const MAX_SHOWN = 3;
/** On a phone each toast takes a third of the screen: one at a time. */
export const MAX_SHOWN_NARROW = 1;

interface ToastLike {
  kind: 'success' | 'error' | 'info' | 'warning';
  action?: unknown;
}

/** Milliseconds a toast stays, or null: errors and warnings stay until closed, to be read. */
export function toastLifetime(toast: ToastLike): number | null {
  if (toast.action) return UNDO_MS;
  if (toast.kind === 'error' || toast.kind === 'warning') return null;
  return CONFIRMATION_MS;
}

/** Toasts are kept newest first; the newest few show, the rest only when asked for. */
export function visibleToasts<T>(
  newestFirst: T[],
  expanded: boolean,
  max = MAX_SHOWN,
): { shown: T[]; hidden: number } {
  if (expanded || newestFirst.length <= max) return { shown: newestFirst, hidden: 0 };
  return { shown: newestFirst.slice(0, max), hidden: newestFirst.length - max };
}

/** Something a "moved to the trash … Undo" toast can bring back: an image, or a whole repository. */
export interface Trashed {
  namespace: string;
  repository: string;
  /** Absent: everything of the repository. */
  digest?: string;
}

const TRASHED = 'trashed\n';

/** The key of a toast whose Undo restores `items`, read back by `trashedToastCovers`. */
export function trashedToastKey(items: Trashed[]): string {
  return TRASHED + items.map((i) => `${i.namespace}/${i.repository}@${i.digest ?? '*'}`).join('\n');
}

/**
 * Whether restoring `restored` (from the trash, another tab or another toast) took away
 * something the toast with `key` would restore: then its Undo, all or none, could only fail.
 * Restoring a whole repository covers its images; restoring one image leaves a repository's
 * Undo its other images.
 */
export function trashedToastCovers(key: string, restored: Trashed): boolean {
  if (!key.startsWith(TRASHED)) return false;
  const repository = `${restored.namespace}/${restored.repository}@`;
  return key
    .slice(TRASHED.length)
    .split('\n')
    .some(
      (line) =>
        line.startsWith(repository) &&
        (restored.digest === undefined || line.slice(repository.length) === restored.digest),
    );
}
