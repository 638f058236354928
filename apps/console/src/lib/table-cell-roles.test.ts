import { describe, expect, it } from 'vitest';
import { columnRoles, type HeaderCell } from './table-cell-roles';

const header = (text: string, extra: Partial<HeaderCell> = {}): HeaderCell => ({
  text,
  isCheckbox: false,
  isExpand: false,
  span: 1,
  ...extra,
});

describe('columnRoles', () => {
  it('names the row by the first labelled column, after its checkbox, and finds its actions', () => {
    expect(
      columnRoles([header('', { isCheckbox: true }), header('Tags'), header('Digest'), header('')]),
    ).toEqual([
      { role: 'select', label: '' },
      { role: 'identity', label: 'Tags' },
      { role: 'field', label: 'Digest' },
      { role: 'actions', label: '' },
    ]);
  });

  it('finds the actions column by its ActionsHeader, whose head says "Actions"', () => {
    expect(
      columnRoles([header('Name'), header('Size'), header('Actions', { isActions: true })]),
    ).toEqual([
      { role: 'identity', label: 'Name' },
      { role: 'field', label: 'Size' },
      { role: 'actions', label: 'Actions' },
    ]);
  });

  it('keeps an expand button apart from the name', () => {
    expect(
      columnRoles([header('', { isExpand: true }), header(' Time '), header('Actor')]),
    ).toEqual([
      { role: 'expand', label: '' },
      { role: 'identity', label: 'Time' },
      { role: 'field', label: 'Actor' },
    ]);
  });

  it('gives a header spanning columns one entry per column', () => {
    expect(columnRoles([header('Name'), header('Size', { span: 2 })])).toEqual([
      { role: 'identity', label: 'Name' },
      { role: 'field', label: 'Size' },
      { role: 'field', label: 'Size' },
    ]);
  });
});
