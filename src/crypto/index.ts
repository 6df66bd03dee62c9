/**
 * Algorithm registry for the secured-packet layer: the KIc ciphers
 * (TS 102 225 cl. 5.1.2), KID cryptographic checksums (cl. 5.1.3.1) and
 * redundancy checks (cl. 5.1.3.2). Loading this module is cheap: node:crypto or
 * node-forge is only loaded on the first cipher operation (backend.ts picks which).
 */
import { InputError } from '../util/errors.js';
import { aesCbcDecrypt, aesCbcEncrypt } from './aes.js';
import { desCbcMac } from './cbcmac.js';
import { aesCmac } from './cmac.js';
import { crc16x25, crc32 } from './crc.js';
import { desDecrypt, desEncrypt } from './des.js';
import { CbcBatch } from './batch.js';

export { aesCbcDecrypt, aesCbcEncrypt, aesEcbEncrypt } from './aes.js';
export { desCbcMac } from './cbcmac.js';
export { aesCmac } from './cmac.js';
export { crc16x25, crc32 } from './crc.js';
export { desDecrypt, desEncrypt, type DesMode } from './des.js';
export { CRYPTO_BACKENDS, getCryptoBackend, setCryptoBackend, type CryptoBackend } from './backend.js';
export { clearNativeContexts } from './native.js';
export { CbcBatch, type MacPadding } from './batch.js';

export type CipherAlg = 'des-cbc' | 'des-ecb' | '3des-2key-cbc' | '3des-3key-cbc' | 'aes-cbc';
export type CcAlg = 'des-cbc-mac' | '3des-2key-cbc-mac' | '3des-3key-cbc-mac' | 'aes-cmac';
export type RcAlg = 'crc16' | 'crc32';

type KeyKind = 'des' | '3des-2key' | '3des-3key' | 'aes';

interface CipherInfo {
  kind: KeyKind;
  block: 8 | 16;
  name: string;
  enc(key: Uint8Array, data: Uint8Array): Uint8Array;
  dec(key: Uint8Array, data: Uint8Array): Uint8Array;
}

const CIPHERS: Record<CipherAlg, CipherInfo> = {
  'des-cbc': { kind: 'des', block: 8, name: 'DES-CBC', enc: (k, d) => desEncrypt(k, d, 'cbc'), dec: (k, d) => desDecrypt(k, d, 'cbc') },
  'des-ecb': { kind: 'des', block: 8, name: 'DES-ECB', enc: (k, d) => desEncrypt(k, d, 'ecb'), dec: (k, d) => desDecrypt(k, d, 'ecb') },
  '3des-2key-cbc': { kind: '3des-2key', block: 8, name: '3DES 2-key CBC', enc: (k, d) => desEncrypt(k, d, 'cbc'), dec: (k, d) => desDecrypt(k, d, 'cbc') },
  '3des-3key-cbc': { kind: '3des-3key', block: 8, name: '3DES 3-key CBC', enc: (k, d) => desEncrypt(k, d, 'cbc'), dec: (k, d) => desDecrypt(k, d, 'cbc') },
  'aes-cbc': { kind: 'aes', block: 16, name: 'AES-CBC', enc: aesCbcEncrypt, dec: aesCbcDecrypt },
};

interface CcInfo {
  kind: KeyKind;
  name: string;
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
}

const CCS: Record<CcAlg, CcInfo> = {
  'des-cbc-mac': { kind: 'des', name: 'DES CBC-MAC', mac: desCbcMac },
  '3des-2key-cbc-mac': { kind: '3des-2key', name: '3DES 2-key CBC-MAC', mac: desCbcMac },
  '3des-3key-cbc-mac': { kind: '3des-3key', name: '3DES 3-key CBC-MAC', mac: desCbcMac },
  'aes-cmac': { kind: 'aes', name: 'AES-CMAC', mac: aesCmac },
};

const RCS: Record<RcAlg, (data: Uint8Array) => Uint8Array> = { crc16: crc16x25, crc32 };

const KEY_LENGTHS: Record<KeyKind, readonly number[]> = {
  des: [8],
  '3des-2key': [16],
  '3des-3key': [24],
  aes: [16, 24, 32],
};

const has = <T extends object>(o: T, k: string): k is Extract<keyof T, string> =>
  Object.prototype.hasOwnProperty.call(o, k);

function cipherInfo(alg: CipherAlg): CipherInfo {
  if (!has(CIPHERS, alg)) throw new InputError(`unknown ciphering algorithm ${JSON.stringify(alg)}`, { field: 'KIc' });
  return CIPHERS[alg];
}

function ccInfo(alg: CcAlg): CcInfo {
  if (!has(CCS, alg)) throw new InputError(`unknown cryptographic checksum algorithm ${JSON.stringify(alg)}`, { field: 'KID' });
  return CCS[alg];
}

/** DES ignores the parity bit (LSB) of each key octet, so compare without it. */
function sameDesKey(key: Uint8Array, a: number, b: number): boolean {
  for (let i = 0; i < 8; i++) if ((key[a + i] & 0xfe) !== (key[b + i] & 0xfe)) return false;
  return true;
}

export function blockSize(alg: CipherAlg): 8 | 16 {
  return cipherInfo(alg).block;
}

