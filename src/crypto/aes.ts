/**
 * AES-CBC with zero IV and AES-ECB, no padding (TS 102 225 cl. 5.1.2; digest 7.1),
 * via node:crypto. Key length (16/24/32) picks AES-128/192/256.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { InputError } from '../util/errors.js';

const ZERO_IV = new Uint8Array(16);

function run(key: Uint8Array, data: Uint8Array, mode: 'cbc' | 'ecb', decrypt: boolean): Uint8Array {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new InputError(`AES key must be 16, 24 or 32 octets, got ${key.length}`, { field: 'AES key' });
  }
  if (data.length % 16 !== 0) {
    throw new InputError(`${data.length} octets is not a multiple of the 16-octet block`, {
      layer: `AES-${mode.toUpperCase()}`,
      field: 'input',
    });
  }
  const name = `aes-${key.length * 8}-${mode}`;
  const iv = mode === 'cbc' ? ZERO_IV : null;
  const c = decrypt ? createDecipheriv(name, key, iv) : createCipheriv(name, key, iv);
  c.setAutoPadding(false);
  // Copy into a plain Uint8Array of exact size (no pooled Buffer escapes).
  const out = new Uint8Array(data.length);
  const a = c.update(data);
  out.set(a, 0);
  out.set(c.final(), a.length);
  return out;
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
