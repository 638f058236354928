import pg from 'pg';

/** A database URL that cannot be used, in one sentence for the operator. */
export class DatabaseLocationError extends Error {}

/**
 * `postgres://user:password@host:port/database?…` (or postgresql://): the URL with its
 * password hidden, for messages and logs, or a DatabaseLocationError saying what is wrong.
 */
export function parseDatabaseUrl(value: string): { url: string; shown: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DatabaseLocationError('must be a URL such as postgres://berth@db.example:5432/berth');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new DatabaseLocationError(
      `must start with postgres:// (got ${url.protocol}//); leave it unset for the embedded SQLite database`,
    );
  }
  if (url.pathname.length <= 1) {
    throw new DatabaseLocationError('names no database: add /<database> after the host');
  }
  return { url: value, shown: shownUrl(url) };
}

function shownUrl(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString();
}

/** PostgreSQL's error codes for what an operator can fix (SQLSTATE). */
const MEANINGS: Record<string, string> = {
  '28P01': 'the password was refused',
  '28000': 'this user may not connect (pg_hba.conf)',
  '3D000': 'the database does not exist; create it first (createdb)',
  '42501': 'the user lacks a privilege Berth needs (it creates and alters its own tables)',
  '53300': 'the server has no free connections (max_connections)',
  '57P03': 'the server is starting up or shutting down',
};

/**
 * Connects once at start, so that a wrong setting is one clear sentence instead of a stack
 * trace at the first request. Also checks that the user may create tables (migrations).
 */
export async function checkDatabaseUrl(value: string): Promise<void> {
  const { url, shown } = parseDatabaseUrl(value);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>(
      `SELECT has_schema_privilege(current_schema(), 'CREATE') AS ok`,
    );
    if (!rows[0]?.ok) throw Object.assign(new Error(''), { code: '42501' });
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    const meaning =
      MEANINGS[code] ??
      ([
        'ECONNREFUSED',
        'ENOTFOUND',
        'ETIMEDOUT',
        'EAI_AGAIN',
        'ECONNRESET',
        'EHOSTUNREACH',
      ].includes(code)
        ? `cannot reach the server (${code})`
        : (error as Error).message.includes('timeout')
          ? 'the server did not answer within 10 s'
          : (error as Error).message || code || 'unknown error');
    throw new DatabaseLocationError(`${shown}: ${meaning}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
