/**
 * AES-CBC with zero IV and AES-ECB, no padding (TS 102 225 cl. 5.1.2),
 * on the selected backend (backend.ts). Key length (16/24/32) picks AES-128/192/256.
 */
import { InputError } from '../util/errors.js';
import { engine } from './engine.js';

function check(key: Uint8Array, data: Uint8Array, mode: 'cbc' | 'ecb'): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new InputError(`AES key must be 16, 24 or 32 octets, got ${key.length}`, { field: 'AES key' });
  }
  if (data.length % 16 !== 0) {
    throw new InputError(`${data.length} octets is not a multiple of the 16-octet block`, {
      layer: `AES-${mode.toUpperCase()}`,
      field: 'input',
    });
  }
}

function run(key: Uint8Array, data: Uint8Array, mode: 'cbc' | 'ecb', decrypt: boolean): Uint8Array {
  check(key, data, mode);
  const e = engine();
  if (mode === 'cbc') return decrypt ? e.cbcDecrypt('aes', key, data) : e.cbcEncrypt('aes', key, data);
  return decrypt ? e.ecbDecrypt('aes', key, data) : e.ecbEncrypt('aes', key, data);
}

export function aesCbcEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  return run(key, data, 'cbc', false);
}

export function aesCbcDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  return run(key, data, 'cbc', true);
}

/** AES-ECB encryption of whole blocks (used for the CMAC subkeys). */
export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  return run(key, data, 'ecb', false);
}

/** The last block of the zero-IV CBC encryption of `data` (the CMAC's tag), without the ciphertext before it. */
export function aesCbcLast(key: Uint8Array, data: Uint8Array): Uint8Array {
  check(key, data, 'cbc');
  return engine().cbcLast('aes', key, data);
}
