/**
 * Safe read-modify-write of small JSON state files (counters, card state).
 * - Exclusive lock: a `FILE.lock` created with O_EXCL holding our PID; a lock
 *   whose owner is dead is taken over, so a killed process never wedges others.
 * - Atomic replace: write `FILE.tmp-PID`, fsync, rename over FILE, fsync the
 *   directory; a kill at any point leaves either the old or the new file.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { InputError, IoError } from '../util/errors.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the lock. The lock file is created complete (PID written to a private
 * file, then hard-linked to the lock name, which fails if it exists), so a
 * kill can never leave an empty lock whose owner is unknown.
 */
async function acquire(lock: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  const mine = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  try {
    writeFileSync(mine, String(process.pid), { mode: 0o600 });
  } catch (e) {
    throw new IoError(`cannot create lock: ${(e as NodeJS.ErrnoException).code}`, { field: lock });
  }
  try {
    for (;;) {
      try {
        linkSync(mine, lock);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw new IoError(`cannot create lock: ${code}`, { field: lock });
      }
      let text: string;
      let age = 0;
      try {
        text = readFileSync(lock, 'utf8').trim();
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // vanished between our link and read
      }
      const owner = Number(text);
      // Dead owner (kill -9 mid-update), or an unreadable lock left by something else long ago.
      const stale = owner > 0 ? !pidAlive(owner) : age > 5000;
      if (stale) {
        try {
          // Rename first so that two waiters cannot both remove a fresh lock.
          const grave = `${lock}.stale-${process.pid}`;
          renameSync(lock, grave);
          const again = readFileSync(grave, 'utf8').trim();
          if (again === text) unlinkSync(grave);
          else renameSync(grave, lock); // someone else's fresh lock: put it back
        } catch {
          /* raced with another waiter; just retry */
        }
        continue;
      }
      if (Date.now() > deadline) throw new IoError(`timed out waiting for lock held by process ${owner || '?'}`, { field: lock });
      await sleep(wait);
      wait = Math.min(wait * 2, 50);
    }
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      /* already gone */
    }
  }
}

export function readJsonFile<T>(path: string, fallback: T | undefined, what: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && fallback !== undefined) return fallback;
    throw new IoError(`cannot read ${what}: ${code ?? (e as Error).message}`, { field: path });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    // Readable but wrong content is bad input (2), as for keyset files and CARD.json.
    throw new InputError(`${what} is not valid JSON: ${(e as Error).message}`, { field: path });
  }
}

export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    try {
      const dfd = openSync(dirname(path), 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    } catch {
      /* directory fsync is best effort (not supported everywhere) */
    }
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    if (e instanceof IoError) throw e;
    throw new IoError(`cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: path });
  }
}

/**
 * Lock `path`, read its JSON (or `initial` when absent), let `fn` change it,
 * write it back atomically if `fn` returns a new value, unlock.
 */
export async function updateJsonFile<T, R>(
  path: string, initial: T | undefined, what: string,
  fn: (current: T) => { value?: T; result: R },
  timeoutMs = 10_000,
): Promise<R> {
  const lock = `${path}.lock`;
  await acquire(lock, timeoutMs);
  try {
    const cur = readJsonFile<T>(path, initial, what);
    const { value, result } = fn(cur);
    if (value !== undefined) writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
    return result;
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Hold the lock of `path` while `fn` runs (for updates that span two files:
 * take this lock first, then updateJsonFile on the other file, always in
 * that order).
 */
export async function withFileLock<R>(path: string, fn: () => Promise<R>, timeoutMs = 10_000): Promise<R> {
  const lock = `${path}.lock`;
  await acquire(lock, timeoutMs);
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}
