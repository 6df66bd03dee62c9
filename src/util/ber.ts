/**
 * BER definite lengths (ETSI TS 101 220 cl. 7.1.1 / ISO/IEC 8825-1): 00-7F in
 * one octet, else 8n followed by n octets. One codec for every layer that uses
 * them (CAT TLVs, remote APDU TLVs, the CAT_TP dialect's CPL/RPL); each says
 * how many length octets it allows.
 */
import { InputError, type ErrorWhere } from './errors.js';
import { hex2 } from './hex.js';
import { withMembers } from './object.js';

/** `decodeBerLength` result for the indefinite form 80 (when allowed). */
export const INDEFINITE = -1;

const FORMS = ['00-7F', '81 xx', '82 xx xx', '83 xx xx xx'];

/** Shortest form; `maxOctets` length octets after the 8n octet at most. */
export function encodeBerLength(n: number, maxOctets: 1 | 2 | 3, where: ErrorWhere): Uint8Array {
  if (!Number.isInteger(n) || n < 0) throw new InputError(`length ${n} is not a non-negative integer`, where);
  if (n < 0x80) return Uint8Array.of(n);
  const octets = n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffff ? 3 : 4;
  if (octets > maxOctets) throw new InputError(`${n} does not fit the length forms allowed here (${FORMS.slice(0, maxOctets + 1).join(', ')})`, where);
  const out = new Uint8Array(1 + octets);
  out[0] = 0x80 | octets;
  for (let i = 0; i < octets; i++) out[octets - i] = (n >> (8 * i)) & 0xff;
  return out;
}

export function berLengthSize(n: number): number {
  return n < 0x80 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 4;
}

/**
 * Length at `o` (input ends at `end`). Non-minimal forms (81 05) are accepted:
 * strict on sending, lenient on receiving. `where.offset` is set to `o`.
 */
export function decodeBerLength(
  b: Uint8Array, o: number, end: number, maxOctets: 1 | 2 | 3, where: ErrorWhere, allowIndefinite = false,
): { value: number; size: number } {
  if (o < end && b[o] < 0x80) return { value: b[o], size: 1 };
  // Only a long form or an error needs the place (built here, not on the common path). Not
  // { ...where, offset }: a member added after a spread is slow in Node 20.
  const at = withMembers(where, { offset: o });
  if (o >= end) throw new InputError('length missing: input ends here', at);
  const first = b[o];
  if (first === 0x80 && allowIndefinite) return { value: INDEFINITE, size: 1 };
  const k = first & 0x7f;
  if (k === 0 || k > maxOctets) {
    throw new InputError(`bad length form ${hex2(first)} (supported: ${FORMS.slice(0, maxOctets + 1).join(', ')}${allowIndefinite ? ', 80 indefinite' : ''})`, at);
  }
  if (o + 1 + k > end) throw new InputError(`length form ${hex2(first)} needs ${k} more octet${k > 1 ? 's' : ''}, ${end - o - 1} present`, at);
  let v = 0;
  for (let i = 1; i <= k; i++) v = v * 256 + b[o + i];
  return { value: v, size: 1 + k };
}
