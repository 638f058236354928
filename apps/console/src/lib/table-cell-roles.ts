/**
 * What each column of a table is, read from its header row, so that one stylesheet can lay any
 * table out as stacked cards on a narrow screen: the row's checkbox or expand button and its
 * name on the first line with its actions, and every other value under its column's name.
 */
export type CellRole = 'select' | 'expand' | 'identity' | 'field' | 'actions';

export interface HeaderCell {
  /** The header's visible text. */
  text: string;
  isCheckbox: boolean;
  isExpand: boolean;
  /** The row-actions column's head (ActionsHeader); a header with no text counts as one too. */
  isActions?: boolean;
  /** colSpan */
  span: number;
}

export interface ColumnRole {
  role: CellRole;
  /** The header's text, repeated beside a field's value when the row is a card. */
  label: string;
}

/**
 * One entry per column (a header spanning two columns gives two). The first column with a
 * header that is not a checkbox or expand button names the row; the row-actions column is the
 * one headed by ActionsHeader (or, in a table that has none, by no text).
 */
export function columnRoles(headers: readonly HeaderCell[]): ColumnRole[] {
  const roles: ColumnRole[] = [];
  let named = false;
  for (const header of headers) {
    const text = header.text.trim();
    let role: CellRole;
    if (header.isCheckbox) role = 'select';
    else if (header.isExpand) role = 'expand';
    else if (header.isActions || text === '') role = 'actions';
    else if (!named) {
      role = 'identity';
      named = true;
    } else role = 'field';
    for (let i = 0; i < Math.max(1, header.span); i += 1) roles.push({ role, label: text });
  }
  return roles;
}
