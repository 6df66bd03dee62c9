/**
 * Safe read-modify-write of small JSON state files (counters, card state).
 * - Exclusive lock: a `FILE.lock` created complete (hard link, fails if it
 *   exists) naming its owner: host name, process id, a unique token and a lease
 *   expiry. A lock is broken only when it is stale: on our own host when its
 *   process is dead or its lease expired; from another host (a shared network
 *   folder, another container) only when its lease expired, since a process id
 *   means nothing across machines. The owner renews the lease while it holds
 *   the lock and checks the token before it writes, so a lock broken under it
 *   can never give two writers.
 * - Atomic replace: write `FILE.tmp-PID`, fsync, rename over FILE, fsync the
 *   directory; a kill at any point leaves either the old or the new file.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { IoError } from '../util/errors.js';
import { parseJsonFileText } from '../util/json-text.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a lock is valid without renewal (ms); UICC_OTA_LOCK_LEASE_MS overrides (tests). */
export const LOCK_LEASE_MS = 30_000;
/** Clock difference tolerated between hosts sharing a folder before a foreign lease counts as expired. */
export const LOCK_SKEW_MS = 5_000;

function leaseMs(): number {
  const v = Number(process.env.UICC_OTA_LOCK_LEASE_MS);
  return Number.isInteger(v) && v > 0 ? v : LOCK_LEASE_MS;
}

/** Who holds a lock, as written in the lock file (one JSON line). */
export interface LockOwner {
  host: string;
  pid: number;
  token: string;
  /** Lease end, ms since the epoch (the owner's clock). */
  expires: number;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Read a lock file's owner; a bare PID (older versions) is an owner on this host without lease. */
export function parseLockOwner(text: string): LockOwner | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { host: hostname(), pid: Number(t), token: '', expires: Number.MAX_SAFE_INTEGER };
  try {
    const o = JSON.parse(t) as Partial<LockOwner>;
    if (typeof o.host === 'string' && typeof o.pid === 'number' && typeof o.token === 'string' && typeof o.expires === 'number') return o as LockOwner;
  } catch {
    /* not ours */
  }
  return undefined;
}

/** Why a lock may be broken, or undefined while its owner may still be working. */
export function staleReason(owner: LockOwner | undefined, ageMs: number, now = Date.now()): string | undefined {
  // An unreadable lock left by something else long ago.
  if (!owner) return ageMs > 5000 ? 'unreadable lock older than 5 s' : undefined;
  if (owner.host === hostname()) {
    if (!pidAlive(owner.pid)) return `process ${owner.pid} on this host is dead`;
    if (now > owner.expires) return `lease of process ${owner.pid} expired`;
    return undefined;
  }
  // Another machine: its process id cannot be checked here; only the lease counts.
  if (now > owner.expires + LOCK_SKEW_MS) return `lease of ${owner.host} process ${owner.pid} expired`;
  return undefined;
}

function describe(owner: LockOwner | undefined): string {
  if (!owner) return 'an unknown owner';
  return owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
}

/** A held lock: renew its lease, check it is still ours, release it. */
export interface HeldLock {
  path: string;
  owner: LockOwner;
}

function ownerText(o: LockOwner): string {
  return JSON.stringify(o);
}

/**
 * Take the lock. The lock file is created complete (owner written to a private
 * file, then hard-linked to the lock name, which fails if it exists), so a
 * kill can never leave an empty lock whose owner is unknown.
 */
export async function acquireLock(lock: string, timeoutMs: number): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  let wait = 1;
  const token = randomBytes(12).toString('hex');
  const owner: LockOwner = { host: hostname(), pid: process.pid, token, expires: Date.now() + leaseMs() };
  const mine = `${lock}.${token}`;
  try {
    writeFileSync(mine, ownerText(owner), { mode: 0o600 });
  } catch (e) {
    throw new IoError(`cannot create lock: ${(e as NodeJS.ErrnoException).code}`, { field: lock });
  }
  try {
    for (;;) {
      // The lease starts when we get the lock, not when we started waiting.
      owner.expires = Date.now() + leaseMs();
      writeFileSync(mine, ownerText(owner), { mode: 0o600 });
      try {
        linkSync(mine, lock);
        return { path: lock, owner };
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') throw new IoError(`cannot create lock: ${code}`, { field: lock });
      }
      let text: string;
      let age = 0;
      try {
        text = readFileSync(lock, 'utf8');
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // vanished between our link and read
      }
      const held = parseLockOwner(text);
      if (staleReason(held, age)) {
        try {
          // Rename to a name only we use, so that two waiters cannot both remove a fresh lock;
          // then check it is still the lock we judged stale.
          const grave = `${lock}.stale-${token}`;
          renameSync(lock, grave);
          const again = readFileSync(grave, 'utf8');
          if (again === text) unlinkSync(grave);
          else {
            // Someone else's fresh lock: put it back unless a third one took the name
            // (then that fresh owner finds its token gone before writing: no two writers).
            try {
              linkSync(grave, lock);
            } catch {
              /* the name is taken again */
            }
            unlinkSync(grave);
          }
        } catch {
          /* raced with another waiter; just retry */
        }
        continue;
      }
      if (Date.now() > deadline) throw new IoError(`timed out waiting for lock held by ${describe(held)}`, { field: lock });
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

/**
 * Before a write under the lock: the lock must still be ours (not broken by a
 * waiter who saw our lease expire); renew the lease when half of it is gone.
 */
export function confirmLock(h: HeldLock): void {
  let cur: LockOwner | undefined;
  try {
    cur = parseLockOwner(readFileSync(h.path, 'utf8'));
  } catch {
    cur = undefined;
  }
  if (!cur || cur.token !== h.owner.token || cur.host !== h.owner.host) {
    throw new IoError('lock lost: our lease expired and another process took the lock; nothing written', { field: h.path });
  }
  if (h.owner.expires - Date.now() < leaseMs() / 2) renewLock(h);
}

/** Extend the lease (rewrite the lock file in place; its name, and so the lock, stays ours). */
export function renewLock(h: HeldLock): void {
  h.owner.expires = Date.now() + leaseMs();
  const tmp = `${h.path}.${h.owner.token}.renew`;
  writeFileSync(tmp, ownerText(h.owner), { mode: 0o600 });
  renameSync(tmp, h.path);
  const t = new Date();
  try {
    utimesSync(h.path, t, t);
  } catch {
    /* mtime is informative only */
  }
}

/** Remove the lock if it is still ours (never someone else's that replaced a broken one). */
export function releaseLock(h: HeldLock): void {
  try {
    const cur = parseLockOwner(readFileSync(h.path, 'utf8'));
    if (cur && cur.token === h.owner.token) unlinkSync(h.path);
  } catch {
    /* already gone */
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
  // Readable but wrong content is bad input (2), as for keyset files and CARD.json.
  return parseJsonFileText(text, path, what) as T;
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
  const held = await acquireLock(`${path}.lock`, timeoutMs);
  try {
    const cur = readJsonFile<T>(path, initial, what);
    const { value, result } = fn(cur);
    if (value !== undefined) {
      confirmLock(held);
      writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
    }
    return result;
  } finally {
    releaseLock(held);
  }
}

/**
 * Hold the lock of `path` while `fn` runs (for updates that span two files:
 * take this lock first, then updateJsonFile on the other file, always in
 * that order).
 */
export async function withFileLock<R>(path: string, fn: () => Promise<R>, timeoutMs = 10_000): Promise<R> {
  const held = await acquireLock(`${path}.lock`, timeoutMs);
  try {
    return await fn();
  } finally {
    releaseLock(held);
  }
}
