import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Region } from '@berth/contract';
import type { ApiError } from '../api/client';
import { useRegions } from '../api/regions';

const STORAGE_KEY = 'berth.region';

interface RegionState {
  /** Undefined until the region list has loaded. */
  region: string | undefined;
  regions: Region[];
  setRegion: (region: string) => void;
  error: ApiError | null;
}

const RegionContext = createContext<RegionState | null>(null);

function readStored(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function RegionProvider({ children }: { children: ReactNode }) {
  const regionsQuery = useRegions();
  const [chosen, setChosen] = useState<string | null>(readStored);

  const regions = useMemo(() => regionsQuery.data?.items ?? [], [regionsQuery.data]);
  // A remembered region that no longer exists falls back to the server's default.
  const region = regionsQuery.data
    ? chosen && regions.some((r) => r.name === chosen)
      ? chosen
      : regionsQuery.data.defaultRegion
    : undefined;

  const setRegion = useCallback((next: string) => {
    setChosen(next);
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private browsing: the choice lasts for this tab only.
    }
  }, []);

  const value = useMemo(
    () => ({ region, regions, setRegion, error: regionsQuery.error }),
    [region, regions, setRegion, regionsQuery.error],
  );
  return <RegionContext.Provider value={value}>{children}</RegionContext.Provider>;
}

export function useRegion(): RegionState {
  const state = useContext(RegionContext);
  if (!state) throw new Error('useRegion must be used inside <RegionProvider>');
  return state;
}
