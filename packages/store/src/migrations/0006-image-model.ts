import { type Kysely, sql } from 'kysely';

/**
 * The image model: an index's children keep the index's own order (`position`); cosign's tag
 * signatures (`sha256-<hex>.sig|.att|.sbom`) are linked to the image they sign
 * (`signs_digest`, `signs_kind`) instead of being images of their own; and a trashed tag
 * remembers which manifest held it (`trash_tags.manifest_id`), since an image now takes the
 * tags of its signatures and platform images to the trash with it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('manifest_children')
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('manifests').addColumn('signs_digest', 'text').execute();
  await db.schema.alterTable('manifests').addColumn('signs_kind', 'text').execute();
  await db.schema
    .createIndex('manifests_signs')
    .on('manifests')
    .columns(['repository_id', 'signs_digest'])
    .execute();
  await db.schema.alterTable('trash_tags').addColumn('manifest_id', 'integer').execute();
  await sql`
    UPDATE trash_tags SET manifest_id =
      (SELECT e.manifest_id FROM trash_entries e WHERE e.id = trash_tags.trash_entry_id)
  `.execute(db);
  await backfillPositions(db);
}

/**
 * Positions from the stored index bytes; a child the bytes do not name (synthetic rows have no
 * bytes) goes after the named ones, in the order it was recorded.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function backfillPositions(db: Kysely<any>): Promise<void> {
  const parents = await sql<{ id: number; content: Uint8Array | null }>`
    SELECT id, content FROM manifests
    WHERE id IN (SELECT DISTINCT parent_id FROM manifest_children)`.execute(db);
  for (const parent of parents.rows) {
    const order = new Map<string, number>();
    try {
      const doc = JSON.parse(Buffer.from(parent.content ?? []).toString('utf8')) as {
        manifests?: { digest?: unknown }[];
      };
      (doc.manifests ?? []).forEach((m, i) => {
        if (typeof m.digest === 'string' && !order.has(m.digest)) order.set(m.digest, i);
      });
    } catch {
      // Unreadable bytes: recorded order only.
    }
    const children = await sql<{ child_id: number; digest: string }>`
      SELECT mc.child_id, m.digest FROM manifest_children mc
      JOIN manifests m ON m.id = mc.child_id
      WHERE mc.parent_id = ${parent.id} ORDER BY mc.rowid`.execute(db);
    let next = order.size;
    for (const child of children.rows) {
      const position = order.get(child.digest) ?? next++;
      await sql`UPDATE manifest_children SET position = ${position}
        WHERE parent_id = ${parent.id} AND child_id = ${child.child_id}`.execute(db);
    }
  }
}
