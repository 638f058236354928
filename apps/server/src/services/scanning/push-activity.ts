/**
 * Pushes this process is receiving right now (blob uploads and manifest PUTs), so background
 * scans can stand aside while any is in flight: a push is a client waiting, a scan is not.
 */
export function createPushActivity() {
  let active = 0;
  let waiters: (() => void)[] = [];
  return {
    /** Counts a push until the returned function is called (once; later calls do nothing). */
    begin(): () => void {
      active++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        active--;
        if (active === 0) {
          const ready = waiters;
          waiters = [];
          for (const resolve of ready) resolve();
        }
      };
    },
    active: () => active,
    /** Resolves at once when no push is in flight, else when the last one ends. */
    whenIdle(): Promise<void> {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

export type PushActivity = ReturnType<typeof createPushActivity>;
