import { apiPaths, auditList } from '@berth/contract';
import { route } from '../api.js';
import { bool, type Command, type Group, pagingOptions, str } from '../command.js';
import { usageError } from '../exit-codes.js';
import { printPaged } from '../listing.js';
import { formatTime, table } from '../output.js';

const routes = {
  list: route('get', '/api/v1/audit', auditList),
  csv: route('get', '/api/v1/audit/csv', null),
};

const list: Command = {
  name: 'list',
  summary: 'the audit log, newest first (admin)',
  positionals: 0,
  details:
    'Filters are ANDed. --csv writes the whole filtered log as CSV (berth audit list --csv > audit.csv).',
  options: {
    actor: {
      type: 'string',
      value: 'PREFIX',
      description: 'actors starting with PREFIX (user:alice)',
    },
    action: {
      type: 'string',
      value: 'PREFIX',
      description: 'actions starting with PREFIX (image.delete)',
    },
    namespace: { type: 'string', value: 'NS', description: 'events about NS' },
    outcome: { type: 'string', value: 'OUTCOME', description: 'success or failure' },
    from: { type: 'string', value: 'TIME', description: 'at or after TIME (ISO 8601)' },
    to: { type: 'string', value: 'TIME', description: 'before TIME (ISO 8601)' },
    csv: { type: 'boolean', description: 'CSV on stdout instead of a table' },
    ...pagingOptions,
  },
  async run(ctx, v) {
    const filter = {
      actor: str(v, 'actor'),
      action: str(v, 'action'),
      namespace: str(v, 'namespace'),
      outcome: str(v, 'outcome'),
      from: str(v, 'from'),
      to: str(v, 'to'),
    };
    if (bool(v, 'csv')) {
      if (ctx.json) throw usageError('--csv or --output json, not both');
      ctx.term.out(await ctx.api.text(routes.csv, apiPaths.auditCsv(), filter));
      return;
    }
    await printPaged(
      ctx,
      v,
      (cursor, limit) =>
        ctx.api.call(routes.list, apiPaths.audit(), { query: { ...filter, cursor, limit } }),
      (items) =>
        table(
          ['AT', 'ACTOR', 'ACTION', 'TARGET', 'OUTCOME'],
          items.map((e) => [formatTime(e.at), e.actor, e.action, e.target, e.outcome]),
        ),
      'no audit events',
    );
  },
};

export const auditGroup: Group = {
  name: 'audit',
  summary: 'the audit log (admin)',
  commands: [list],
};
