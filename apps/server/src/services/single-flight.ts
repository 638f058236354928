/**
 * Runs a piece of periodic work at most once at a time in this process: a caller during a
 * run shares it, and shutdown can wait for the run in progress without starting another.
 */
export function singleFlight<T>(work: () => Promise<T>) {
  let running: Promise<T> | null = null;
  return {
    run(): Promise<T> {
      running ??= work().finally(() => {
        running = null;
      });
      return running;
    },
    /** Resolves once a run in progress is over; starts none. */
    async settled(): Promise<void> {
      await running?.catch(() => undefined);
    },
  };
}
