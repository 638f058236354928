import { OverflowMenu, OverflowMenuItem } from '@carbon/react';

interface RowActionsMenuProps {
  /** The row's name, which the menu button is labelled after. */
  name: string;
  /** "Open", "Edit", "Replace values", or "View" where nothing may change. */
  actionText: string;
  onAction: () => void;
  /** Absent where nothing may be deleted, as in a deleted project. */
  onDelete?: () => void;
}

/** A row's menu in the projects screens: one action, then Delete set apart below a divider. */
export function RowActionsMenu({ name, actionText, onAction, onDelete }: RowActionsMenuProps) {
  return (
    <OverflowMenu
      size="sm"
      flipped
      aria-label={`Actions for ${name}`}
      iconDescription={`Actions for ${name}`}
    >
      <OverflowMenuItem itemText={actionText} onClick={onAction} />
      {onDelete ? (
        <OverflowMenuItem itemText="Delete" isDelete hasDivider onClick={onDelete} />
      ) : null}
    </OverflowMenu>
  );
}
