/**
 * Safe read-modify-write of small JSON state files (counters, card state).
 * - Exclusive lock: a `FILE.lock` created with O_EXCL holding our PID; a lock
 *   whose owner is dead is taken over, so a killed process never wedges others.
 * - Atomic replace: write `FILE.tmp-PID`, fsync, rename over FILE, fsync the
 *   directory; a kill at any point leaves either the old or the new file.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { IoError } from '../util/errors.js';

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

async function acquire(lock: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  for (;;) {
    try {
      const fd = openSync(lock, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      writeSync(fd, String(process.pid));
      return fd;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new IoError(`cannot create lock: ${code}`, { field: lock });
    }
    // Stale lock: its owner died (kill -9 mid-update). Remove it and retry.
    let owner = NaN;
    try {
      owner = Number(readFileSync(lock, 'utf8').trim());
    } catch {
      continue; // vanished between our open and read
    }
    if (owner && !pidAlive(owner)) {
      try {
        // Rename first so two waiters cannot both delete a fresh lock.
        const grave = `${lock}.stale-${process.pid}`;
        renameSync(lock, grave);
        const again = Number(readFileSync(grave, 'utf8').trim());
        if (again === owner) unlinkSync(grave);
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
    throw new IoError(`${what} is not valid JSON: ${(e as Error).message}`, { field: path });
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
  const fd = await acquire(lock, timeoutMs);
  try {
    const cur = readJsonFile<T>(path, initial, what);
    const { value, result } = fn(cur);
    if (value !== undefined) writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
    return result;
  } finally {
    closeSync(fd);
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}
