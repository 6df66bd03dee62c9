/** Pieces shared by the command (cl. 5.1) and response (cl. 5.2) packet codecs. */
import { InputError } from '../util/errors.js';
import { blockSize, computeCc, computeRc, type CipherAlg, type KeyCheck } from '../crypto/index.js';
import { constantTimeEqual, toHex } from '../util/hex.js';
import type { Integrity } from './spi.js';
import { ccAlgFor, rcAlgFor, type KeyMaterial } from './keys.js';
import { decodeKidCc, decodeKidRc } from './kic.js';

export const CNTR_MAX = (1n << 40n) - 1n;

export function encodeCounter(c: bigint): Uint8Array {
  if (c < 0n || c > CNTR_MAX) throw new InputError(`${c} does not fit 5 octets (0 … 2^40−1)`, { field: 'CNTR' });
  const out = new Uint8Array(5);
  let v = c;
  for (let i = 4; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function decodeCounter(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

/** Parse a counter given by the user: decimal, 0x-hex, or 10 hex digits. */
export function parseCounter(s: string): bigint {
  const t = s.trim();
  let v: bigint;
  try {
    // Exactly 10 digits is the CNTR field as hex (as copied from a dump), even when all are decimal digits.
    if (/^0x[0-9a-f]+$/i.test(t)) v = BigInt(t);
    else if (/^[0-9a-f]{10}$/i.test(t)) v = BigInt('0x' + t);
    else if (/^[0-9]+$/.test(t)) v = BigInt(t);
    else throw new Error();
  } catch {
    throw new InputError(`not a number: "${s}" (decimal, 0x-hex, or 10 hex digits)`, { field: 'CNTR' });
  }
  if (v > CNTR_MAX) throw new InputError(`${t} does not fit 5 octets (max 1099511627775 = 0xFFFFFFFFFF)`, { field: 'CNTR' });
  return v;
}

export interface Integ {
  type: Integrity;
  /** Algorithm name (crc16, aes-cmac, ...), when known. */
  algorithm?: string;
  length: number;
}

/** Length and algorithm of the RC/CC/DS field for building (TS 102 225 cl. 5.1.3). */
export function integrityFor(type: Integrity, kid: number, keys: KeyMaterial, ccLength?: number, field = 'KID'): Integ {
  switch (type) {
    case 'none':
      return { type, length: 0 };
    case 'rc': {
      const alg = rcAlgFor(kid, keys);
      return { type, algorithm: alg, length: alg === 'crc16' ? 2 : 4 };
    }
    case 'cc': {
      const alg = ccAlgFor(kid, keys);
      let len = 8;
      if (ccLength !== undefined) {
        if (alg === 'aes-cmac' ? ccLength !== 4 && ccLength !== 8 : ccLength !== 8) {
          throw new InputError(`CC length ${ccLength} not possible with ${alg} (${alg === 'aes-cmac' ? '4 or 8' : '8'})`, { field: '--cc-len' });
        }
        len = ccLength;
      }
      return { type, algorithm: alg, length: len };
    }
    case 'ds':
      throw new InputError('digital signature (DS) is not supported: no standard algorithm is defined for it', { field: field === 'KID' ? 'SPI' : field });
  }
}

/** Expected RC/CC length for a received packet: checks the header's value against SPI/KID. */
export function checkIntegrityLength(type: Integrity, kid: number, keys: KeyMaterial, lSig: number, where: { field: string; offset: number; layer: string; kidOffset?: number }): Integ {
  if (type === 'none') {
    if (lSig !== 0) throw new InputError(`implies a ${lSig}-octet RC/CC/DS but the SPI asks for none`, where);
    return { type, length: 0 };
  }
  if (type === 'ds') {
    return { type, length: lSig };
  }
  // A reserved KID code is bad input (TS 102 225 cl. 5.1.3); implicit/proprietary ones are legitimate
  // but unknown to us: the length is then taken from the header, unchecked.
  const named = (type === 'rc' ? decodeKidRc(kid) : decodeKidCc(kid)).algorithm;
  if (named === null && !keys.kidAlg) {
    throw new InputError(`0x${kid.toString(16).toUpperCase().padStart(2, '0')} is a reserved ${type.toUpperCase()} algorithm code`, { layer: where.layer, field: 'KID', offset: where.kidOffset });
  }
  let alg: string | undefined;
  try {
    alg = type === 'rc' ? rcAlgFor(kid, keys) : ccAlgFor(kid, keys);
  } catch {
    alg = undefined;
  }
  if (alg) {
    const ok = alg === 'crc16' ? lSig === 2 : alg === 'crc32' ? lSig === 4 : alg === 'aes-cmac' ? lSig === 4 || lSig === 8 : lSig === 8;
    if (!ok) {
      const want = alg === 'crc16' ? '2' : alg === 'crc32' ? '4' : alg === 'aes-cmac' ? '4 or 8' : '8';
      throw new InputError(`implies a ${lSig}-octet ${type.toUpperCase()} but ${alg} gives ${want}`, where);
    }
  }
  return { type, algorithm: alg, length: lSig };
}

export interface ChecksumResult {
  type: Integrity;
  algorithm?: string;
  /** The value carried in the packet (null when it could not be read, e.g. ciphered without key). */
  value: Uint8Array | null;
  /** Our computation, when we could compute it. */
  computed?: Uint8Array;
  /** true = verified, false = mismatch, null = not checked (see reason). */
  verified: boolean | null;
  reason?: string;
}

export function computeIntegrity(integ: Integ, kidKey: Uint8Array | undefined, input: Uint8Array, opts: KeyCheck = {}): Uint8Array {
  if (integ.type === 'rc') return computeRc(integ.algorithm as 'crc16' | 'crc32', input);
  if (integ.type === 'cc') {
    if (!kidKey) throw new InputError('a CC needs the KID key (--kid-key, UICC_OTA_KID or --keyset)', { field: 'KID key' });
    return computeCc(integ.algorithm as 'aes-cmac', kidKey, input, integ.length, opts);
  }
  return new Uint8Array(0);
}

export function verifyIntegrity(integ: Integ, kidKey: Uint8Array | undefined, input: Uint8Array, value: Uint8Array, missingHint?: string): ChecksumResult {
  const type = integ.type;
  const algorithm = integ.algorithm;
  if (integ.type === 'none') return { type, algorithm, value, verified: null, reason: 'no RC/CC/DS in this packet' };
  if (integ.type === 'ds') return { type, algorithm, value, verified: null, reason: 'DS not supported' };
  if (!integ.algorithm) return { type, algorithm, value, verified: null, reason: 'KID names no standard algorithm (give --kid-alg; for a PoR, --kid or --request)' };
  if (integ.type === 'cc' && !kidKey) return { type, algorithm, value, verified: null, reason: missingHint ?? 'no KID key given' };
  // Verifying what someone else sent: a weak (single-DES-equivalent) key is noted by the caller, not refused.
  const computed = computeIntegrity(integ, kidKey, input, { allowWeak: true });
  return { type, algorithm, value, computed, verified: constantTimeEqual(computed, value), reason: undefined };
}

export function padLength(alg: CipherAlg, used: number): number {
  const B = blockSize(alg);
  return (B - (used % B)) % B;
}

/**
 * `showComputed`: on a mismatch, also give the value computed with the held key. Off by default:
 * with an unciphered packet the computed CC is exactly what a forger needs (a MAC oracle).
 */
export function checksumJson(c: ChecksumResult, showComputed = false): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: c.type,
    value: c.value && c.value.length ? toHex(c.value) : null,
    verified: c.verified,
  };
  if (c.algorithm) out.algorithm = c.algorithm;
  if (showComputed && c.computed && c.verified === false) out.computed = toHex(c.computed);
  if (c.reason) out.reason = c.reason;
  return out;
}
