/**
 * `counter show|set|next` as functions: the sending entity's counter state
 * (what `--counter next` reads and advances; the counter of TS 102 225 cl.
 * 5.1.1, per key set and TAR). Logic in src/keys/counters.ts.
 */
import { InputError } from '../util/errors.js';
import { intOption } from '../util/options.js';
import { parseTar } from '../secured/tar.js';
import { parseCounter } from '../secured/common.js';
import { counterKey, nextCounter, setCounter, showCounters } from '../keys/counters.js';

type Num = string | number;

/** Options of the counter commands (long option names in camelCase). */
export interface CounterOptions {
  /** Keyset file: its state file is `<keyset>.counters.json` (or under $XDG_STATE_HOME/uicc-ota/). */
  keyset?: string;
  /** The state file itself. */
  state?: string;
  /** Key version number of the KIc (0-15). */
  kvn?: Num;
  /** TAR, 3 octets (hex). */
  tar?: string;
}

export interface CounterShowResult {
  /** The state file. */
  path: string;
  exists: boolean;
  /** `kvn<N>/<TAR>` → the last counter issued (decimal). */
  counters: Record<string, string | number>;
  /** With kvn/tar: the entry asked for. */
  key?: string;
}

export interface CounterSetResult {
  key: string;
  counter: bigint;
  path: string;
}

export interface CounterNextResult {
  key: string;
  /** The counter reserved (stored as used). */
  counter: bigint;
}

function keyOf(o: CounterOptions, need: boolean): string | undefined {
  if (o.kvn === undefined && o.tar === undefined && !need) return undefined;
  if (o.kvn === undefined) throw new InputError('give --kvn N (the key version of the KIc)', { field: '--kvn' });
  if (o.tar === undefined) throw new InputError('give --tar HEX (3 octets)', { field: '--tar' });
  return counterKey(intOption(o.kvn, '--kvn', 0, 15) << 4, parseTar(o.tar));
}

const norm = (o: CounterOptions) => ({ state: o.state, keyset: o.keyset });

/** `counter show`: the state file and its counters (all, or the one of kvn/tar). */
export function counterShow(o: CounterOptions = {}): CounterShowResult {
  const key = keyOf(o, false);
  const r = showCounters(norm(o), key);
  return key === undefined ? r : { ...r, key };
}

/**
 * `counter set VALUE`: store VALUE as the last counter issued for kvn/tar (the
 * next is VALUE+1). A string is read as the command reads it (decimal, 0x-hex,
 * exactly 10 hex digits as hex); a number or bigint is the value itself.
 */
export async function counterSet(value: Num | bigint, o: CounterOptions): Promise<CounterSetResult> {
  const key = keyOf(o, true)!;
  const counter = typeof value === 'string' ? parseCounter(value) : BigInt(value);
  const path = await setCounter(norm(o), key, counter);
  return { key, counter, path };
}

/** `counter next`: reserve the next counter for kvn/tar, as `--counter next` does. */
export async function counterNext(o: CounterOptions): Promise<CounterNextResult> {
  const key = keyOf(o, true)!;
  const counter = await nextCounter(norm(o), intOption(o.kvn!, '--kvn', 0, 15) << 4, 0, parseTar(o.tar!));
  return { key, counter };
}

/** The counter commands as one object, like `spi` / `kic`: `counter.show()`, `counter.set(v, o)`, `counter.next(o)`. */
export const counter = { show: counterShow, set: counterSet, next: counterNext };
