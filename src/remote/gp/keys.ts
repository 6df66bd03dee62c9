/**
 * PUT KEY key data (GlobalPlatform Card Specification cl. 11.8.2.3; TS 102 226
 * cl. 8.2.1.5 for the SCP80 key sets): each new key is wrapped with the KIK
 * (key identifier 3, the DEK) of the key set that secures the command —
 * 3DES in ECB mode for DES keys (key type 80), AES in CBC mode with a zero
 * ICV for AES keys (key type 88; for a 16-octet key that is one ECB block) —
 * and followed by its key check value:
 *   DES/3DES: the first 3 octets of the key encrypting 8 octets of 00
 *             (GlobalPlatform Card Specification cl. 11.8.2.3, "Key Check Value");
 *   AES:      the first 3 octets of the key encrypting 16 octets of 01
 *             (GlobalPlatform Card Specification Amendment D, SCP03).
 */
import { InputError } from '../../util/errors.js';
import { concat } from '../../util/hex.js';
import { aesCbcDecrypt, aesCbcEncrypt, desDecrypt, desEncrypt } from '../../crypto/index.js';

export type KeyFamily = 'des' | 'aes';

/** GP key type octets (GlobalPlatform Card Specification Table 11-16). */
export const KEY_TYPE = { des: 0x80, aes: 0x88 } as const;

export function checkFamilyKey(family: KeyFamily, key: Uint8Array, field: string): void {
  const ok = family === 'des' ? key.length === 16 || key.length === 24 : [16, 24, 32].includes(key.length);
  if (!ok) throw new InputError(`a ${family === 'des' ? '3DES key is 16 or 24' : 'AES key is 16, 24 or 32'} octets, got ${key.length}`, { field });
}

/** Family of a keyset algorithm name (3des-2key-cbc, aes-cmac, …). */
export function familyOf(algorithm: string): KeyFamily {
  return algorithm.startsWith('aes') ? 'aes' : 'des';
}

export function kcv(family: KeyFamily, key: Uint8Array): Uint8Array {
  if (family === 'des') return desEncrypt(key, new Uint8Array(8), 'ecb').subarray(0, 3);
  return aesCbcEncrypt(key, new Uint8Array(16).fill(1)).subarray(0, 3);
}

export function wrapKey(kikFamily: KeyFamily, kik: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.length % (kikFamily === 'des' ? 8 : 16)) throw new InputError(`${key.length} octets is not a whole number of ${kikFamily === 'des' ? 8 : 16}-octet KIK blocks`, { field: 'new key' });
  return kikFamily === 'des' ? desEncrypt(kik, key, 'ecb') : aesCbcEncrypt(kik, key);
}

export function unwrapKey(kikFamily: KeyFamily, kik: Uint8Array, wrapped: Uint8Array): Uint8Array {
  return kikFamily === 'des' ? desDecrypt(kik, wrapped, 'ecb') : aesCbcDecrypt(kik, wrapped);
}

/**
 * One key data field: key type ‖ length ‖ wrapped key ‖ 03 ‖ KCV. For AES
 * (Amendment D) the length covers a key-length octet before the wrapped key:
 * `88 11 10 <16 octets> 03 <KCV>`.
 */
export function keyDataField(family: KeyFamily, key: Uint8Array, kikFamily: KeyFamily, kik: Uint8Array): Uint8Array {
  checkFamilyKey(family, key, 'new key');
  const w = wrapKey(kikFamily, kik, key);
  const body = family === 'aes' ? concat(Uint8Array.of(w.length + 1, key.length), w) : concat(Uint8Array.of(w.length), w);
  return concat(Uint8Array.of(KEY_TYPE[family]), body, Uint8Array.of(3), kcv(family, key));
}
