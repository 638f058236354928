import type { Operation, OperationKind } from '@berth/contract';
import { messageForPeople } from '../../api/error-words';
import { pluralize } from '../../lib/format';

// The operation's target is already in words ("demo-shop/payments", "retention run 12").
const RUNNING: Record<OperationKind, string> = {
  'repository.delete': 'Deleting',
  'image.delete': 'Deleting',
  'namespace.delete': 'Deleting',
  'retention.confirm': 'Applying',
  'retention.run.restore': 'Restoring',
  'trash.restore': 'Restoring',
};
const ENDED: Record<OperationKind, string> = {
  'repository.delete': 'Deleted',
  'image.delete': 'Deleted',
  'namespace.delete': 'Deleted',
  'retention.confirm': 'Applied',
  'retention.run.restore': 'Restored',
  'trash.restore': 'Restored',
};

/** A namespace's bare name says less than "namespace ml-lab". */
function targetWords(op: Pick<Operation, 'kind' | 'target'>): string {
  return op.kind === 'namespace.delete' && !op.target.startsWith('namespace ')
    ? `namespace ${op.target}`
    : op.target;
}

/** "Deleting demo-shop/payments" */
export function operationTitle(op: Pick<Operation, 'kind' | 'target'>): string {
  return `${RUNNING[op.kind]} ${targetWords(op)}`;
}

/** "45,000 of 100,000 images"; before the set is counted there is nothing to count against. */
export function operationCount(op: Pick<Operation, 'done' | 'total' | 'rolledBack'>): string {
  if (op.rolledBack) return `failed, undoing: ${pluralize(op.rolledBack.images, 'image')} put back`;
  if (op.total <= 0) return 'counting images…';
  return `${op.done.toLocaleString()} of ${pluralize(op.total, 'image')}`;
}

/** "Deleting demo-shop/payments — 45,000 of 100,000 images": what the progress bar says. */
export function progressLabel(
  op: Pick<Operation, 'kind' | 'target' | 'done' | 'total' | 'rolledBack'>,
): string {
  return `${operationTitle(op)} — ${operationCount(op)}`;
}

/** Whole percent done, never 100 before it has ended (the last chunk may still fail). */
export function percentDone(op: Pick<Operation, 'done' | 'total' | 'state'>): number {
  if (op.state === 'succeeded') return 100;
  if (op.total <= 0) return 0;
  return Math.min(99, Math.floor((op.done / op.total) * 100));
}

/** The toast title once it has ended: "Deleted demo-shop/payments", "Deleting … failed". */
export function outcomeTitle(op: Pick<Operation, 'kind' | 'target' | 'state'>): string {
  return op.state === 'failed' ? `${operationTitle(op)} failed` : `${ENDED[op.kind]} ${op.target}`;
}

/** What the images it had handled before it stopped became: chunks that committed stay. */
function leftText(kind: OperationKind, done: number): string {
  const images = pluralize(done, 'image');
  switch (kind) {
    case 'repository.delete':
    case 'image.delete':
      return `What it had moved (${images}) is in the trash: restore it from there.`;
    case 'retention.confirm':
      return `What it had moved (${images}) is in the trash: restore it from there, or restore the run.`;
    case 'namespace.delete':
      return 'The namespace stays hidden; start the delete again to finish it.';
    case 'retention.run.restore':
    case 'trash.restore':
      return `What it had restored (${images}) stays restored.`;
  }
}

/** What a succeeded operation did, for a page that has no words of its own for it. */
export function outcomeText(op: Pick<Operation, 'kind' | 'total'>): string {
  const images = pluralize(op.total, 'image');
  switch (op.kind) {
    case 'repository.delete':
    case 'image.delete':
    case 'retention.confirm':
      return `Moved ${images} to the trash, restorable for 30 days.`;
    case 'namespace.delete':
      return `Removed ${images} with the namespace's trash and trust information.`;
    case 'retention.run.restore':
    case 'trash.restore':
      return `Restored ${images} from the trash.`;
  }
}

/** Why it failed, in words, and what became of the work it had done. */
export function failureText(op: Pick<Operation, 'error' | 'kind' | 'done' | 'rolledBack'>): string {
  const why = op.error
    ? messageForPeople(op.error.code, op.error.message)
    : 'The server gave no reason.';
  const left = op.rolledBack
    ? `It was undone: what it had moved (${pluralize(op.rolledBack.images, 'image')}) is back where it was.`
    : op.done > 0
      ? leftText(op.kind, op.done)
      : 'Nothing was changed.';
  return `${why.replace(/\.?$/, '.')} ${left}`;
}

/** Why a running operation may be paused, in words a person can act on. */
const PAUSED: Record<string, string> = {
  STORAGE_FULL:
    'The disk where Berth keeps its data is full. Ask your Berth administrator to free ' +
    'space or give the server more disk; it then goes on by itself, from where it stopped.',
};

/**
 * Why a running operation is paused, in words (null when it is not): it goes on by itself.
 * Shown under the title "Paused", so the words do not say it again.
 */
export function waitingText(op: Pick<Operation, 'waiting'>): string | null {
  if (!op.waiting) return null;
  const known = PAUSED[op.waiting.code];
  if (known) return known;
  const why = op.waiting.message.replace(/\.?$/, '.');
  return `${why.charAt(0).toUpperCase()}${why.slice(1)} It goes on by itself, from where it stopped.`;
}
