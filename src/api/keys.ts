/**
 * Where keys come from, first match wins: the option (`--kic-key HEX`,
 * `--kic-key @FILE` or `--kic-key env:NAME`, read by keys/material.ts), the environment (UICC_OTA_KIC / UICC_OTA_KID), the
 * keyset file (`--keyset FILE`, the entry whose KVN is the KIc/KID high nibble).
 * Keys never appear in output or error messages.
 */
import { InputError } from '../util/errors.js';
import { readKeyMaterial } from '../keys/material.js';
import { hex2 } from '../util/hex.js';
import type { KeyMaterial } from '../secured/keys.js';
import { isCipherAlg, isIntegrityAlg } from '../secured/keys.js';
import { decodeKic, decodeKidCc, encodeKic, encodeKid } from '../secured/kic.js';
import { findKeyset, loadKeyset, validateKeyset, type KeysetFile } from '../keys/keyset.js';
import type { CipherAlg, CcAlg, RcAlg } from '../crypto/index.js';
import { octet, intOption } from '../util/options.js';

export interface KeyOptions {
  /** Ciphering key: hex, `@file`, `env:NAME`, or bytes (else env UICC_OTA_KIC, else the keyset). */
  kicKey?: string | Uint8Array;
  /** Integrity key: hex, `@file`, `env:NAME`, or bytes (else env UICC_OTA_KID, else the keyset). */
  kidKey?: string | Uint8Array;
  kicAlg?: string;
  kidAlg?: string;
  /** Keyset: a file path, or the parsed keyset JSON (else env UICC_OTA_KEYSET). */
  keyset?: string | KeysetJson;
  kvn?: string | number;
}

/** A keyset file's contents (format in the manual, FILES). */
export type KeysetJson = Record<string, unknown>;

const given = new WeakMap<object, KeysetFile>();

export function keysetOf(o: KeyOptions): KeysetFile | undefined {
  if (o.keyset !== undefined && typeof o.keyset === 'object') {
    let ks = given.get(o.keyset);
    if (!ks) given.set(o.keyset, (ks = validateKeyset(o.keyset, '(keyset object)')));
    return ks;
  }
  const path = o.keyset ?? process.env.UICC_OTA_KEYSET;
  return path ? loadKeyset(path) : undefined;
}

/** The keyset file path, when the keyset is a file (the counter state file defaults beside it). */
export function keysetPath(o: KeyOptions): string | undefined {
  return typeof o.keyset === 'string' ? o.keyset : o.keyset === undefined ? process.env.UICC_OTA_KEYSET : undefined;
}

/** Key material for the given KIc/KID octets. */
export function resolveKeys(o: KeyOptions, kic: number | undefined, kid: number | undefined): KeyMaterial {
  const k: KeyMaterial = {};
  if (o.kicAlg) {
    if (!isCipherAlg(o.kicAlg)) throw new InputError(`"${o.kicAlg}" is not a cipher (des-cbc, des-ecb, 3des-2key-cbc, 3des-3key-cbc, aes-cbc)`, { field: '--kic-alg' });
    k.kicAlg = o.kicAlg as CipherAlg;
  }
  if (o.kidAlg) {
    if (!isIntegrityAlg(o.kidAlg)) throw new InputError(`"${o.kidAlg}" is not a CC/RC algorithm`, { field: '--kid-alg' });
    k.kidAlg = o.kidAlg as CcAlg | RcAlg;
  }
  const ks = keysetOf(o);
  // --kvn selects the keyset entry; otherwise the KVN the KIc/KID octet names (TS 102 225 cl. 5.1.2, 5.1.3).
  const sel = o.kvn !== undefined ? intOption(o.kvn, '--kvn', 0, 15) : undefined;
  const kicText = o.kicKey ?? process.env.UICC_OTA_KIC;
  const kidText = o.kidKey ?? process.env.UICC_OTA_KID;
  if (kicText) k.kicKey = readKeyMaterial(kicText, o.kicKey ? '--kic-key' : 'UICC_OTA_KIC');
  else if (ks && kic !== undefined) {
    const e = findKeyset(ks, sel ?? kic >> 4)?.kic;
    if (!e) k.kicMissing = noKey(ks, sel ?? kic >> 4, 'kic');
    if (e) {
      k.kicMismatch = mismatch(decodeKic(kic).algorithm, e.algorithm, k.kicAlg, kic, ks.path);
      k.kicKey = e.key;
    }
  }
  if (kidText) k.kidKey = readKeyMaterial(kidText, o.kidKey ? '--kid-key' : 'UICC_OTA_KID');
  else if (ks && kid !== undefined) {
    const e = findKeyset(ks, sel ?? kid >> 4)?.kid;
    if (!e) k.kidMissing = noKey(ks, sel ?? kid >> 4, 'kid');
    if (e) {
      if (e.algorithm !== 'crc16' && e.algorithm !== 'crc32') k.kidMismatch = mismatch(decodeKidCc(kid).algorithm, e.algorithm, k.kidAlg, kid, ks.path);
      k.kidKey = e.key;
    }
  }
  return k;
}

