import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Which server process a staging file (a blob being written, a single-request upload) belongs
 * to: `<host>.<pid>.<instance>`. Several processes may share one data directory, so a sweep
 * may only remove files whose writer has ended; a file named by this process is ours, and a
 * file of another live process on this host is left alone. Host names keep a data directory
 * shared between machines safe: there, only age tells.
 */
const INSTANCE = randomBytes(6).toString('hex');
const HOST = hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'host';

export const STAGING_OWNER = `${HOST}.${process.pid}.${INSTANCE}`;

const OWNER = /^([A-Za-z0-9-]+)\.(\d+)\.([0-9a-f]{12})$/;

/** true when the process that wrote `owner` has ended; false when it may still be running. */
export function stagingOwnerEnded(owner: string): boolean {
  const match = OWNER.exec(owner);
  if (!match) return false;
  const [, host, pidText, instance] = match;
  if (host !== HOST) return false;
  if (instance === INSTANCE) return false;
  const pid = Number(pidText);
  // Our own pid with another instance: a process before this one (a restarted container's pid 1).
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** What a sweep of stray staging files found (and, unless it was a dry run, removed). */
export interface StagingSweep {
  files: number;
  bytes: number;
}
