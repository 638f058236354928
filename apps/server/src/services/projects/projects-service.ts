import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { formatImagePointer } from '@berth/domain';
import type {
  CreateProjectBody,
  ProjectDeleted,
  ProjectDeletionPreview,
  ProjectList,
  projectDeleteQuery,
  projectListQuery,
} from '@berth/contract';
import type { ServiceDeps } from '../deps.js';
import { type ProjectView, projectView } from './project-views.js';
import { requireProjectId, requireResourceName } from './project-inputs.js';
import { createWorkloadsService } from './workloads-service.js';
import { createSecretsService } from './secrets-service.js';
import { createConfigMapsService } from './config-maps-service.js';

/** 64 random bits as hex: short enough for URLs, bound into every data key's context. */
const newProjectId = () => randomBytes(8).toString('hex');

export function createProjectsService(deps: ServiceDeps) {
  const { store, clock, logger, keyring, projects: settings } = deps;
  const workloads = createWorkloadsService(deps);
  const secrets = createSecretsService(deps);
  const { values: secretValues, ...secretRoutes } = secrets;

  return {
    async list(
      query: z.output<typeof projectListQuery>,
    ): Promise<Omit<ProjectList, 'items'> & { items: ProjectView[] }> {
      const items = await store.projects.list(query.region, query.status);
      const quota = await store.projects.quota(query.region);
      return {
        items: items.map(projectView),
        quota: { region: query.region, limit: settings.limit, ...quota },
      };
    },

    async create(body: CreateProjectBody, actor: string): Promise<ProjectView> {
      const name = requireResourceName('project', body.name);
      const id = newProjectId();
      const { keyId, wrapped, dataKey } = keyring.newDataKey(id);
      // The project is born with its data key; secrets unwrap it again when they need it.
      dataKey.fill(0);
      const created = await store.projects.create(
        { id, name, region: body.region, keyId, wrapped },
        settings.limit,
        { actor, now: clock() },
      );
      logger.info({ projectId: id, project: name, region: body.region }, 'project created');
      return projectView(created);
    },

    async get(id: string): Promise<ProjectView> {
      return projectView(await store.projects.get(requireProjectId(id)));
    },

    /** Images count only when they lead into this registry and exist here (live or in trash). */
    async deletionPreview(id: string): Promise<ProjectDeletionPreview> {
      const preview = await store.projects.deletionPreview(requireProjectId(id));
      const states = await store.projects.pointerStates(preview.pointers, settings.registryHosts);
      const images = preview.pointers
        .filter((_, i) => ['present', 'trashed'].includes(states[i]?.state ?? 'missing'))
        .map(formatImagePointer);
      return {
        project: projectView(preview.project),
        apps: preview.apps,
        jobs: preview.jobs.map((j) => ({
          name: j.name,
          kind: j.kind === 'template' ? 'template' : 'job',
        })),
        secrets: preview.secrets,
        configMaps: preview.configMaps,
        images: [...new Set(images)].sort(),
      };
    },

    /** Soft delete unless hard=true or force=true; a given `confirm` must be the name. */
    async delete(
      id: string,
      query: z.output<typeof projectDeleteQuery>,
      actor: string,
    ): Promise<ProjectDeleted> {
      requireProjectId(id);
      const permanent = query.hard === 'true' || query.force === 'true';
      const ctx = { actor, now: clock() };
      const opts = { confirm: query.confirm };
      const project = permanent
        ? await store.projects.hardDelete(id, opts, ctx)
        : await store.projects.softDelete(id, opts, ctx);
      logger.info(
        { projectId: id, project: project.name, region: project.region, permanent },
        permanent ? 'project deleted permanently' : 'project moved to Deleted projects',
      );
      return { project: projectView(project), permanent };
    },

    async restore(id: string, actor: string): Promise<ProjectView> {
      const restored = await store.projects.restore(requireProjectId(id), { actor, now: clock() });
      logger.info({ projectId: id, project: restored.name }, 'project restored');
      return projectView(restored);
    },

    apps: workloads.apps,
    jobs: workloads.jobs,
    secrets: secretRoutes,
    configMaps: createConfigMapsService(deps),
    /** Not exposed over HTTP: the platform runtime reads secret values through this. */
    secretValues,
  };
}

export type ProjectsService = ReturnType<typeof createProjectsService>;
