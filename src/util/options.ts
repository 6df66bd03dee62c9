/** Reading option values (octets, bounded integers) for the API and the CLI alike. */
import { InputError } from './errors.js';
import { fromHex } from './hex.js';

/** Hex text or bytes as given through the API. */
export type HexLike = string | Uint8Array;

/** Bytes from hex text (named `field` in errors) or a byte array as given. */
export function bytesOf(v: HexLike, field: string): Uint8Array {
  return typeof v === 'string' ? fromHex(v, field) : v;
}

export function octet(s: string | number, field: string): number {
  if (typeof s === 'number') {
    if (!Number.isInteger(s) || s < 0 || s > 255) throw new InputError(`must be one octet (0-255), got ${s}`, { field });
    return s;
  }
  const b = fromHex(s, field);
  if (b.length !== 1) throw new InputError(`must be one octet (2 hex digits), got ${b.length}`, { field });
  return b[0];
}

export function intOption(s: string | number, field: string, min: number, max: number): number {
  const t = String(s).trim();
  const v = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw new InputError(`"${s}" is not a whole number from ${min} to ${max}`, { field });
  return v;
}
