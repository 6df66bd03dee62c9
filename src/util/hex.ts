import { InputError } from './errors.js';

const HEX = '0123456789ABCDEF';
const LUT: string[] = Array.from({ length: 256 }, (_, i) => HEX[i >> 4] + HEX[i & 15]);

/** Upper-case hex character codes of every octet (two each), for hexOut. */
const HEX_CODES = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  HEX_CODES[2 * i] = HEX.charCodeAt(i >> 4);
  HEX_CODES[2 * i + 1] = HEX.charCodeAt(i & 15);
}

/** Scratch for medium inputs: their digits are written there (hexOut), then read as one latin1 string. */
const SCRATCH_OCTETS = 2048;
const scratch = Buffer.allocUnsafeSlow(2 * SCRATCH_OCTETS);

/** Upper-case hex, no separators (the form every command prints). */
export function toHex(b: Uint8Array): string {
  const n = b.length;
  if (n >= 16) {
    // One flat string (a chain of concatenations is slower to build and to read): the digit pairs
    // written into scratch and decoded once; longer inputs through Node's hex encoder.
    if (n > SCRATCH_OCTETS) return Buffer.from(b.buffer, b.byteOffset, n).toString('hex').toUpperCase();
    return scratch.toString('latin1', 0, hexOut(b, 0, n, scratch, 0));
  }
  let s = '';
  for (let i = 0; i < n; i++) s += LUT[b[i]];
  return s;
}

/** One octet as two upper-case hex digits ("0A"). */
export function hex2(n: number): string {
  return LUT[n & 0xff];
}

/** A 16-bit value (a status word, a checksum) as four upper-case hex digits ("6A82"). */
export function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}

/** Upper-case hex with a space between octets, for trees. */
export function toHexSpaced(b: Uint8Array): string {
  const out: string[] = new Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = LUT[b[i]];
  return out.join(' ');
}

/**
 * Parse user hex: accepts spaces, tabs, newlines, colons, dashes, and a leading
 * `0x` per token. Reports the first bad character by its position in the
 * string and odd lengths by digit count. `what` names the input in errors
 * (their field); '' for none, where the caller says where (a batch's "line N").
 */
export function fromHex(input: string, what = 'hex input'): Uint8Array {
  // Fast path: nothing but an even number of hex digits (Buffer's decoder stops at the first
  // non-hex character, so a full-length result means every character was a digit).
  if (input.length % 2 === 0 && input.length <= 0x10000) {
    const b = Buffer.from(input, 'hex');
    if (b.length * 2 === input.length) {
      // A plain Uint8Array view (Buffer's slice() would not copy).
      return new Uint8Array(b.buffer, b.byteOffset, b.length);
    }
  }
  // The input is read as typed: the reported position counts every character, leading blanks and
  // `0x` prefixes (of the whole input or of each token, "0x00 0x28") included.
  const s = input;
  const digits: number[] = [];
  let tokenStart = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 58 || c === 45 || c === 44) {
      tokenStart = true;
      continue;
    }
    if (tokenStart && c === 48 && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
      i++;
      tokenStart = false;
      continue;
    }
    tokenStart = false;
    let v: number;
    if (c >= 48 && c <= 57) v = c - 48;
    else if (c >= 65 && c <= 70) v = c - 55;
    else if (c >= 97 && c <= 102) v = c - 87;
    else throw new InputError(`not a hex digit ${JSON.stringify(s[i])} at character ${i + 1}`, { field: what || undefined });
    digits.push(v);
  }
  if (digits.length % 2 !== 0) {
    throw new InputError(`odd number of hex digits (${digits.length})`, { field: what || undefined });
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (digits[2 * i] << 4) | digits[2 * i + 1];
  return out;
}

/** Whether fromHex(input.slice(from, to)) would succeed (the same syntax), without decoding or slicing. */
export function isHexText(input: string, from = 0, to = input.length): boolean {
  return hexOctets(input, from, to) >= 0;
}

/** The octets fromHex(input.slice(from, to)) would give, -1 when it would fail; without decoding or slicing. */
export function hexOctets(input: string, from = 0, to = input.length): number {
  let digits = 0;
  let tokenStart = true;
  for (let i = from; i < to; i++) {
    const c = input.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 58 || c === 45 || c === 44) {
      tokenStart = true;
      continue;
    }
    if (tokenStart && c === 48 && i + 1 < to && (input.charCodeAt(i + 1) | 0x20) === 120) {
      i++;
      tokenStart = false;
      continue;
    }
    tokenStart = false;
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)) digits++;
    else return -1;
  }
  return digits % 2 === 0 ? digits >> 1 : -1;
}

/** Parse a hex value that must have an exact length in octets. */
export function fromHexN(input: string, n: number, what: string): Uint8Array {
  const b = fromHex(input, what);
  if (b.length !== n) throw new InputError(`must be ${n} octet${n === 1 ? '' : 's'}, got ${b.length}`, { field: what });
  return b;
}

const fresh = (n: number): Uint8Array => new Uint8Array(n);

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatWith(fresh, parts);
}

/** The parts one after the other, in the array `alloc` gives for their total length. */
export function concatWith(alloc: (n: number) => Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = alloc(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Constant-time comparison for MACs (the length is public, the content is not). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && constantTimeEqualAt(a, 0, b, 0, a.length);
}

/**
 * `n` octets of `a` from `aAt` against those of `b` from `bAt`, in constant time
 * (batches compare CCs in place, without a view per packet). Pure function
 * instead of node:crypto's timingSafeEqual, so that loading this module does not
 * load node:crypto: every octet is visited, no early exit.
 */
export function constantTimeEqualAt(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, n: number): boolean {
  let d = 0;
  for (let i = 0; i < n; i++) d |= a[aAt + i] ^ b[bAt + i];
  return d === 0;
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

/** Digit values by character code (-1: not a hex digit), for hexInto. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) DIGIT[48 + i] = i;
for (let i = 0; i < 6; i++) DIGIT[65 + i] = DIGIT[97 + i] = 10 + i;

/**
 * Batch fast path of fromHex: a string of hex digits only (even count, no
 * separators) decoded into out[at…]; returns the octets written, or -1 when
 * the string is anything else (then fromHex gives the result or the error).
 * `out` must have room for s.length / 2 octets.
 */
export function hexInto(s: string, out: Uint8Array, at: number): number {
  const n = s.length;
  if (n & 1) return -1;
  for (let i = 0, o = at; i < n; i += 2, o++) {
    const a = s.charCodeAt(i);
    const b = s.charCodeAt(i + 1);
    const hi = a < 128 ? DIGIT[a] : -1;
    const lo = b < 128 ? DIGIT[b] : -1;
    if ((hi | lo) < 0) return -1;
    out[o] = (hi << 4) | lo;
  }
  return n >> 1;
}

/** toHex of b[from … to) as character codes written into dst[at…]; returns the new end. */
export function hexOut(b: Uint8Array, from: number, to: number, dst: Uint8Array, at: number): number {
  for (let i = from; i < to; i++) {
    const v = b[i] << 1;
    dst[at++] = HEX_CODES[v];
    dst[at++] = HEX_CODES[v + 1];
  }
  return at;
}
