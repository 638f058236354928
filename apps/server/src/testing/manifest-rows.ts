import type { TestServer } from './test-server.js';

/** The manifest row holding `digest` in `repo` (`ns/name`), as stored (sealed or not). */
export async function manifestRow(server: TestServer, repo: string, digest: string) {
  const [namespace, ...rest] = repo.split('/');
  return server.store.db
    .selectFrom('manifests as m')
    .innerJoin('repositories as r', 'r.id', 'm.repository_id')
    .innerJoin('namespaces as n', 'n.id', 'r.namespace_id')
    .select(['m.id', 'm.content', 'm.manifest_size', 'n.id as namespaceId'])
    .where('n.name', '=', namespace!)
    .where('r.name', '=', rest.join('/'))
    .where('m.digest', '=', digest)
    .executeTakeFirstOrThrow();
}

/** Replaces a manifest row's stored bytes, as someone with access to the database could. */
export async function setManifestContent(server: TestServer, id: number, content: Buffer) {
  await server.store.db.updateTable('manifests').set({ content }).where('id', '=', id).execute();
}
