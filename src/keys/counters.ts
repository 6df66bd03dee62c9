/**
 * `--counter next`: the sending entity's counter per key set and TAR, kept in
 * a state file (`--state FILE`, env UICC_OTA_STATE, or KEYSET.counters.json
 * beside the keyset). Each call reserves stored+1 under a lock and writes it
 * back atomically before the packet is printed, so parallel builds never reuse
 * a counter value (a counter once issued is never issued again).
 */
import { InputError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { CNTR_MAX } from '../secured/common.js';
import { updateJsonFile } from './state.js';

export interface CounterOpts {
  state?: string;
  keyset?: string;
}

interface CounterFile {
  format?: string;
  counters: Record<string, string>;
}

export function counterStatePath(o: CounterOpts): string {
  const p = o.state ?? process.env.UICC_OTA_STATE ?? (o.keyset ?? process.env.UICC_OTA_KEYSET ? `${o.keyset ?? process.env.UICC_OTA_KEYSET}.counters.json` : undefined);
  if (!p) throw new InputError('"next" needs a state file: give --state FILE (or --keyset, or UICC_OTA_STATE)', { field: '--counter' });
  return p;
}

export function counterKey(kic: number, tar: Uint8Array): string {
  return `kvn${kic >> 4}/${toHex(tar)}`;
}

/** Reserve `count` consecutive counter values; returns the first. */
export async function nextCounter(o: CounterOpts, kic: number, _kid: number, tar: Uint8Array, count = 1): Promise<bigint> {
  const path = counterStatePath(o);
  const key = counterKey(kic, tar);
  return updateJsonFile<CounterFile, bigint>(path, { format: 'uicc-ota-counters/1', counters: {} }, 'counter state file', (cur) => {
    if (typeof cur !== 'object' || cur === null || typeof cur.counters !== 'object' || cur.counters === null || Array.isArray(cur.counters)) {
      throw new InputError('not a counter state file (no "counters" object)', { layer: `counter state ${path}`, field: 'counters' });
    }
    const stored: unknown = cur.counters[key];
    if (stored !== undefined && (typeof stored !== 'string' || !/^[0-9]+$/.test(stored) || BigInt(stored) > CNTR_MAX)) {
      throw new InputError(`must be a decimal string 0 … 2^40−1, got ${JSON.stringify(stored)}`, { layer: `counter state ${path}`, field: `counters.${key}` });
    }
    // A fresh state is counter 0, as a fresh card's: the first value issued is 1, which a card in
    // "higher" or "exactly one higher" mode accepts.
    const prev = stored !== undefined ? BigInt(stored as string) : 0n;
    const next = prev + 1n;
    const last = prev + BigInt(count);
    if (last > CNTR_MAX) throw new InputError(`counter for ${key} is exhausted (2^40−1 reached)`, { field: 'CNTR' });
    return { value: { format: 'uicc-ota-counters/1', counters: { ...cur.counters, [key]: last.toString() } }, result: next };
  });
}
