import {
  apiPaths,
  createProjectBody,
  projectDeleted,
  projectDeletionPreview,
  projectList,
  type ProjectSummary,
  projectSummary,
} from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Context, type Group, str } from '../command.js';
import { CliError, EXIT } from '../exit-codes.js';
import { fields, formatTime, table } from '../output.js';
import { confirmTyped } from '../terminal.js';
import { regionOf } from './namespaces.js';

const PROJECT = '/api/v1/projects/{projectId}';
const routes = {
  list: route('get', '/api/v1/projects', projectList),
  get: route('get', PROJECT, projectSummary),
  create: route('post', '/api/v1/projects', projectSummary, createProjectBody),
  preview: route('get', `${PROJECT}/deletion-preview`, projectDeletionPreview),
  remove: route('delete', PROJECT, projectDeleted),
  restore: route('post', `${PROJECT}/restore`, projectSummary),
};

export const regionOption = {
  region: {
    type: 'string' as const,
    value: 'REGION',
    description: 'the region (default: the default region)',
  },
};

/** A project by name or id, among the region's active or soft-deleted projects. */
export async function findProject(
  ctx: Context,
  nameOrId: string,
  region: string | undefined,
  status: 'active' | 'deleted',
) {
  const r = await regionOf(ctx, region);
  const { items } = await ctx.api.call(routes.list, apiPaths.projects(), {
    query: { region: r, status },
  });
  const found = items.find((p) => p.id === nameOrId || p.name === nameOrId);
  if (!found) {
    throw new CliError(
      EXIT.notFound,
      `no ${status === 'deleted' ? 'soft-deleted ' : ''}project "${nameOrId}" in region ${r}`,
    );
  }
  return found;
}

const counts = (p: ProjectSummary) =>
  `${p.counts.apps} apps, ${p.counts.jobs} jobs, ${p.counts.secrets} secrets, ${p.counts.configMaps} config maps`;

const list: Command = {
  name: 'list',
  summary: 'projects of a region',
  positionals: 0,
  options: regionOption,
  async run(ctx, v) {
    const region = await regionOf(ctx, str(v, 'region'));
    const { items, quota } = await ctx.api.call(routes.list, apiPaths.projects(), {
      query: { region },
    });
    ctx.print(
      items,
      () =>
        (items.length === 0
          ? `no projects in ${region}\n`
          : table(
              ['NAME', 'ID', 'APPS', 'JOBS', 'SECRETS', 'CONFIG MAPS', 'CREATED', 'ROLE'],
              items.map((p) => [
                p.name,
                p.id,
                String(p.counts.apps),
                String(p.counts.jobs),
                String(p.counts.secrets),
                String(p.counts.configMaps),
                formatTime(p.createdAt),
                p.role,
              ]),
            )) +
        `${quota.used} of ${quota.limit} projects in ${quota.region} (${quota.deleted} deleted)\n`,
    );
  },
};

const get: Command = {
  name: 'get',
  summary: 'one project: what it holds, who made it, your role',
  args: '<name|id>',
  positionals: 1,
  options: regionOption,
  async run(ctx, v, [nameOrId]) {
    const found = await findProject(ctx, nameOrId!, str(v, 'region'), 'active');
    const p = await ctx.api.call(routes.get, apiPaths.project(found.id));
    ctx.print(p, () =>
      fields([
        ['name', p.name],
        ['id', p.id],
        ['region', p.region],
        ['holds', counts(p)],
        ['created', `${formatTime(p.createdAt)} by ${p.createdBy}`],
        ['your role', p.role],
      ]),
    );
  },
};

const deleted: Command = {
  name: 'deleted',
  summary: 'soft-deleted projects of a region, restorable until they are purged',
  positionals: 0,
  options: regionOption,
  async run(ctx, v) {
    const region = await regionOf(ctx, str(v, 'region'));
    const { items } = await ctx.api.call(routes.list, apiPaths.projects(), {
      query: { region, status: 'deleted' },
    });
    ctx.print(items, () =>
      items.length === 0
        ? `no deleted projects in ${region}\n`
        : table(
            ['NAME', 'ID', 'DELETED', 'PURGED AT'],
            items.map((p) => [p.name, p.id, formatTime(p.deletedAt), formatTime(p.purgeAt)]),
          ),
    );
  },
};

const create: Command = {
  name: 'create',
  summary: 'create a project',
  args: '<name>',
  positionals: 1,
  options: regionOption,
  async run(ctx, v, [name]) {
    const region = await regionOf(ctx, str(v, 'region'));
    const p = await ctx.api.call(routes.create, apiPaths.projects(), {
      body: { name: name!, region },
    });
    ctx.print(p, () => `created project ${p.name} (${p.id}) in ${p.region}\n`);
  },
};

const remove: Command = {
  name: 'delete',
  summary: 'soft-delete a project (restorable for 7 days), or with --hard delete it now',
  args: '<name|id>',
  positionals: 1,
  details:
    'Shows what the project holds, then asks: a soft delete for "yes", a hard delete for the\n' +
    "project's name. --force skips the question (required without a terminal).",
  options: {
    ...regionOption,
    hard: { type: 'boolean', description: 'delete it permanently, now' },
    force: { type: 'boolean', short: 'f', description: 'do not ask' },
  },
  async run(ctx, v, [nameOrId]) {
    const project = await findProject(ctx, nameOrId!, str(v, 'region'), 'active');
    const hard = bool(v, 'hard');
    const force = bool(v, 'force');
    const p = await ctx.api.call(routes.preview, apiPaths.projectDeletionPreview(project.id));
    ctx.term.err(
      `${hard ? 'Permanently deleting' : 'Deleting (restorable for 7 days)'} project ${project.name}: ${counts(project)}\n` +
        (p.images.length
          ? `images it points at, no longer protected from retention: ${p.images.join(', ')}\n`
          : ''),
    );
    if (hard) {
      await confirmTyped(
        ctx.term,
        force,
        project.name,
        `Type the project name (${project.name}) to delete it for good: `,
      );
    } else {
      await confirmTyped(ctx.term, force, 'yes', 'Type yes to delete it: ');
    }
    // The API's force is a hard delete without the typed name; the name typed here is sent as
    // confirm, so the server checks it too.
    const query = hard
      ? force
        ? { hard: 'true', force: 'true' }
        : { hard: 'true', confirm: project.name }
      : {};
    const done = await ctx.api.call(routes.remove, apiPaths.project(project.id), { query });
    ctx.print(done, () =>
      done.permanent
        ? `deleted project ${done.project.name} permanently\n`
        : `deleted project ${done.project.name}; restorable until ${formatTime(done.project.purgeAt)} (berth projects restore ${done.project.name})\n`,
    );
  },
};

const restore: Command = {
  name: 'restore',
  summary: 'restore a soft-deleted project with everything it held',
  args: '<name|id>',
  positionals: 1,
  options: regionOption,
  async run(ctx, v, [nameOrId]) {
    const project = await findProject(ctx, nameOrId!, str(v, 'region'), 'deleted');
    const p = await ctx.api.call(routes.restore, apiPaths.projectRestore(project.id));
    ctx.print(p, () => `restored project ${p.name} (${counts(p)})\n`);
  },
};

export const projectsGroup: Group = {
  name: 'projects',
  summary: 'list, create, delete and restore projects',
  commands: [list, get, create, remove, deleted, restore],
};
