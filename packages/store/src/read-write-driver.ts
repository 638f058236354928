import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { asStorageFull } from './storage-full.js';
import { cachedPrepare, StatementCache } from './statement-cache.js';

export interface SqliteConnections {
  /** The one connection that writes; every transaction runs on it. */
  writer: SqliteDatabase.Database;
  /**
   * The read-only connection to the same file, or null for ':memory:' (a second connection
   * would open another, empty database).
   */
  reader: ReaderConnection | null;
  /** Where the database file lives: SQLite's I/O errors are checked against its free space. */
  dir: string | undefined;
  /** Awaited before each transaction takes the writer (WalCheckpointer.settle). */
  beforeTransaction?: () => Promise<void>;
}

/**
 * Kysely's SqliteDriver serialises every query behind one mutex, so a read waits while any
 * transaction is open, and a bulk transaction awaits between its statements: every pull and
 * console page queued behind a whole repository delete. This dialect keeps the writer's mutex
 * for transactions and writes, and sends a single read outside a transaction to the reader
 * connection without waiting for it.
 */
export class ReadWriteSqliteDialect implements Dialect {
  readonly #connections: SqliteConnections;
  constructor(connections: SqliteConnections) {
    this.#connections = connections;
  }
  createDriver(): Driver {
    return new ReadWriteSqliteDriver(this.#connections);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * Statements that may be read-only. Only these are prepared on the reader to ask SQLite
 * (`Statement.readonly`); PRAGMAs, BEGIN and the like count as read-only for SQLite yet change
 * the connection, so they never go there.
 */
const MAYBE_READ = /^\s*(select|with)\b/i;

/**
 * A read-only connection to a database file, which WAL lets read the last committed state
 * while the writer is inside a transaction. It is closed until `open()`, so that migrations
 * run on the writer alone, and can be opened afresh: a connection reads the statistics
 * (sqlite_stat1) once, when it loads the schema, and ANALYZE by another connection does not
 * make it load them again.
 */
export class ReaderConnection {
  readonly #connect: () => SqliteDatabase.Database;
  #db: SqliteDatabase.Database | null = null;
  /** For each SQL text tried here: its statement, or null when it writes. */
  #routes = new StatementCache<SqliteDatabase.Statement | null>();

  constructor(connect: () => SqliteDatabase.Database) {
    this.#connect = connect;
  }

  /** Opens the connection, or replaces it with a new one (statements already run finished). */
  open(): void {
    const next = this.#connect();
    this.#db?.close();
    this.#db = next;
    this.#routes = new StatementCache();
  }

  close(): void {
    this.#db?.close();
    this.#db = null;
  }

  /** The prepared statement when `sql` only reads, otherwise null (the writer runs it). */
  statementFor(sql: string): SqliteDatabase.Statement | null {
    if (!this.#db) return null;
    const known = this.#routes.get(sql);
    if (known !== undefined) return known;
    if (!MAYBE_READ.test(sql)) return null;
    let statement: SqliteDatabase.Statement;
    try {
      statement = this.#db.prepare(sql);
    } catch {
      // Not remembered: the writer reports the error, and a later schema may make it valid.
      return null;
    }
    return this.#routes.set(sql, statement.readonly && statement.reader ? statement : null);
  }
}

/**
 * What Kysely holds while it runs one query or one transaction. It is not a connection of its
 * own: until a transaction begins on it, each query picks the reader or the writer.
 */
class Lease implements DatabaseConnection {
  readonly #driver: ReadWriteSqliteDriver;
  /** Set from BEGIN until the lease is released: the writer's mutex is held for it. */
  inTransaction = false;
  constructor(driver: ReadWriteSqliteDriver) {
    this.#driver = driver;
  }
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute<R>(this, query);
  }
  /**
   * Berth never streams; running the query whole keeps a stream from holding the writer's
   * mutex (or a reader snapshot) while its consumer awaits.
   */
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query);
    for (const row of rows) yield { rows: [row] };
  }
}

class ReadWriteSqliteDriver implements Driver {
  readonly #writer: SqliteDatabase.Database;
  readonly #reader: ReaderConnection | null;
  readonly #dir: string | undefined;
  readonly #prepareOnWriter: (sql: string) => SqliteDatabase.Statement;
  readonly #mutex = new Mutex();
  /** Kysely remembers every connection object it is given, so leases are reused. */
  readonly #idle: Lease[] = [];

  readonly #beforeTransaction: (() => Promise<void>) | undefined;

  constructor({ writer, reader, dir, beforeTransaction }: SqliteConnections) {
    this.#beforeTransaction = beforeTransaction;
    this.#writer = writer;
    this.#reader = reader;
    this.#dir = dir;
    this.#prepareOnWriter = cachedPrepare(writer);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#idle.pop() ?? new Lease(this);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (lease.inTransaction) {
      lease.inTransaction = false;
      this.#mutex.unlock();
    }
    this.#idle.push(lease);
  }

  /**
   * Transactions begin IMMEDIATE: they take the write lock up front, waiting (busy_timeout) for
   * another process to finish. A deferred transaction that read first would fail at its first
   * write with SQLITE_BUSY_SNAPSHOT whenever another process had written in between, which is
   * what happens when several server processes share one database file.
   */
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    // Before taking the writer: other transactions (a push) go on while this one waits.
    await this.#beforeTransaction?.();
    await this.#mutex.lock();
    // From here releaseConnection gives the mutex back, also when BEGIN itself fails.
    lease.inTransaction = true;
    await lease.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  /**
   * SQLite rolls a transaction back by itself after some failures (SQLITE_FULL, SQLITE_IOERR,
   * SQLITE_NOMEM…). A second ROLLBACK then fails with "cannot rollback - no transaction is
   * active", and Kysely would throw that instead of the failure that caused it; so ROLLBACK runs
   * only while a transaction is open, and Kysely goes on to throw the original error.
   */
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#writer.inTransaction) return;
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      if (this.#writer.inTransaction) throw error;
    }
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteName(name)}`));
  }

  async destroy(): Promise<void> {
    this.#reader?.close();
    this.#writer.close();
  }

  /**
   * A write that finds the disk full fails with StorageFullError (SQLITE_FULL, or an I/O error
   * while the disk has no room), which the server answers as "storage is full", not as a 500.
   */
  async execute<R>(lease: Lease, query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      if (lease.inTransaction) return run<R>(this.#prepareOnWriter(query.sql), query);
      const read = this.#reader?.statementFor(query.sql);
      if (read) return run<R>(read, query);
      await this.#mutex.lock();
      try {
        return run<R>(this.#prepareOnWriter(query.sql), query);
      } finally {
        this.#mutex.unlock();
      }
    } catch (error) {
      throw asStorageFull(error, this.#dir);
    }
  }
}

function run<R>(statement: SqliteDatabase.Statement, query: CompiledQuery): QueryResult<R> {
  const parameters = query.parameters as unknown[];
  if (statement.reader) return { rows: statement.all(parameters) as R[] };
  const { changes, lastInsertRowid } = statement.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One holder at a time, in arrival order. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | null = null;

  async lock(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.#release = release;
  }

  unlock(): void {
    const release = this.#release;
    this.#release = null;
    release?.();
  }
}
