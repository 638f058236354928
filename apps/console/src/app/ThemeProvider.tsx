import { Theme } from '@carbon/react';
import {
  createContext,
  useCallback,
  useContext,
  useLayoutEffect,
  useMemo,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { useMediaQuery } from '../lib/use-media-query';

const STORAGE_KEY = 'berth.theme';

export const THEME_CHOICES = ['system', 'light', 'dark'] as const;
export type ThemeChoice = (typeof THEME_CHOICES)[number];
/** Carbon's white for light, g100 for dark: the header is g100 in both. */
type CarbonTheme = 'white' | 'g100';

interface ThemeState {
  choice: ThemeChoice;
  theme: CarbonTheme;
  setChoice: (choice: ThemeChoice) => void;
}

const ThemeContext = createContext<ThemeState | null>(null);

function readChoice(): ThemeChoice {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return THEME_CHOICES.find((c) => c === stored) ?? 'system';
  } catch {
    return 'system';
  }
}

/** This tab's own changes; other tabs' arrive as `storage` events. */
const listeners = new Set<() => void>();

function subscribe(onChange: () => void) {
  listeners.add(onChange);
  window.addEventListener('storage', onChange);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener('storage', onChange);
  };
}

/**
 * The console's colour theme: the system's (prefers-color-scheme) unless the person chose
 * light or dark in the user menu, remembered in this browser. The Carbon theme class goes on
 * <html> too, not only on the wrapper: the page background and what Carbon portals to <body>
 * (menus, tooltips) follow it, and `color-scheme` gives scrollbars and form controls the
 * matching colours.
 */
export function ThemeProvider({ children }: { children: ReactNode }) {
  const choice = useSyncExternalStore(subscribe, readChoice);
  const systemDark = useMediaQuery('(prefers-color-scheme: dark)');
  const theme: CarbonTheme =
    choice === 'dark' || (choice === 'system' && systemDark) ? 'g100' : 'white';

  useLayoutEffect(() => {
    const root = document.documentElement;
    root.classList.remove('cds--white', 'cds--g100');
    root.classList.add(`cds--${theme}`);
    root.style.colorScheme = theme === 'g100' ? 'dark' : 'light';
  }, [theme]);

  const setChoice = useCallback((next: ThemeChoice) => {
    try {
      if (next === 'system') window.localStorage.removeItem(STORAGE_KEY);
      else window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private browsing: nothing is remembered, and the choice cannot last either.
    }
    for (const listener of listeners) listener();
  }, []);

  const value = useMemo(() => ({ choice, theme, setChoice }), [choice, theme, setChoice]);
  return (
    <ThemeContext.Provider value={value}>
      <Theme theme={theme}>{children}</Theme>
    </ThemeContext.Provider>
  );
}

export function useThemeChoice(): ThemeState {
  const state = useContext(ThemeContext);
  if (!state) throw new Error('useThemeChoice must be used inside <ThemeProvider>');
  return state;
}
