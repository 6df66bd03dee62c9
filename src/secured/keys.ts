/**
 * Key material handed to the secured-packet codecs, and resolution of the
 * algorithm from KIc/KID (with overrides for "implicit" codes).
 */
import { InputError } from '../util/errors.js';
import type { CipherAlg, CcAlg, RcAlg } from '../crypto/index.js';
import { decodeKic, decodeKidCc, decodeKidRc, algText } from './kic.js';
import { hex2 } from './bitfields.js';

export interface KeyMaterial {
  /** Ciphering key (KIc key). */
  kicKey?: Uint8Array;
  /** Integrity key (KID key). */
  kidKey?: Uint8Array;
  /** Algorithm to use when KIc says "implicit" (or to override). */
  kicAlg?: CipherAlg;
  /** Algorithm to use when KID says "implicit" (or to override). */
  kidAlg?: CcAlg | RcAlg;
  /**
   * Set when the KIc/KID key came from a keyset entry of another algorithm than
   * the one KIc/KID name: an error only if that key is actually used (an RC KID,
   * or a KIc without ciphering, needs no key).
   */
  kicMismatch?: string;
  kidMismatch?: string;
  /** Why no key was found although a keyset was given (e.g. "keyset k.json has no KVN 3 (it has 1, 2)"). */
  kicMissing?: string;
  kidMissing?: string;
  /** Building: accept a 3DES key that degrades to single DES (--allow-weak-key); the result carries a note. */
  allowWeak?: boolean;
}

/** The reason a key is absent, for messages: the keyset's explanation, or "no KIc key given". */
export function missingKey(keys: KeyMaterial, which: 'kic' | 'kid'): string {
  const m = which === 'kic' ? keys.kicMissing : keys.kidMissing;
  return m ?? `no ${which === 'kic' ? 'KIc' : 'KID'} key given`;
}

/** Throw the deferred keyset/algorithm mismatch when the key is about to be used. */
export function assertKeyFits(keys: KeyMaterial, which: 'kic' | 'kid'): void {
  const m = which === 'kic' ? keys.kicMismatch : keys.kidMismatch;
  if (m) throw new InputError(m, { field: which === 'kic' ? 'KIc' : 'KID' });
}

const CIPHERS: readonly string[] = ['des-cbc', 'des-ecb', '3des-2key-cbc', '3des-3key-cbc', 'aes-cbc'];
const CCS: readonly string[] = ['des-cbc-mac', '3des-2key-cbc-mac', '3des-3key-cbc-mac', 'aes-cmac'];
const RCS: readonly string[] = ['crc16', 'crc32'];

/** The cipher named by KIc, or the override; InputError when it cannot be used. */
export function cipherAlgFor(kic: number, keys: KeyMaterial, offset?: number): CipherAlg {
  if (keys.kicAlg) return keys.kicAlg;
  const a = decodeKic(kic).algorithm;
  if (a && CIPHERS.includes(a)) return a as CipherAlg;
  throw new InputError(`0x${hex2(kic)} names ${algText(a)}; give --kic-alg to say which cipher`, { field: 'KIc', offset });
}

/** The CC algorithm named by KID, or the override. */
export function ccAlgFor(kid: number, keys: KeyMaterial, offset?: number): CcAlg {
  if (keys.kidAlg && CCS.includes(keys.kidAlg)) return keys.kidAlg as CcAlg;
  const a = decodeKidCc(kid).algorithm;
  if (a && CCS.includes(a)) return a as CcAlg;
  throw new InputError(`0x${hex2(kid)} names ${algText(a)} for a CC; give --kid-alg to say which`, { field: 'KID', offset });
}

/** The RC algorithm named by KID, or the override. */
export function rcAlgFor(kid: number, keys: KeyMaterial, offset?: number): RcAlg {
  if (keys.kidAlg && RCS.includes(keys.kidAlg)) return keys.kidAlg as RcAlg;
  const a = decodeKidRc(kid).algorithm;
  if (a && RCS.includes(a)) return a as RcAlg;
  throw new InputError(`0x${hex2(kid)} names ${algText(a)} for an RC; give --kid-alg to say which`, { field: 'KID', offset });
}

export function isCipherAlg(s: string): s is CipherAlg {
  return CIPHERS.includes(s);
}
export function isIntegrityAlg(s: string): s is CcAlg | RcAlg {
  return CCS.includes(s) || RCS.includes(s);
}
export const ALL_CIPHERS = CIPHERS;
export const ALL_INTEGRITY = [...CCS, ...RCS];
