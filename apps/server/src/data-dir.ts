import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';

/** The database and what SQLite keeps beside it. */
export const DB_FILE = 'berth.db';
const DB_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, `${DB_FILE}-journal`];
/** What a first start writes besides the database (the root key is kept: it wraps nothing yet). */
const FIRST_START_DIRS = ['blobs', 'uploads', 'uploads-tmp'];
const LOCK_FILE = 'start.lock';

/** Modes for what Berth creates under BERTH_UMASK. */
export function modesFor(umask: number) {
  return { dir: 0o777 & ~umask, file: 0o666 & ~umask };
}

/** Another process holds the data directory for its first start. */
export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError';
}

/**
 * Creates the data directory with the configured mode, or takes away from an existing one (and
 * from the database files in it) the permission bits the umask forbids. Nothing is widened.
 */
export function prepareDataDir(dir: string, umask: number, logger: Logger): void {
  const modes = modesFor(umask);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: modes.dir });
    fs.chmodSync(dir, modes.dir);
    return;
  }
  tighten(dir, modes.dir, logger);
  for (const name of DB_FILES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) tighten(file, modes.file, logger);
  }
}

function tighten(file: string, allowed: number, logger: Logger): void {
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & ~allowed) === 0) return;
  fs.chmodSync(file, mode & allowed);
  logger.info(
    { file, from: mode.toString(8), to: (mode & allowed).toString(8) },
    'took away permissions BERTH_UMASK does not allow',
  );
}

/** Creates the database file empty with the configured mode; SQLite gives its WAL the same. */
export function createDbFile(dir: string, umask: number): string {
  const file = path.join(dir, DB_FILE);
  const fd = fs.openSync(file, 'wx', modesFor(umask).file);
  try {
    fs.fchmodSync(fd, modesFor(umask).file);
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface StartLock {
  /** The start that took it over from a process that died during a first start. */
  readonly tookOverFrom: LockHolder | null;
  release(): void;
}

/**
 * start.lock guards a first start: only one process does it, and a lock whose process is gone
 * marks a first start that died half-way. Refuses while a live process holds it.
 *
 * The lock is written whole under a name of its own and then linked into place, so it appears
 * complete or not at all: a lock created empty and written after was once read, in the moment
 * between the two, by a second process that took it for a dead holder's, removed it and did
 * the first start beside the first ("table projects already exists").
 */
export function takeStartLock(dir: string, umask: number): StartLock {
  const file = path.join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
  };
  const draft = writeDraft(file, `${JSON.stringify(holder)}\n`, umask);
  let tookOverFrom: LockHolder | null = null;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(draft, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const stale = refuseIfHeld(file);
        // Another process took over the same dead lock a moment before this one.
        if (attempt > 0) throw busy(file, stale);
        // The process that held it is gone: its first start did not finish.
        removeStaleLock(file, stale);
        tookOverFrom = stale;
      }
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  return {
    tookOverFrom,
    release: () => fs.rmSync(file, { force: true }),
  };
}

/** A file beside `file` holding `text`, flushed to disk; its name is this process's own. */
function writeDraft(file: string, text: string, umask: number): string {
  const draft = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  const fd = fs.openSync(draft, 'wx', modesFor(umask).file);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return draft;
}

/**
 * Removes a lock judged dead, unless another process replaced it meanwhile: it is moved aside
 * (one atomic step), and if what was moved is not the lock that was judged, it is put back.
 */
function removeStaleLock(file: string, judged: LockHolder | null): void {
  const aside = `${file}.stale.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    // Gone already: another process removed it, and the next link decides between us.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const moved = readHolder(aside);
    if (JSON.stringify(moved) === JSON.stringify(judged)) return;
    try {
      fs.linkSync(aside, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    throw busy(file, moved);
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function busy(file: string, holder: LockHolder | null): DataDirBusyError {
  const who = holder ? `another Berth process (pid ${holder.pid})` : 'another Berth process';
  return new DataDirBusyError(
    `${who} is doing the first start of ${path.dirname(file)}; start this one once that one listens`,
  );
}

/** The lock's holder, or null when it cannot be read (a lock from an older Berth, cut short). */
function readHolder(file: string): LockHolder | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    return null;
  }
}

/** The holder of a lock whose process is gone; throws while the process lives. */
function refuseIfHeld(file: string): LockHolder | null {
  const holder = readHolder(file);
  if (!holder) return null;
  if (holder.host !== os.hostname()) {
    throw new DataDirBusyError(
      `${file} says Berth on ${holder.host} (pid ${holder.pid}) is doing the first start of this data directory since ${holder.startedAt}. Start this process once that one listens; if no Berth is starting there, remove ${file}.`,
    );
  }
  if (alive(holder.pid)) {
    throw new DataDirBusyError(
      `another Berth process (pid ${holder.pid}) is doing the first start of ${path.dirname(file)} since ${holder.startedAt}; start this one once that one listens`,
    );
  }
  return holder;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Throws while a live process does a first start here; true when a lock is left by one that
 * died (its database must not be trusted, nor opened while a take-over may rebuild it).
 */
export function firstStartInterrupted(dir: string): boolean {
  const file = path.join(dir, LOCK_FILE);
  if (!fs.existsSync(file)) return false;
  refuseIfHeld(file);
  return true;
}

/** Removes what an unfinished first start created, so the next one starts from nothing. */
export function removeFirstStartLeftovers(dir: string): void {
  for (const name of DB_FILES) fs.rmSync(path.join(dir, name), { force: true });
  for (const name of FIRST_START_DIRS) {
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}
