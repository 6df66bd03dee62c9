/**
 * DES and triple-DES (EDE) block ciphers, CBC with zero IV or ECB, no padding
 * (TS 102 225 cl. 5.1.2).
 *
 * Runs on the selected backend (backend.ts): OpenSSL through node:crypto by
 * default (single DES as 3DES with K1 = K2 = K3, since OpenSSL 3 keeps DES in
 * its legacy provider), or node-forge.
 */
import { InputError } from '../util/errors.js';
import { engine } from './engine.js';

export type DesMode = 'cbc' | 'ecb';

function label(keyLen: number, mode: DesMode): string {
  const m = mode.toUpperCase();
  return keyLen === 8 ? `DES-${m}` : keyLen === 16 ? `3DES-2key-${m}` : `3DES-3key-${m}`;
}

function check(key: Uint8Array, data: Uint8Array, mode: DesMode): void {
  if (key.length !== 8 && key.length !== 16 && key.length !== 24) {
    throw new InputError(`DES key must be 8, 16 or 24 octets, got ${key.length}`, { field: 'DES key' });
  }
  if (data.length % 8 !== 0) {
    throw new InputError(`${data.length} octets is not a multiple of the 8-octet block`, {
      layer: label(key.length, mode),
      field: 'input',
    });
  }
}

function run(key: Uint8Array, data: Uint8Array, mode: DesMode, decrypt: boolean): Uint8Array {
  check(key, data, mode);
  const e = engine();
  if (mode === 'cbc') return decrypt ? e.cbcDecrypt('des', key, data) : e.cbcEncrypt('des', key, data);
  return decrypt ? e.ecbDecrypt('des', key, data) : e.ecbEncrypt('des', key, data);
}

/** Encrypt with DES (8-octet key), 3DES 2-key (16) or 3DES 3-key (24). */
export function desEncrypt(key: Uint8Array, data: Uint8Array, mode: DesMode = 'cbc'): Uint8Array {
  return run(key, data, mode, false);
}

export function desDecrypt(key: Uint8Array, data: Uint8Array, mode: DesMode = 'cbc'): Uint8Array {
  return run(key, data, mode, true);
}

/** The last block of the zero-IV CBC encryption of `data` (the CBC-MAC of TS 102 225 cl. 5.1.3.1), without the ciphertext before it. */
export function desCbcLast(key: Uint8Array, data: Uint8Array): Uint8Array {
  check(key, data, 'cbc');
  return engine().cbcLast('des', key, data);
}
