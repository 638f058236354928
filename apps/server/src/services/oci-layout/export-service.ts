import type { Writable } from 'node:stream';
import type { RepositoryExportPreview } from '@berth/contract';
import type { ServiceDeps } from '../deps.js';
import type { RegistryService } from '../registry/registry-service.js';
import { parseRepositoryName } from '../registry/repository-name.js';
import { CorruptContentError, planExport, writeExport, type ExportPlan } from './oci-export.js';

/** Repository downloads for the API: a preview, then the tar streamed into the response. */
export function createOciExportService(deps: ServiceDeps, registry: RegistryService) {
  const { store, logger } = deps;

  async function plan(namespace: string, repository: string): Promise<ExportPlan> {
    const name = parseRepositoryName(`${namespace}/${repository}`);
    return planExport(
      { store, registry },
      { namespace: name.namespace, repository: name.repository, reference: null },
    );
  }

  return {
    plan,

    async preview(namespace: string, repository: string): Promise<RepositoryExportPreview> {
      const p = await plan(namespace, repository);
      return {
        namespace,
        repository,
        images: p.images,
        tags: p.tags,
        contentBytes: p.contentBytes,
        archiveBytes: p.tarBytes,
      };
    },

    /**
     * Streams the plan into `out`. Headers are gone by the time a corrupt blob shows, so the
     * caller must cut the connection on failure: the client then sees fewer bytes than the
     * Content-Length promised, and no tool takes the archive for whole.
     */
    async write(p: ExportPlan, out: Writable): Promise<void> {
      try {
        await writeExport({ registry }, p, out);
      } catch (error) {
        if (error instanceof CorruptContentError) {
          logger.error({ err: error, namespace: p.namespace }, 'export stopped: corrupt content');
        } else {
          logger.debug({ err: error, namespace: p.namespace }, 'export stopped');
        }
        throw error;
      }
    },
  };
}

export type OciExportService = ReturnType<typeof createOciExportService>;