/**
 * A KIc/KID whose key version (b8-b5, TS 102 225 cl. 5.1.2 and 5.1.3) is not
 * the KVN selected with --kvn: one phrase each (only for the octets in use:
 * KIc when the packet is ciphered, KID when it carries a CC).
 */
export function kvnConflicts(o: KeyOptions, kic: number | undefined, kid: number | undefined, uses: { kic: boolean; kid: boolean }): string[] {
  if (o.kvn === undefined) return [];
  const sel = intOption(o.kvn, '--kvn', 0, 15);
  const out: string[] = [];
  if (uses.kic && kic !== undefined && kic >> 4 !== sel) out.push(`KIc 0x${hex2(kic)} is key version ${kic >> 4}, not the selected KVN ${sel} (--kvn)`);
  if (uses.kid && kid !== undefined && kid >> 4 !== sel) out.push(`KID 0x${hex2(kid)} is key version ${kid >> 4}, not the selected KVN ${sel} (--kvn)`);
  return out;
}

/** KVN to use with a keyset: --kvn, the file's default, or its only entry. */
export function keysetKvn(o: KeyOptions, ks: KeysetFile): number {
  if (o.kvn !== undefined) return intOption(o.kvn, '--kvn', 0, 15);
  if (ks.defaults.kvn !== undefined) return ks.defaults.kvn;
  if (ks.keysets.length === 1) return ks.keysets[0].kvn;
  throw new InputError(`keyset ${ks.path} has ${ks.keysets.length} key sets: say which with --kvn`, { field: '--kvn' });
}

/** KIc octet: --kic, else from the keyset's KVN and cipher. */
export function resolveKic(given: string | undefined, o: KeyOptions): number {
  if (given !== undefined) return octet(given, 'KIc');
  const ks = keysetOf(o);
  if (ks) {
    if (ks.defaults.kic) return octet(ks.defaults.kic, 'KIc');
    const kvn = keysetKvn(o, ks);
    const e = findKeyset(ks, kvn);
    if (e?.kic) return encodeKic(kvn, e.kic.algorithm as CipherAlg);
    throw new InputError(`missing: give --kic (${noKey(ks, kvn, 'kic')})`, { field: 'KIc' });
  }
  throw new InputError('missing (give --kic, or --keyset with a kic entry)', { field: 'KIc' });
}

export function resolveKid(given: string | undefined, o: KeyOptions, integrity: string): number {
  if (given !== undefined) return octet(given, 'KID');
  const ks = keysetOf(o);
  if (ks) {
    if (ks.defaults.kid) return octet(ks.defaults.kid, 'KID');
    const kvn = keysetKvn(o, ks);
    const e = findKeyset(ks, kvn);
    if (e?.kid) {
      const isRc = e.kid.algorithm === 'crc16' || e.kid.algorithm === 'crc32';
      if (integrity !== 'rc' || isRc) return encodeKid(kvn, e.kid.algorithm as CcAlg);
      return encodeKid(kvn, 'crc32');
    }
    if (integrity !== 'none' && integrity !== 'rc') throw new InputError(`missing: give --kid (${noKey(ks, kvn, 'kid')})`, { field: 'KID' });
  }
  if (integrity === 'none') return 0;
  throw new InputError('missing (give --kid, or --keyset with a kid entry)', { field: 'KID' });
}

/**
 * A keyset key used with a KIc/KID that names another algorithm is almost
 * always a mistake (a 16-octet 3DES key is a valid AES-128 key, so nothing
 * else would catch it). Reported by the engine only if the key is used.
 */
function mismatch(named: string | null, stored: string, override: string | undefined, octetValue: number, path: string): string | undefined {
  const want = override ?? named;
  if (!want || want === 'implicit' || want === 'proprietary') return undefined;
  if (want === stored) return undefined;
  return `0x${hex2(octetValue)} names ${want} but keyset ${path} holds a ${stored} key for KVN ${octetValue >> 4}`;
}

function noKey(ks: KeysetFile, kvn: number, role: 'kic' | 'kid'): string {
  const set = findKeyset(ks, kvn);
  if (set) return `keyset ${ks.path} has no ${role} key for KVN ${kvn}`;
  return `keyset ${ks.path} has no KVN ${kvn} (it has ${ks.keysets.map((x) => x.kvn).join(', ') || 'none'})`;
}
