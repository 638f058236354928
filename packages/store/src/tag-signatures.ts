import { tagSignatureOf, tagSignatureTags } from '@berth/domain';
import { sql } from 'kysely';
import type { Db } from './database.js';
import { adjustLiveCounters } from './resolve.js';

type Ids = { namespaceId: number; repositoryId: number };

/**
 * cosign's tag signatures (`sha256-<hex>.sig`, `.att`, `.sbom`) are linked to the image they
 * sign once both are in the repository, in whichever order they arrived: the signature stops
 * being an image of its own (not listed, not counted, never a retention candidate) and goes
 * to the trash and back with the image. A manifest with a `subject` stays a referrer, and a
 * platform image of a live index stays part of that index.
 */
async function attach(
  trx: Db,
  ids: Ids,
  signature: { id: number; top_level: number; size_bytes: number },
  signs: { digest: string; kind: string },
): Promise<void> {
  await trx
    .updateTable('manifests')
    .set({
      signs_digest: signs.digest,
      signs_kind: signs.kind,
      top_level: 0,
      listed: 0,
      revision: sql<number>`revision + 1`,
    })
    .where('id', '=', signature.id)
    .execute();
  if (signature.top_level === 1) await adjustLiveCounters(trx, ids, -1, -signature.size_bytes);
}

function attachable(trx: Db) {
  return trx
    .selectFrom('manifests')
    .select(['id', 'digest', 'top_level', 'size_bytes'])
    .where('state', '=', 'live')
    .where('subject_digest', 'is', null)
    .where('signs_digest', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('manifest_children as mc')
            .innerJoin('manifests as p', 'p.id', 'mc.parent_id')
            .select('mc.parent_id')
            .whereRef('mc.child_id', '=', 'manifests.id')
            .where('p.state', '=', 'live'),
        ),
      ),
    );
}

/**
 * After a push, restore or re-push that leaves `manifest` live with `tags` (the tags it was
 * just given): links it to the image a signature tag names, and links to it the signatures
 * already waiting under its own signature tags. In the caller's transaction.
 */
export async function settleTagSignatures(
  trx: Db,
  ids: Ids,
  manifest: { id: number; digest: string },
  tags: readonly string[],
): Promise<void> {
  for (const tag of tags) {
    const signs = tagSignatureOf(tag);
    if (!signs || signs.digest === manifest.digest) continue;
    const subject = await trx
      .selectFrom('manifests')
      .select('id')
      .where('repository_id', '=', ids.repositoryId)
      .where('digest', '=', signs.digest)
      .where('state', '=', 'live')
      .executeTakeFirst();
    if (!subject) continue;
    const signature = await attachable(trx).where('id', '=', manifest.id).executeTakeFirst();
    if (signature) await attach(trx, ids, signature, signs);
    break;
  }
  const own = tagSignatureTags(manifest.digest);
  if (own.length === 0) return;
  const waiting = await attachable(trx)
    .innerJoin('tags', 'tags.manifest_id', 'manifests.id')
    .select('tags.name')
    .where('tags.repository_id', '=', ids.repositoryId)
    .where('tags.name', 'in', own)
    .where('manifests.id', '!=', manifest.id)
    .execute();
  const done = new Set<number>();
  for (const w of waiting) {
    const signs = tagSignatureOf(w.name);
    if (!signs || done.has(w.id)) continue;
    done.add(w.id);
    await attach(trx, ids, w, signs);
  }
}
