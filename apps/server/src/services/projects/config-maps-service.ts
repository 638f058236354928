import type { z } from 'zod';
import type { ConfigMap, configMapBody, configMapUpdateBody } from '@berth/contract';
import type { ServiceDeps } from '../deps.js';
import type { ChildService } from './child-service.js';
import { configMapView } from './project-views.js';
import { requireDataKeys, requireProjectId, requireResourceName } from './project-inputs.js';

export type ConfigMapService = ChildService<
  ConfigMap,
  z.output<typeof configMapBody>,
  z.output<typeof configMapUpdateBody>
>;

export function createConfigMapsService({ store, clock }: ServiceDeps): ConfigMapService {
  const configMaps = store.projects.configMaps;
  const label = 'config map';
  return {
    async list(projectId) {
      return { items: (await configMaps.list(requireProjectId(projectId))).map(configMapView) };
    },
    async create(projectId, body, actor) {
      requireProjectId(projectId);
      const name = requireResourceName(label, body.name);
      requireDataKeys('data', body.data);
      return configMapView(
        await configMaps.create(projectId, name, body.data, { actor, now: clock() }),
      );
    },
    async get(projectId, name) {
      requireProjectId(projectId);
      return configMapView(await configMaps.get(projectId, requireResourceName(label, name)));
    },
    async replace(projectId, name, body, actor) {
      requireProjectId(projectId);
      requireResourceName(label, name);
      requireDataKeys('data', body.data);
      return configMapView(
        await configMaps.replace(projectId, name, body.data, { actor, now: clock() }),
      );
    },
    async remove(projectId, name, actor) {
      requireProjectId(projectId);
      await configMaps.remove(projectId, requireResourceName(label, name), {
        actor,
        now: clock(),
      });
    },
  };
}
