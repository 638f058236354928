import type { z } from 'zod';
import type { App, Job, appBody, appUpdateBody, jobBody, jobUpdateBody } from '@berth/contract';
import type {
  PointerState,
  WorkloadFamily,
  WorkloadKind,
  WorkloadRecord,
  WorkloadSpec,
} from '@berth/store';
import type { ServiceDeps } from '../deps.js';
import type { ChildService } from './child-service.js';
import { appView, jobView } from './project-views.js';
import {
  requireEnvNames,
  requireImagePointer,
  requireProjectId,
  requireResourceName,
  requireSize,
} from './project-inputs.js';

type WorkloadBody = z.output<typeof appUpdateBody> & { kind?: 'job' | 'template' };
type View<Item> = (w: WorkloadRecord, state: PointerState) => Item;
export type AppService = ChildService<
  App,
  z.output<typeof appBody>,
  z.output<typeof appUpdateBody>
>;
export type JobService = ChildService<
  Job,
  z.output<typeof jobBody>,
  z.output<typeof jobUpdateBody>
>;

function specOf(kind: WorkloadKind, body: WorkloadBody): WorkloadSpec {
  const image = requireImagePointer(body.image);
  requireSize(body.cpu, body.memoryMiB);
  requireEnvNames(body.env);
  return {
    kind,
    image,
    command: body.command,
    env: body.env,
    cpu: body.cpu,
    memoryMiB: body.memoryMiB,
  };
}

export function createWorkloadsService({ store, clock, projects }: ServiceDeps) {
  const workloads = store.projects.workloads;

  /** Where every pointer of a list leads, resolved together. */
  async function withStates<Item>(records: WorkloadRecord[], view: View<Item>): Promise<Item[]> {
    const states = await store.projects.pointerStates(
      records.map((r) => r.image),
      projects.registryHosts,
    );
    return records.map((r, i) => view(r, states[i] ?? { state: 'missing', resolvedDigest: null }));
  }

  function family<
    Item,
    CreateBody extends WorkloadBody & { name: string },
    UpdateBody extends WorkloadBody,
  >(
    fam: WorkloadFamily,
    kindOf: (body: WorkloadBody) => WorkloadKind,
    view: View<Item>,
  ): ChildService<Item, CreateBody, UpdateBody> {
    const one = async (record: WorkloadRecord) => (await withStates([record], view))[0] as Item;
    return {
      async list(projectId) {
        return {
          items: await withStates(await workloads.list(requireProjectId(projectId), fam), view),
        };
      },
      async create(projectId, body, actor) {
        requireProjectId(projectId);
        const name = requireResourceName(fam, body.name);
        const spec = specOf(kindOf(body), body);
        return one(await workloads.create(projectId, name, spec, { actor, now: clock() }));
      },
      async get(projectId, name) {
        requireProjectId(projectId);
        return one(await workloads.get(projectId, fam, requireResourceName(fam, name)));
      },
      async replace(projectId, name, body, actor) {
        requireProjectId(projectId);
        requireResourceName(fam, name);
        const spec = specOf(kindOf(body), body);
        return one(await workloads.replace(projectId, name, spec, { actor, now: clock() }));
      },
      async remove(projectId, name, actor) {
        requireProjectId(projectId);
        await workloads.remove(projectId, fam, requireResourceName(fam, name), {
          actor,
          now: clock(),
        });
      },
    };
  }

  const apps: AppService = family('app', () => 'app', appView);
  const jobs: JobService = family('job', (body) => body.kind ?? 'job', jobView);
  return { apps, jobs };
}
