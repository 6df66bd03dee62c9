/**
 * DES/3DES CBC-MAC for the TS 102 225 cryptographic checksum (cl. 5.1.3.1):
 * ISO/IEC 9797-1 MAC algorithm 1 with padding method 1 — zero-pad to a multiple
 * of 8 (nothing added when aligned; empty input becomes one zero block), CBC
 * with IV 0, output the last block.
 */
import { scratch } from '../util/bytes.js';
import { desCbcLast } from './des.js';

/** Key of 8 (DES), 16 (3DES 2-key) or 24 (3DES 3-key) octets; returns 8 octets. */
export function desCbcMac(key: Uint8Array, data: Uint8Array): Uint8Array {
  // An aligned input is MACed as it is; the others are zero-padded in a scratch copy.
  if (data.length > 0 && data.length % 8 === 0) return desCbcLast(key, data);
  const padded = scratch(data.length === 0 ? 8 : Math.ceil(data.length / 8) * 8);
  padded.set(data);
  return desCbcLast(key, padded);
}
