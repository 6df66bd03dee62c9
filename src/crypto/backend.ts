/**
 * Which implementation runs the block ciphers: `native` (Node's OpenSSL: one
 * long-lived cipher object per key), `forge` (node-forge, pure JavaScript, the
 * independent implementation the tests cross-check), `builtin` (this
 * package's own DES/3DES and AES, builtin.ts) or `auto`, the default: the
 * first AUTO_BUILTIN_BLOCKS blocks of a process on `builtin` (a command that
 * ciphers one packet then never loads node:crypto, a good part of its
 * start-up), everything after them and every batch (CbcBatch) on `native`;
 * DES/3DES operations of a few blocks stay on `builtin` and do not count
 * against those blocks (faster there than a call into OpenSSL, whose DES is
 * table-driven too; engine.ts).
 * The bytes are the same whichever runs them (the tests check all four).
 * Chosen by setCryptoBackend() or, when never called, by the environment
 * variable UICC_OTA_CRYPTO (auto | native | forge | builtin).
 */
import { InputError } from '../util/errors.js';

export type CryptoBackend = 'auto' | 'native' | 'forge' | 'builtin';
export const CRYPTO_BACKENDS: readonly CryptoBackend[] = ['auto', 'native', 'forge', 'builtin'];

/** Blocks a process runs on the built-in ciphers under `auto` before it moves to OpenSSL (a long script's packets, a batch); short DES/3DES operations, always built in, do not count (engine.ts). */
export const AUTO_BUILTIN_BLOCKS = 256;

/** Block-cipher primitive kinds: DES (8-octet key), 3DES (16/24), AES (16/24/32). */
export type BlockKind = 'des' | 'aes';

/**
 * What a backend provides: whole blocks only (callers check lengths), IV zero
 * for CBC. Results are fresh arrays the caller may keep or modify.
 */
export interface BlockEngine {
  cbcEncrypt(kind: BlockKind, key: Uint8Array, data: Uint8Array): Uint8Array;
  cbcDecrypt(kind: BlockKind, key: Uint8Array, data: Uint8Array): Uint8Array;
  ecbEncrypt(kind: BlockKind, key: Uint8Array, data: Uint8Array): Uint8Array;
  ecbDecrypt(kind: BlockKind, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** The last block of the zero-IV CBC encryption of `data` (a CBC-MAC), without making the ciphertext before it. */
  cbcLast(kind: BlockKind, key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * A long-lived ECB encryption under one key (key schedule done once): each
   * call encrypts whole blocks. The result may be reused by the next call of
   * the same function (batch.ts reads it before calling again).
   */
  ecbEncryptor(kind: BlockKind, key: Uint8Array): (data: Uint8Array) => Uint8Array;
  /** The same for ECB decryption (absent: the backend has no long-lived decipher; callers go packet by packet). */
  ecbDecryptor?(kind: BlockKind, key: Uint8Array): (data: Uint8Array) => Uint8Array;
}

let chosen: CryptoBackend | undefined;

function parse(v: string, field: string): CryptoBackend {
  if ((CRYPTO_BACKENDS as readonly string[]).includes(v)) return v as CryptoBackend;
  throw new InputError(`${JSON.stringify(v)} is not a crypto backend (auto, native, forge or builtin)`, { field });
}

/** Select the backend for every later operation in this process (or thread). */
export function setCryptoBackend(b: CryptoBackend): void {
  chosen = parse(b, 'crypto backend');
}

export function getCryptoBackend(): CryptoBackend {
  if (chosen === undefined) {
    const env = process.env.UICC_OTA_CRYPTO;
    chosen = env === undefined || env === '' ? 'auto' : parse(env, 'UICC_OTA_CRYPTO');
  }
  return chosen;
}
