/**
 * Declarative bit-field tables shared by the SMS-PP codecs: one entry per
 * field of an octet (name as in the spec/Wireshark, mask, key in the typed
 * value). Reading, writing and the tree's bit lines all come from the table.
 */
import { hex2 } from '../util/hex.js';
import { bitLine } from '../render/tree.js';
import { InputError } from '../util/errors.js';

export interface BitField {
  /** Key in the typed value object. */
  key: string;
  /** Field name as Wireshark / TS 23.040 print it. */
  name: string;
  mask: number;
  /** Human label for a value (for bit lines). */
  describe?: (v: number) => string;
}

function shiftOf(mask: number): number {
  let s = 0;
  while (mask && !(mask & 1)) {
    mask >>= 1;
    s++;
  }
  return s;
}

export function getBits(octet: number, mask: number): number {
  return (octet & mask) >>> shiftOf(mask);
}

export function setBits(octet: number, mask: number, v: number): number {
  return (octet & ~mask) | ((v << shiftOf(mask)) & mask);
}

/** Read every field of an octet into a record of numbers. */
export function readFields(octet: number, table: readonly BitField[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of table) out[f.key] = getBits(octet, f.mask);
  return out;
}

/** Build an octet from field values (missing = 0); values must fit their mask. */
export function writeFields(values: object, table: readonly BitField[], layer: string): number {
  let o = 0;
  for (const f of table) {
    const raw = (values as Record<string, unknown>)[f.key];
    const v = raw === undefined ? 0 : typeof raw === 'boolean' ? (raw ? 1 : 0) : Number(raw);
    const max = f.mask >>> shiftOf(f.mask);
    if (!Number.isInteger(v) || v < 0 || v > max) {
      throw new InputError(`value ${v} does not fit (0..${max})`, { layer, field: f.name });
    }
    o = setBits(o, f.mask, v);
  }
  return o;
}

/** Bit lines per table and octet value, built on first use (the describe functions are pure). */
const LINE_CACHE = new WeakMap<readonly BitField[], (string[] | undefined)[]>();

/** Wireshark-style bit lines for one octet (the same array for the same table and octet: do not modify it). */
export function fieldBitLines(octet: number, table: readonly BitField[]): string[] {
  let byOctet = LINE_CACHE.get(table);
  if (!byOctet) LINE_CACHE.set(table, (byOctet = new Array(256)));
  const o = octet & 0xff;
  return (byOctet[o] ??= table.map((f) => {
    const v = getBits(o, f.mask);
    return bitLine(o, f.mask, `${f.name}: ${f.describe ? f.describe(v) : String(v)}`);
  }));
}

// One hex helper for the whole project; re-exported for this layer's users.
export { hex2 };

/** Throw unless `need` octets are available at `offset`. */
export function need(bytes: Uint8Array, offset: number, n: number, layer: string, field: string): void {
  if (offset + n > bytes.length) {
    const have = Math.max(0, bytes.length - offset);
    throw new InputError(`needs ${n} octet${n === 1 ? '' : 's'}, ${have} present`, { layer, field, offset });
  }
}

export function checkByte(v: number, layer: string, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new InputError(`must be an octet (0..255), got ${v}`, { layer, field });
}
