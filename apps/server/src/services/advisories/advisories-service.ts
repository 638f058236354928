import type { AdvisoryDataStatus } from '@berth/contract';
import type { ServiceDeps } from '../deps.js';
import { iso, isoOrNull } from '../iso.js';

/** The advisory data as the console shows it; imports are the CLI's (cli/advisories.ts). */
export function createAdvisoriesService({ store }: ServiceDeps) {
  return {
    async status(): Promise<AdvisoryDataStatus> {
      const status = await store.advisories.status();
      return {
        ...status,
        lastImport: status.lastImport
          ? { ...status.lastImport, finishedAt: iso(status.lastImport.finishedAt) }
          : null,
        newestModified: isoOrNull(status.newestModified),
      };
    },
  };
}
