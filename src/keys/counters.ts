/**
 * `--counter next`: the sending entity's counter per key set and TAR, kept in
 * a state file (`--state FILE`, env UICC_OTA_STATE, or `<keyset file>.counters.json`
 * beside the keyset when that folder is writable, else under $XDG_STATE_HOME/uicc-ota/). Each call reserves stored+1 under a lock and writes it
 * back atomically before the packet is printed, so parallel builds never reuse
 * a counter value (a counter once issued is never issued again).
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError, IoError, OtaError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { CNTR_MAX } from '../secured/common.js';
import { readJsonFile, updateJsonFile } from './state.js';

export interface CounterOpts {
  state?: string;
  keyset?: string;
}

interface CounterFile {
  format?: string;
  counters: Record<string, string | number>;
}

/** $XDG_STATE_HOME/uicc-ota (default ~/.local/state/uicc-ota): where state goes when the keyset's folder is read-only. */
export function stateHome(): string {
  const x = process.env.XDG_STATE_HOME;
  return join(x && x.startsWith('/') ? x : join(homedir(), '.local', 'state'), 'uicc-ota');
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The counter state file: --state, else UICC_OTA_STATE, else `<keyset>.counters.json` beside the
 * keyset when that file exists or its folder is writable, else
 * `$XDG_STATE_HOME/uicc-ota/<keyset path with / as %>.counters.json` (one file per keyset).
 */
export function counterStatePath(o: CounterOpts): string {
  const explicit = o.state ?? process.env.UICC_OTA_STATE;
  if (explicit) return explicit;
  const ks = o.keyset ?? process.env.UICC_OTA_KEYSET;
  if (!ks) throw new InputError('"next" needs a state file: give --state FILE (or --keyset, or UICC_OTA_STATE)', { field: '--counter' });
  const beside = `${ks}.counters.json`;
  if (existsSync(beside) || writable(dirname(resolve(ks)))) return beside;
  const name = resolve(ks).replace(/^\//, '').replace(/[/\\]/g, '%') || basename(ks);
  return join(stateHome(), `${name}.counters.json`);
}

/** A state file error that names the file and the way out (--state / UICC_OTA_STATE). */
function withWayOut(e: unknown, path: string): unknown {
  if (!(e instanceof IoError)) return e;
  const msg = e.message.includes(path) ? e.message : `${e.message} (state file ${path})`;
  return new IoError(`${msg}; choose another state file with --state FILE or UICC_OTA_STATE`, {});
}

function ensureDir(path: string): void {
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
  } catch {
    // reported by the state layer with the file name
  }
}

function checkFile(cur: CounterFile, path: string): void {
  if (typeof cur !== 'object' || cur === null || typeof cur.counters !== 'object' || cur.counters === null || Array.isArray(cur.counters)) {
    throw new InputError('not a counter state file (no "counters" object)', { layer: `counter state ${path}`, field: 'counters' });
  }
}

function storedValue(cur: CounterFile, key: string, path: string): bigint | undefined {
  const stored: unknown = cur.counters[key];
  // Integers since JSON v1 (2^40−1 is exact in a JSON number); decimal strings of older files still read.
  const ok = (typeof stored === 'number' && Number.isSafeInteger(stored) && stored >= 0) || (typeof stored === 'string' && /^[0-9]+$/.test(stored));
  if (stored !== undefined && (!ok || BigInt(stored as string | number) > CNTR_MAX)) {
    throw new InputError(`must be an integer 0 … 2^40−1, got ${JSON.stringify(stored)}`, { layer: `counter state ${path}`, field: `counters.${key}` });
  }
  return stored === undefined ? undefined : BigInt(stored as string | number);
}

/** `counter show`: the state file and the stored counters (all, or the one of `key`). */
export function showCounters(o: CounterOpts, key?: string): { path: string; exists: boolean; counters: Record<string, string | number> } {
  const path = counterStatePath(o);
  try {
    const cur = readJsonFile<CounterFile>(path, { counters: {} }, 'counter state file');
    checkFile(cur, path);
    if (key !== undefined) {
      const v = storedValue(cur, key, path);
      return { path, exists: existsSync(path), counters: v === undefined ? {} : { [key]: Number(v) } };
    }
    for (const k of Object.keys(cur.counters)) storedValue(cur, k, path);
    return { path, exists: existsSync(path), counters: { ...cur.counters } };
  } catch (e) {
    throw withWayOut(e, path);
  }
}

/** `counter set`: store `value` as the last counter issued for `key` (the next one is value+1). */
export async function setCounter(o: CounterOpts, key: string, value: bigint): Promise<string> {
  if (value < 0n || value > CNTR_MAX) throw new InputError(`${value} does not fit 5 octets (0 … 2^40−1)`, { field: 'CNTR' });
  const path = counterStatePath(o);
  ensureDir(path);
  try {
    await updateJsonFile<CounterFile, void>(path, { format: 'uicc-ota-counters/1', counters: {} }, 'counter state file', (cur) => {
      checkFile(cur, path);
      return { value: { format: 'uicc-ota-counters/1', counters: { ...cur.counters, [key]: Number(value) } }, result: undefined };
    });
  } catch (e) {
    throw withWayOut(e, path);
  }
  return path;
}

export function counterKey(kic: number, tar: Uint8Array): string {
  return `kvn${kic >> 4}/${toHex(tar)}`;
}

/**
 * Reserve `count` consecutive counter values; returns the first. With `partial`
 * (a batch: each line may use one), fewer are reserved when 2^40-1 comes first:
 * the values up to it, so the lines before it still go out (those after it are
 * the caller's "past 2^40-1" errors); only a counter already at 2^40-1 fails.
 */
export async function nextCounter(o: CounterOpts, kic: number, _kid: number, tar: Uint8Array, count = 1, partial = false): Promise<bigint> {
  const path = counterStatePath(o);
  const key = counterKey(kic, tar);
  if (!o.state && !process.env.UICC_OTA_STATE) ensureDir(path);
  return updateJsonFile<CounterFile, bigint>(path, { format: 'uicc-ota-counters/1', counters: {} }, 'counter state file', (cur) => {
    checkFile(cur, path);
    // A fresh state is counter 0, as a fresh card's: the first value issued is 1, which a card in
    // "higher" or "exactly one higher" mode accepts.
    const prev = storedValue(cur, key, path) ?? 0n;
    const next = prev + 1n;
    let last = prev + BigInt(count);
    if (partial && last > CNTR_MAX && prev < CNTR_MAX) last = CNTR_MAX;
    if (last > CNTR_MAX) throw new InputError(`counter for ${key} is exhausted (2^40−1 reached)`, { field: 'CNTR' });
    return { value: { format: 'uicc-ota-counters/1', counters: { ...cur.counters, [key]: Number(last) } }, result: next };
  }).catch((e: unknown) => {
    throw e instanceof OtaError ? withWayOut(e, path) : e;
  });
}
