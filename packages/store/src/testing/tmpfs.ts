import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A small real tmpfs, for tests of what Berth does when its disk fills up: the disk really
 * answers ENOSPC / SQLITE_FULL, as it does in production, instead of a mock pretending to.
 */
export interface Tmpfs {
  dir: string;
  /** Writes a filler file until the file system refuses another byte; returns its path. */
  fill(): string;
  /** Deletes the filler file: the space is free again. */
  free(): void;
  unmount(): void;
}

let unavailable: string | null | undefined;

/** Why tmpfs tests cannot run here (not root, or mount refused), or null when they can. */
export function tmpfsUnavailable(): string | null {
  if (unavailable !== undefined) return unavailable;
  if (process.platform !== 'linux') return (unavailable = 'tmpfs tests need Linux');
  if (process.getuid?.() !== 0) {
    return (unavailable = 'tmpfs tests need root to mount a small tmpfs (run the tests as root)');
  }
  try {
    mountTmpfs(1).unmount();
    unavailable = null;
  } catch (error) {
    unavailable = `cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}`;
  }
  return unavailable;
}

export function mountTmpfs(sizeMb = 16): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    rmdirSync(dir);
    throw error;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      try {
        // Big writes first, then ever smaller ones, so not even a page is left.
        for (const size of [1024 * 1024, 64 * 1024, 4096, 512, 1]) {
          const chunk = Buffer.alloc(size, 0x5a);
          for (;;) {
            try {
              writeSync(fd, chunk);
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw error;
            }
          }
        }
      } finally {
        closeSync(fd);
      }
      return filler;
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      rmdirSync(dir);
    },
  };
}
