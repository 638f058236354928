import type { ServiceDeps } from '../deps.js';
import { singleFlight } from '../single-flight.js';

/** Who the audit log names for purges: no person asked for them. */
export const PROJECT_SWEEPER_ACTOR = 'system:project-sweeper';

/**
 * Deletes soft-deleted projects whose restore window has ended. Every server process ticks;
 * the store's conditional delete makes each purge (and its audit entry) happen once however
 * many processes share the database.
 */
export function createProjectSweeper({ store, clock, logger }: ServiceDeps) {
  async function sweep(): Promise<number> {
    const purged = await store.projects.purgeExpired(clock(), PROJECT_SWEEPER_ACTOR);
    for (const p of purged) {
      logger.info(
        { projectId: p.id, project: p.name, region: p.region },
        'project purged: its restore window ended',
      );
    }
    return purged.length;
  }

  const flight = singleFlight(sweep);
  return {
    /** One sweep at a time per process; a caller during a sweep shares it. */
    tick: flight.run,
    settled: flight.settled,
  };
}
