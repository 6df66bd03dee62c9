/**
 * The CAT_TP (and TCP/IP) dialect of the secured packet, TS 102 225: CPI 01 /
 * RPI 02 are octets of the packet, CPL/RPL are BER-TLV lengths, and
 * CPI/CPL/CHL (RPI/RPL/RHL) enter the RC/CC/DS; no UDH octets.
 */
import { InputError } from '../util/errors.js';
import type { Dialect } from '../secured/dialect.js';

export function encodeBerLength(n: number, field: string): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n <= 0xff) return Uint8Array.of(0x81, n);
  if (n <= 0xffff) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  if (n <= 0xffffff) return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  throw new InputError(`${n} does not fit a BER length`, { field });
}

export function decodeBerLength(b: Uint8Array, offset: number, field: string, layer = 'command packet'): { value: number; size: number } {
  const first = b[offset];
  if (first === undefined) throw new InputError('missing', { layer, field, offset });
  if (first < 0x80) return { value: first, size: 1 };
  const n = first & 0x7f;
  if (n === 0 || n > 3) throw new InputError(`0x${first.toString(16).toUpperCase()} is not a BER length form this dialect allows (00–7F, 81, 82, 83)`, { layer, field, offset });
  if (b.length < offset + 1 + n) throw new InputError(`BER length needs ${n + 1} octets`, { layer, field, offset });
  let v = 0;
  for (let i = 1; i <= n; i++) v = (v << 8) | b[offset + i];
  // Non-minimal forms (81 05) are accepted: robust on receive, minimal on send.
  return { value: v, size: 1 + n };
}

export const cattpDialect: Dialect = {
  name: 'cat_tp',
  cpi: 0x01,
  rpi: 0x02,
  encodeLength: encodeBerLength,
  decodeLength: (b, offset, field) => decodeBerLength(b, offset, field, field === 'CPL' ? 'command packet' : 'response packet'),
  responseChecksumPrefix: new Uint8Array(0),
};
