/**
 * The CAT_TP (and TCP/IP) dialect of the secured packet, TS 102 225: CPI 01 /
 * RPI 02 are octets of the packet, CPL/RPL are BER-TLV lengths, and
 * CPI/CPL/CHL (RPI/RPL/RHL) enter the RC/CC/DS; no UDH octets.
 */
import { decodeBerLength as berDecode, encodeBerLength as berEncode } from '../util/ber.js';
import type { Dialect } from '../secured/dialect.js';

/** CPL/RPL of the CAT_TP dialect: BER lengths up to 83 xx xx xx. */
export function encodeBerLength(n: number, field: string): Uint8Array {
  return berEncode(n, 3, { field });
}

export function decodeBerLength(b: Uint8Array, offset: number, field: string, layer = 'command packet'): { value: number; size: number } {
  return berDecode(b, offset, b.length, 3, { layer, field });
}

export const cattpDialect: Dialect = {
  name: 'cat_tp',
  cpi: 0x01,
  rpi: 0x02,
  encodeLength: encodeBerLength,
  decodeLength: (b, offset, field) => decodeBerLength(b, offset, field, field === 'CPL' ? 'command packet' : 'response packet'),
  responseChecksumPrefix: new Uint8Array(0),
};
