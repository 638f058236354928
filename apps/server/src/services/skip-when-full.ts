import { StorageFullError } from '@berth/domain';
import type { Logger } from 'pino';

/** One warning per kind of skipped write per minute: a full disk must not flood the log too. */
const WARN_EVERY_MS = 60_000;
const warned = new Map<string, number>();

/**
 * Runs a write that only records usage — a session's or API key's last use, a registry login
 * or a failed attempt in the audit log, a blob link's touch — and skips it when the disk is
 * full. Such a write must not turn a read (a pull, a token request, a console page) into a
 * failure: on a full disk pulls keep working and only what really needs the space is refused.
 * Any other error still fails the request.
 */
export async function skipWhenFull(
  logger: Logger,
  what: string,
  write: () => Promise<unknown>,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!(error instanceof StorageFullError)) throw error;
    const now = Date.now();
    if (now - (warned.get(what) ?? 0) >= WARN_EVERY_MS) {
      warned.set(what, now);
      logger.warn({ skipped: what }, `storage is full: not recording ${what}`);
    }
  }
}