/**
 * Reject a key whose length does not fit the algorithm, or a 3DES key that
 * collapses to single DES (2-key: K1 = K2; 3-key: K1 = K2 or K2 = K3, since EDE
 * with two equal adjacent keys cancels to one DES encryption).
 */
export interface KeyCheck {
  /** Accept a 3DES key that degrades to single DES (when reading what someone else sent). */
  allowWeak?: boolean;
}

export function checkKey(alg: CipherAlg | CcAlg, key: Uint8Array, what: string, opts: KeyCheck = {}): void {
  let kind: KeyKind;
  let name: string;
  if (has(CIPHERS, alg)) ({ kind, name } = CIPHERS[alg]);
  else if (has(CCS, alg)) ({ kind, name } = CCS[alg]);
  else throw new InputError(`unknown algorithm ${JSON.stringify(alg)}`, { field: what });
  const lens = KEY_LENGTHS[kind];
  if (!lens.includes(key.length)) {
    const want = lens.length === 1 ? `${lens[0]}` : `${lens.slice(0, -1).join(', ')} or ${lens[lens.length - 1]}`;
    throw new InputError(`${name} needs a key of ${want} octets, got ${key.length}`, { field: what });
  }
  const weak = weakKey(alg, key);
  if (weak && !opts.allowWeak) throw new InputError(weak, { field: what });
}

/** Why a 3DES key degrades to single DES, or undefined (length assumed checked). */
export function weakKey(alg: CipherAlg | CcAlg, key: Uint8Array): string | undefined {
  const info = has(CIPHERS, alg) ? CIPHERS[alg] : has(CCS, alg) ? CCS[alg] : undefined;
  if (!info) return undefined;
  if (info.kind === '3des-2key' && key.length === 16 && sameDesKey(key, 0, 8)) {
    return `${info.name} key has K1 = K2 (ignoring parity bits), which is single DES`;
  }
  if (info.kind === '3des-3key' && key.length === 24 && (sameDesKey(key, 0, 8) || sameDesKey(key, 8, 16))) {
    const which = sameDesKey(key, 0, 8) ? 'K1 = K2' : 'K2 = K3';
    return `${info.name} key has ${which} (ignoring parity bits), which is single DES`;
  }
  return undefined;
}

/**
 * The bare encryption of `alg` (whole blocks, IV zero), for callers that checked
 * the key once with checkKey() and then run many packets (batch mode).
 */
export function encryptor(alg: CipherAlg): (key: Uint8Array, data: Uint8Array) => Uint8Array {
  return cipherInfo(alg).enc;
}

/** The bare, untruncated checksum of `alg` (8 octets for DES CBC-MAC, 16 for AES-CMAC), key checked once by the caller. */
export function checksummer(alg: CcAlg): (key: Uint8Array, data: Uint8Array) => Uint8Array {
  return ccInfo(alg).mac;
}

/**
 * The encryption of `alg` for the many packets of a batch (batch.ts: one key
 * schedule, one native call per block position), key checked once by the caller.
 */
export function batchEncryptor(alg: CipherAlg, key: Uint8Array): CbcBatch {
  return new CbcBatch(cipherInfo(alg).kind === 'aes' ? 'aes' : 'des', key);
}

/** The decryption of `alg` (CBC only) for the many packets of a batch (CbcBatch.decrypt), key checked once by the caller. */
export function batchDecryptor(alg: CipherAlg, key: Uint8Array): CbcBatch | undefined {
  if (!alg.endsWith('-cbc')) return undefined;
  return new CbcBatch(cipherInfo(alg).kind === 'aes' ? 'aes' : 'des', key);
}

/** The checksum of `alg` for the many packets of a batch (CbcBatch.mac), key checked once by the caller. */
export function batchChecksummer(alg: CcAlg, key: Uint8Array): CbcBatch {
  const aes = ccInfo(alg).kind === 'aes';
  return new CbcBatch(aes ? 'aes' : 'des', key, aes ? 'cmac' : 'zero');
}

/** Encrypt whole blocks, IV zero, no padding (the caller adds PCNTR padding). */
export function encrypt(alg: CipherAlg, key: Uint8Array, data: Uint8Array, opts: KeyCheck = {}): Uint8Array {
  const info = cipherInfo(alg);
  checkKey(alg, key, 'KIc key', opts);
  return info.enc(key, data);
}

export function decrypt(alg: CipherAlg, key: Uint8Array, data: Uint8Array, opts: KeyCheck = {}): Uint8Array {
  const info = cipherInfo(alg);
  checkKey(alg, key, 'KIc key', opts);
  return info.dec(key, data);
}

/**
 * Cryptographic checksum over `data` (already including any cipher padding),
 * truncated to its leftmost `len` octets (8 by default, or 4).
 */
export function computeCc(alg: CcAlg, key: Uint8Array, data: Uint8Array, len = 8, opts: KeyCheck = {}): Uint8Array {
  const info = ccInfo(alg);
  if (len !== 8 && len !== 4) throw new InputError(`must be 4 or 8 octets, got ${len}`, { field: 'CC length' });
  checkKey(alg, key, 'KID key', opts);
  return info.mac(key, data).slice(0, len);
}

export function computeRc(alg: RcAlg, data: Uint8Array): Uint8Array {
  if (!has(RCS, alg)) throw new InputError(`unknown redundancy check algorithm ${JSON.stringify(alg)}`, { field: 'KID' });
  return RCS[alg](data);
}
