/**
 * Safe read-modify-write of small JSON state files (counters, card state).
 * - Exclusive lock: a `FILE.lock` created complete (hard link, fails if it
 *   exists) naming its owner: host name, process id, a unique token and a lease
 *   expiry. A lock is broken only when it is stale: on our own host when its
 *   process is dead or its lease expired; from another host (a shared network
 *   folder, another container) only when its lease expired (plus an allowance
 *   for clock differences), since a process id means nothing across machines.
 *   The owner renews the lease on a timer (every third of the lease) while it
 *   holds the lock, never after the lease has run out, and checks the token
 *   before it writes, so a lock broken under it can never give two writers;
 *   release reports a lock that was lost meanwhile.
 * - Environment (tests, unusual setups): UICC_OTA_LOCK_LEASE_MS (lease),
 *   UICC_OTA_LOCK_SKEW_MS (clock allowance for foreign leases),
 *   UICC_OTA_LOCK_HOST (the host name written in and compared with lock files;
 *   a test sets it to play a process on another machine).
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

function envMs(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const v = Number(raw);
  return raw !== undefined && raw !== '' && Number.isInteger(v) && v >= min ? v : fallback;
}
function leaseMs(): number {
  return envMs('UICC_OTA_LOCK_LEASE_MS', LOCK_LEASE_MS, 1);
}
function skewMs(): number {
  return envMs('UICC_OTA_LOCK_SKEW_MS', LOCK_SKEW_MS, 0);
}
/** This host's name in lock files. */
export function lockHost(): string {
  return process.env.UICC_OTA_LOCK_HOST || hostname();
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
  if (/^\d+$/.test(t)) return { host: lockHost(), pid: Number(t), token: '', expires: Number.MAX_SAFE_INTEGER };
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
  if (owner.host === lockHost()) {
    if (!pidAlive(owner.pid)) return `process ${owner.pid} on this host is dead`;
    if (now > owner.expires) return `lease of process ${owner.pid} expired`;
    return undefined;
  }
  // Another machine: its process id cannot be checked here; only the lease counts.
  if (now > owner.expires + skewMs()) return `lease of ${owner.host} process ${owner.pid} expired`;
  return undefined;
}

function describe(owner: LockOwner | undefined): string {
  if (!owner) return 'an unknown owner';
  const lease = owner.expires >= Number.MAX_SAFE_INTEGER ? '' : `, lease until ${new Date(owner.expires).toISOString()}`;
  return owner.host === lockHost() ? `process ${owner.pid}${lease}` : `process ${owner.pid} on host ${owner.host}${lease}`;
}

/** A held lock: renew its lease, check it is still ours, release it. */
export interface HeldLock {
  path: string;
  owner: LockOwner;
  /** Lease length (ms) of this lock. */
  leaseMs: number;
  /** Why the lock is no longer ours, once that is known. */
  lost?: string;
  /** Renews the lease every third of it while held. */
  timer?: NodeJS.Timeout;
}

export interface LockOptions {
  /** Lease length (ms); default UICC_OTA_LOCK_LEASE_MS or 30 s. */
  leaseMs?: number;
}

function ownerText(o: LockOwner): string {
  return JSON.stringify(o);
}

/**
 * Take the lock. The lock file is created complete (owner written to a private
 * file, then hard-linked to the lock name, which fails if it exists), so a
 * kill can never leave an empty lock whose owner is unknown.
 */
