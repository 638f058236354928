import pg from 'pg';
import { WRITER_LOCK } from './connect.js';

/** An advisory lock key next to the writers' one, used by nothing else. */
const FIRST_START_LOCK = WRITER_LOCK + 1;

/**
 * The first start of a PostgreSQL installation (regions, the first admin, the demo) done by
 * one process while others that start at the same moment wait: a session-level advisory lock
 * held on a connection of its own, which PostgreSQL releases if the process dies.
 */
export async function takeFirstStartLock(url: string): Promise<{ release(): void }> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(${FIRST_START_LOCK})`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return {
    // Ending the session releases the lock.
    release: () => void client.end().catch(() => undefined),
  };
}
