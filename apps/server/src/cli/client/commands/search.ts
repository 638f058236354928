import { apiPaths, searchResults } from '@berth/contract';
import { route } from '../api.js';
import { type Command, type Group, str } from '../command.js';
import { shortDigest, table } from '../output.js';
import { intArg } from '../references.js';

const routes = { search: route('get', '/api/v1/search', searchResults) };

const search: Command = {
  name: '',
  summary: 'namespaces, repositories, tags and digests that start with some text',
  args: '<text>',
  positionals: 1,
  details: 'Only what you may read is searched. JSON: the API answer, grouped by kind.',
  options: {
    limit: { type: 'string', value: 'N', description: 'results per kind (1–10, default 5)' },
  },
  async run(ctx, v, [text]) {
    const r = await ctx.api.call(routes.search, apiPaths.search(), {
      query: { q: text!, limit: intArg('--limit', str(v, 'limit'), 1) },
    });
    const rows = [
      ...r.namespaces.items.map((n) => ['namespace', n.namespace, '']),
      ...r.repositories.items.map((x) => ['repository', `${x.namespace}/${x.repository}`, '']),
      ...r.tags.items.map((x) => [
        'tag',
        `${x.namespace}/${x.repository}:${x.tag}`,
        shortDigest(x.digest),
      ]),
      ...r.digests.items.map((x) => [
        'digest',
        `${x.namespace}/${x.repository}@${x.digest}`,
        x.tags.join(','),
      ]),
    ];
    const cut = (['namespaces', 'repositories', 'tags', 'digests'] as const).filter(
      (k) => r[k].more,
    );
    ctx.print(r, () =>
      rows.length === 0
        ? `nothing starts with "${r.query}"\n`
        : table(['KIND', 'NAME', 'DETAIL'], rows),
    );
    if (cut.length > 0) {
      ctx.term.err(
        `(more ${cut.join(', ')} than shown: type more of the name, or raise --limit)\n`,
      );
    }
  },
};

export const searchGroup: Group = {
  name: 'search',
  summary: 'find namespaces, repositories, tags and digests by how they start',
  commands: [search],
};