export async function acquireLock(lock: string, timeoutMs: number, opts: LockOptions = {}): Promise<HeldLock> {
  const deadline = Date.now() + timeoutMs;
  const lease = opts.leaseMs ?? leaseMs();
  let wait = 1;
  const token = randomBytes(12).toString('hex');
  const owner: LockOwner = { host: lockHost(), pid: process.pid, token, expires: Date.now() + lease };
  const mine = `${lock}.${token}`;
  try {
    writeFileSync(mine, ownerText(owner), { mode: 0o600 });
  } catch (e) {
    throw new IoError(`cannot create lock: ${(e as NodeJS.ErrnoException).code}`, { field: lock });
  }
  try {
    for (;;) {
      // The lease starts when we get the lock, not when we started waiting.
      owner.expires = Date.now() + lease;
      writeFileSync(mine, ownerText(owner), { mode: 0o600 });
      try {
        linkSync(mine, lock);
        const held: HeldLock = { path: lock, owner, leaseMs: lease };
        held.timer = setInterval(() => renewTick(held), Math.max(1, Math.floor(lease / 3)));
        held.timer.unref();
        return held;
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
      if (Date.now() > deadline) {
        throw new IoError(
          `timed out after ${timeoutMs} ms waiting for the lock held by ${describe(held)}; ` +
            `if that process is gone, the lock is broken once its lease ends (or remove ${lock} by hand)`,
          { field: lock },
        );
      }
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
  const why = h.lost ?? lostReason(h);
  if (why) {
    h.lost = why;
    throw new IoError(`lock lost (${why}); nothing written: run the command again`, { field: h.path });
  }
  if (h.owner.expires - Date.now() < h.leaseMs / 2) renewLock(h);
}

/** Why the lock file no longer names us, or undefined while it does. */
function lostReason(h: HeldLock): string | undefined {
  let cur: LockOwner | undefined;
  try {
    cur = parseLockOwner(readFileSync(h.path, 'utf8'));
  } catch {
    return 'the lock file was removed';
  }
  if (!cur || cur.token !== h.owner.token || cur.host !== h.owner.host) {
    return `our lease expired and another owner took the lock: ${describe(cur)}`;
  }
  return undefined;
}

/** Timer: renew the lease while the lock is ours and the lease has not run out. */
function renewTick(h: HeldLock): void {
  if (h.lost) return;
  const why = lostReason(h);
  if (why) {
    h.lost = why;
    clearInterval(h.timer);
    return;
  }
  try {
    renewLock(h);
  } catch {
    /* a failed renewal (full disk, network folder away) is retried; a lost lock is seen at the next check */
  }
}

/**
 * Extend the lease (rewrite the lock file in place; its name, and so the lock,
 * stays ours). Never once the lease has run out: a waiter may be breaking the
 * lock at this moment, and rewriting it would then give two owners.
 */
export function renewLock(h: HeldLock): void {
  if (Date.now() >= h.owner.expires) {
    h.lost ??= 'our lease ran out before it was renewed (was this process paused?)';
    throw new IoError(`lock lost (${h.lost}); nothing written: run the command again`, { field: h.path });
  }
  h.owner.expires = Date.now() + h.leaseMs;
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

/**
 * Remove the lock if it is still ours (never someone else's that replaced a
 * broken one). Returns false when the lock was lost while held (`h.lost` says
 * how): what was done under it may have raced with another owner.
 */
export function releaseLock(h: HeldLock): boolean {
  clearInterval(h.timer);
  h.timer = undefined;
  if (!h.lost) h.lost = lostReason(h);
  if (h.lost) return false;
  try {
    unlinkSync(h.path);
  } catch {
    /* already gone */
  }
  return true;
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
  opts: LockOptions = {},
): Promise<R> {
  const held = await acquireLock(`${path}.lock`, timeoutMs, opts);
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
export async function withFileLock<R>(path: string, fn: () => Promise<R>, timeoutMs = 10_000, opts: LockOptions = {}): Promise<R> {
  const held = await acquireLock(`${path}.lock`, timeoutMs, opts);
  let result: R;
  try {
    result = await fn();
  } catch (e) {
    releaseLock(held);
    throw e;
  }
  if (!releaseLock(held)) {
    throw new IoError(`lock lost while held (${held.lost}): the update made under it may have raced with another process; check ${path}`, { field: `${path}.lock` });
  }
  return result;
}
