import { apiPaths, operation, operationList, type Operation } from '@berth/contract';
import { route } from '../api.js';
import { type Command, type Group, pagingOptions, str } from '../command.js';
import { usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { fields, formatTime, table } from '../output.js';
import { namespaceArg } from '../references.js';

const routes = {
  list: route('get', '/api/v1/operations', operationList),
  get: route('get', '/api/v1/operations/{operation}', operation),
};

const STATES = ['running', 'succeeded', 'failed'] as const;

const stateOf = (o: Operation) =>
  o.state === 'running' && o.waiting ? `running (waiting: ${o.waiting.message})` : o.state;

// The API has no cancel: an operation commits chunk by chunk and is undone only on failure.
const list: Command = {
  name: 'list',
  summary: 'bulk work (large deletes, retention runs, restores), newest first',
  positionals: 0,
  options: {
    namespace: { type: 'string', value: 'NS', description: 'only this namespace' },
    state: { type: 'string', value: 'STATE', description: STATES.join(', ') },
    ...pagingOptions,
  },
  async run(ctx, v) {
    const ns = str(v, 'namespace');
    const state = str(v, 'state');
    if (state !== undefined && !(STATES as readonly string[]).includes(state)) {
      throw usageError(`--state takes ${STATES.join(', ')} (got "${state}")`);
    }
    await printPaged(
      ctx,
      v,
      (cursor, limit) =>
        ctx.api.call(routes.list, apiPaths.operations(), {
          query: {
            namespace: ns === undefined ? undefined : namespaceArg(ns),
            state,
            cursor,
            limit,
          },
        }),
      (items) =>
        table(
          ['ID', 'KIND', 'TARGET', 'STATE', 'DONE', 'BY', 'STARTED', 'FINISHED'],
          items.map((o) => [
            o.id,
            o.kind,
            o.target,
            stateOf(o),
            `${o.done}/${o.total}`,
            o.actor,
            formatTime(o.startedAt),
            formatTime(o.finishedAt),
          ]),
        ),
      'no operations',
    );
  },
};

const get: Command = {
  name: 'get',
  summary: 'one operation: progress, and its error or what was undone',
  args: '<id>',
  positionals: 1,
  async run(ctx, _v, [id]) {
    const o = await ctx.api.call(routes.get, apiPaths.operation(id!));
    ctx.print(o, () =>
      fields([
        ['id', o.id],
        ['kind', o.kind],
        ['namespace', o.namespace],
        ['target', o.target],
        ['state', stateOf(o)],
        ['images', `${o.done} of ${o.total}`],
        ['by', o.actor],
        ['started', formatTime(o.startedAt)],
        ['updated', formatTime(o.updatedAt)],
        ['finished', formatTime(o.finishedAt)],
        ...(o.error ? [['error', `${o.error.message} (${o.error.code})`] as [string, string]] : []),
        ...(o.rolledBack
          ? [
              [
                'undone',
                `${o.rolledBack.images} images put back, ${o.rolledBack.skippedTags} tags held elsewhere`,
              ] as [string, string],
            ]
          : []),
      ]),
    );
  },
};

export const operationsGroup: Group = {
  name: 'operations',
  summary: 'bulk work the server runs in the background: list and follow',
  commands: [list, get],
};
