import { Button, PasswordInput, TextInput } from '@carbon/react';
import { Add, TrashCan } from '@carbon/icons-react';
import type { NameCheck } from '@berth/domain';
import { useRef } from 'react';

export interface Entry {
  /** Stable identity for React and for field ids; never sent. */
  id: number;
  key: string;
  value: string;
}

let nextEntryId = 1;
export function newEntry(key = '', value = ''): Entry {
  return { id: nextEntryId++, key, value };
}

/** A map of at most this many entries, as the API takes (env, secret data, config-map data). */
export const MAX_ENTRIES = 100;

export interface EntryErrors {
  key?: string;
  value?: string;
}

/**
 * Per-row problems: an invalid or repeated key, a missing value where one is required.
 * Empty rows (no key, no value) are ignored: they are what "Add" leaves behind.
 */
export function entryErrors(
  entries: readonly Entry[],
  checkKey: (key: string) => NameCheck,
  requireValue: boolean,
): Map<number, EntryErrors> {
  const errors = new Map<number, EntryErrors>();
  const seen = new Set<string>();
  for (const entry of entries) {
    if (entry.key === '' && entry.value === '') continue;
    const found: EntryErrors = {};
    const check = checkKey(entry.key);
    if (entry.key === '') found.key = 'Enter a key';
    else if (!check.ok) found.key = `Key ${check.reason}`;
    else if (seen.has(entry.key)) found.key = `${entry.key} is listed twice`;
    seen.add(entry.key);
    if (requireValue && entry.value === '') found.value = 'Enter a value';
    if (found.key || found.value) errors.set(entry.id, found);
  }
  return errors;
}

export function entriesToMap(entries: readonly Entry[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries)
    if (entry.key !== '' || entry.value !== '') map[entry.key] = entry.value;
  return map;
}

export function filledEntries(entries: readonly Entry[]): number {
  return entries.filter((entry) => entry.key !== '' || entry.value !== '').length;
}

interface KeyValueEditorProps {
  /** Prefix for field ids, unique in the form. */
  id: string;
  legend: string;
  helperText?: string;
  keyLabel: string;
  valueLabel: string;
  addLabel: string;
  entries: Entry[];
  onChange: (entries: Entry[]) => void;
  /** Secret values: typed into password inputs, never shown back. */
  secret?: boolean;
  /** Shown only once the person has tried to submit. */
  errors: Map<number, EntryErrors>;
  showErrors: boolean;
  /** A problem with the whole map, e.g. "Add at least one key". */
  error?: string;
  /** Where the modal puts focus when it opens: the first row's key or value. */
  initialFocus?: 'key' | 'value';
}

export function KeyValueEditor({
  id,
  legend,
  helperText,
  keyLabel,
  valueLabel,
  addLabel,
  entries,
  onChange,
  secret = false,
  errors,
  showErrors,
  error,
  initialFocus,
}: KeyValueEditorProps) {
  const update = (entryId: number, patch: Partial<Entry>) =>
    onChange(entries.map((entry) => (entry.id === entryId ? { ...entry, ...patch } : entry)));
  const addButton = useRef<HTMLButtonElement>(null);
  // Keyboard focus follows the change: into a new row, or to "Add" when its row goes away.
  const add = () => {
    const entry = newEntry();
    onChange([...entries, entry]);
    requestAnimationFrame(() => document.getElementById(`${id}-key-${entry.id}`)?.focus());
  };
  const remove = (entryId: number) => {
    onChange(entries.filter((entry) => entry.id !== entryId));
    requestAnimationFrame(() => addButton.current?.focus());
  };
  const ValueInput = secret ? PasswordInput : TextInput;

  return (
    <fieldset className="berth-kv">
      <legend className="cds--label">{legend}</legend>
      {helperText ? <p className="berth-kv__help">{helperText}</p> : null}
      {entries.map((entry, index) => {
        const rowErrors = showErrors ? errors.get(entry.id) : undefined;
        const position = `${index + 1}`;
        return (
          <div className="berth-kv__row" key={entry.id}>
            <TextInput
              id={`${id}-key-${entry.id}`}
              data-modal-primary-focus={index === 0 && initialFocus === 'key' ? true : undefined}
              labelText={`${keyLabel} ${position}`}
              hideLabel={index > 0}
              size="md"
              autoComplete="off"
              spellCheck={false}
              value={entry.key}
              invalid={!!rowErrors?.key}
              invalidText={rowErrors?.key}
              onChange={(event) => update(entry.id, { key: event.target.value })}
            />
            <ValueInput
              id={`${id}-value-${entry.id}`}
              data-modal-primary-focus={index === 0 && initialFocus === 'value' ? true : undefined}
              labelText={`${valueLabel} ${position}`}
              hideLabel={index > 0}
              size="md"
              autoComplete={secret ? 'new-password' : 'off'}
              spellCheck={false}
              value={entry.value}
              invalid={!!rowErrors?.value}
              invalidText={rowErrors?.value}
              onChange={(event) => update(entry.id, { value: event.target.value })}
            />
            <Button
              kind="ghost"
              size="md"
              hasIconOnly
              renderIcon={TrashCan}
              iconDescription={`Remove ${keyLabel.toLowerCase()} ${position}${entry.key ? ` (${entry.key})` : ''}`}
              tooltipPosition="left"
              className={
                index === 0 ? 'berth-kv__remove berth-kv__remove--first' : 'berth-kv__remove'
              }
              onClick={() => remove(entry.id)}
            />
          </div>
        );
      })}
      {error ? (
        <p className="berth-kv__error" role="alert">
          {error}
        </p>
      ) : null}
      <div>
        <Button
          kind="ghost"
          size="sm"
          renderIcon={Add}
          ref={addButton}
          disabled={entries.length >= MAX_ENTRIES}
          onClick={add}
        >
          {addLabel}
        </Button>
      </div>
    </fieldset>
  );
}
