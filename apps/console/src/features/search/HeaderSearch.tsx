import {
  HeaderGlobalAction,
  InlineLoading,
  InlineNotification,
  Search,
  Theme,
} from '@carbon/react';
import { Close, Search as SearchIcon } from '@carbon/icons-react';
import { SEARCH_QUERY_MAX_LENGTH } from '@berth/contract';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { useRegistrySearch } from '../../api/search';
import { useDebouncedValue } from '../../lib/use-debounced-value';
import { useMediaQuery } from '../../lib/use-media-query';
import { type SearchGroup, type SearchOption, searchGroups } from './search-options';

const INPUT_ID = 'header-search-input';
const LISTBOX_ID = 'header-search-results';
const optionId = (index: number) => `header-search-option-${index}`;

/** Where "/" must type a slash rather than jump to the search box. */
function takesText(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
}

/**
 * One search box in the header for namespaces, repositories, tags and digests (by prefix).
 * A combobox: "/" focuses it from anywhere but a text field, arrows move through the
 * results, Enter opens the highlighted one (the first when none is), Escape closes them.
 * Below Carbon's `md` breakpoint it is an icon that opens a full-width panel.
 */
export function HeaderSearch() {
  const wide = useMediaQuery('(min-width: 42rem)');
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  // The narrow layout's panel; the wide layout's box is always there.
  const [panelOpen, setPanelOpen] = useState(false);
  const [activeKey, setActiveKey] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);

  const q = useDebouncedValue(text.trim(), 250);
  const search = useRegistrySearch(q);
  const groups = search.data ? searchGroups(search.data) : [];
  const options = groups.flatMap((g) => g.options);
  const activeIndex = options.findIndex((o) => o.key === activeKey);
  const showResults = open && text.trim() !== '';
  // Results of the text as typed now, not the previous text's kept while these load.
  const settled = q === text.trim() && search.isSuccess && !search.isPlaceholderData;
  const boxShown = wide || panelOpen;

  useEffect(() => {
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      if (takesText(event.target)) return;
      // A dialog keeps the keyboard to itself.
      if (document.querySelector('.cds--modal.is-visible')) return;
      event.preventDefault();
      setPanelOpen(true);
      setOpen(true);
      inputRef.current?.focus();
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  // The narrow panel's box appears on opening: focus it then.
  useEffect(() => {
    if (panelOpen && !wide) inputRef.current?.focus();
  }, [panelOpen, wide]);

  useEffect(() => {
    if (activeIndex >= 0) {
      document.getElementById(optionId(activeIndex))?.scrollIntoView({ block: 'nearest' });
    }
  }, [activeIndex]);

  const close = (returnFocus: boolean) => {
    setOpen(false);
    setActiveKey(null);
    if (!wide) {
      // The panel starts empty next time, as it opens over whatever page is shown then.
      setText('');
      setPanelOpen(false);
      if (returnFocus) toggleRef.current?.focus();
    }
  };

  const pick = (option: SearchOption) => {
    setText('');
    close(false);
    inputRef.current?.blur();
    navigate(option.href);
  };

  const move = (step: 1 | -1) => {
    if (options.length === 0) return;
    const from = activeIndex < 0 ? (step === 1 ? -1 : 0) : activeIndex;
    const next = (from + step + options.length) % options.length;
    setActiveKey(options[next]?.key ?? null);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      setOpen(true);
      move(event.key === 'ArrowDown' ? 1 : -1);
    } else if (event.key === 'Enter') {
      const option = options[activeIndex] ?? options[0];
      if (showResults && settled && option) {
        event.preventDefault();
        pick(option);
      }
    } else if (event.key === 'Escape') {
      // First Escape closes the results (Carbon's own would clear the text); the next one
      // clears it, or closes the narrow panel when it is empty.
      if (showResults || (!wide && text === '')) {
        event.preventDefault();
        close(true);
      }
    }
  };

  return (
    <div
      ref={rootRef}
      className={`berth-header-search${wide ? '' : ' berth-header-search--narrow'}`}
      onBlur={(event) => {
        if (!rootRef.current?.contains(event.relatedTarget as Node | null)) close(false);
      }}
    >
      {wide ? null : (
        <HeaderGlobalAction
          ref={toggleRef}
          aria-label={panelOpen ? 'Close search' : 'Search'}
          aria-expanded={panelOpen}
          aria-controls="header-search-panel"
          isActive={panelOpen}
          onClick={() => (panelOpen ? close(false) : setPanelOpen(true))}
        >
          {panelOpen ? <Close size={20} /> : <SearchIcon size={20} />}
        </HeaderGlobalAction>
      )}
      {boxShown ? (
        <div id="header-search-panel" className="berth-header-search__box">
          <Search
            ref={inputRef}
            id={INPUT_ID}
            size={wide ? 'md' : 'lg'}
            labelText="Search the registry"
            placeholder="Search namespaces, repositories, tags, digests"
            closeButtonLabelText="Clear search text"
            value={text}
            role="combobox"
            aria-expanded={showResults}
            aria-controls={LISTBOX_ID}
            aria-autocomplete="list"
            aria-activedescendant={
              showResults && activeIndex >= 0 ? optionId(activeIndex) : undefined
            }
            onChange={(event) => {
              // The server takes at most this much; no name is longer.
              setText(
                typeof event === 'string'
                  ? ''
                  : event.target.value.slice(0, SEARCH_QUERY_MAX_LENGTH),
              );
              setOpen(true);
              setActiveKey(null);
            }}
            onFocus={() => setOpen(true)}
            onKeyDown={onKeyDown}
          />
          {showResults ? (
            <Theme theme="white" className="berth-header-search__panel">
              <SearchPanel
                q={q}
                typed={text.trim()}
                groups={groups}
                isPending={search.isPending || search.isPlaceholderData}
                error={search.error}
                activeIndex={activeIndex}
                onPick={pick}
                onHover={(option) => setActiveKey(option.key)}
              />
            </Theme>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

interface SearchPanelProps {
  q: string;
  typed: string;
  groups: SearchGroup[];
  isPending: boolean;
  error: Error | null;
  activeIndex: number;
  onPick: (option: SearchOption) => void;
  onHover: (option: SearchOption) => void;
}

function SearchPanel({
  q,
  typed,
  groups,
  isPending,
  error,
  activeIndex,
  onPick,
  onHover,
}: SearchPanelProps) {
  const waiting = typed !== q || isPending;
  const count = groups.reduce((n, g) => n + g.options.length, 0);
  let index = -1;
  return (
    <>
      <div className="cds--visually-hidden" aria-live="polite">
        {waiting ? '' : count === 0 ? 'No results' : `${count} results`}
      </div>
      {error ? (
        <InlineNotification
          kind="error"
          lowContrast
          hideCloseButton
          title="Search failed"
          subtitle={error.message}
        />
      ) : null}
      {waiting && count === 0 && !error ? (
        <InlineLoading className="berth-header-search__status" description="Searching…" />
      ) : null}
      {!waiting && count === 0 && !error ? (
        <div className="berth-header-search__status">
          <p>No namespace, repository, tag or digest starts with “{q}”.</p>
          <p className="berth-header-search__hint">
            Try the start of a name, <code>namespace/repository:tag</code>, or four or more hex
            digits of a digest.
          </p>
        </div>
      ) : null}
      {/* Always in the page while open: the box's aria-controls points at it. */}
      <div id={LISTBOX_ID} role="listbox" aria-label="Search results" hidden={count === 0}>
        {groups.map((group) => (
          <div
            key={group.key}
            role="group"
            aria-label={
              group.more
                ? `${group.title}, the first ${group.options.length}; more start with “${q}”`
                : group.title
            }
            className="berth-header-search__group"
          >
            <div className="berth-header-search__group-title" aria-hidden="true">
              {group.title}
            </div>
            {group.options.map((option) => {
              index += 1;
              const active = index === activeIndex;
              return (
                <div
                  key={option.key}
                  id={optionId(index)}
                  role="option"
                  aria-selected={active}
                  className={`berth-header-search__option${active ? ' berth-header-search__option--active' : ''}`}
                  // Keeps the focus in the box, so picking does not blur and close first.
                  onMouseDown={(event) => event.preventDefault()}
                  onClick={() => onPick(option)}
                  onMouseMove={() => {
                    if (!active) onHover(option);
                  }}
                >
                  <span className="berth-header-search__label">{option.label}</span>
                  {option.detail ? (
                    <span className="berth-header-search__detail">{option.detail}</span>
                  ) : null}
                </div>
              );
            })}
            {group.more ? (
              <div className="berth-header-search__more" aria-hidden="true">
                More {group.title.toLowerCase()} start with “{q}”: type more to narrow.
              </div>
            ) : null}
          </div>
        ))}
      </div>
    </>
  );
}
