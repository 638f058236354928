import { sql } from 'kysely';
import type { StoreHandle } from '../store-handle.js';

/**
 * A real failure, not a stand-in: once operations have made `after` trash entries, the next
 * insert into trash_entries is aborted by the database itself (as a corrupt page or a broken
 * constraint would), and whatever transaction made it rolls back. On either engine: a
 * row-level BEFORE trigger sees the rows its statement inserted before, on both.
 */
export async function failTrashInsertsAfter(handle: StoreHandle, after: number): Promise<void> {
  if (handle.engine === 'postgres') {
    await sql
      .raw(
        `CREATE FUNCTION inject_failure() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF (SELECT count(*) FROM trash_entries WHERE operation_id IS NOT NULL) >= ${after} THEN
             RAISE EXCEPTION 'injected failure';
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER inject_failure BEFORE INSERT ON trash_entries
           FOR EACH ROW EXECUTE FUNCTION inject_failure()`,
      )
      .execute(handle.db);
    return;
  }
  await sql
    .raw(
      `CREATE TRIGGER inject_failure BEFORE INSERT ON trash_entries
       WHEN (SELECT count(*) FROM trash_entries WHERE operation_id IS NOT NULL) >= ${after}
       BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
    )
    .execute(handle.db);
}
