/**
 * KIc (TS 102 225 cl. 5.1.2) and KID (cl. 5.1.3.1 for CC, 5.1.3.2 for RC).
 * The high nibble is the key indication (the Key Version Number on
 * GlobalPlatform cards); the low nibble the algorithm.
 */
import { OctetFields, hex2 } from './bitfields.js';
import { InputError } from '../util/errors.js';
import { node, treeMemo, type TreeNode } from '../render/tree.js';
import type { CipherAlg, CcAlg, RcAlg } from '../crypto/index.js';

export const KIC_FIELDS = new OctetFields('KIc', [
  { key: 'family', label: 'Algorithm', bits: 2, values: ['implicit', 'des', 'aes', 'proprietary'],
    texts: ['known implicitly by both entities', 'DES', 'AES', 'proprietary'] },
  { key: 'mode', label: 'Mode', bits: 2 },
  { key: 'keyIndex', label: 'Key indication (KVN)', bits: 4 },
]);
export const KID_FIELDS = KIC_FIELDS; // same octet layout; mode meaning differs

/** KIc algorithm name from the low nibble, or null when the code is reserved. */
export type KicAlgorithm = CipherAlg | 'implicit' | 'proprietary';
export type KidCcAlgorithm = CcAlg | 'implicit' | 'proprietary';
export type KidRcAlgorithm = RcAlg | 'implicit' | 'proprietary';

const KIC_LOW: Record<number, KicAlgorithm> = {
  0x0: 'implicit', 0x4: 'implicit', 0x8: 'implicit', 0xc: 'implicit',
  0x1: 'des-cbc', 0x5: '3des-2key-cbc', 0x9: '3des-3key-cbc', 0xd: 'des-ecb',
  0x2: 'aes-cbc',
  0x3: 'proprietary', 0x7: 'proprietary', 0xb: 'proprietary', 0xf: 'proprietary',
};
const KID_CC_LOW: Record<number, KidCcAlgorithm> = {
  0x0: 'implicit', 0x4: 'implicit', 0x8: 'implicit', 0xc: 'implicit',
  0x1: 'des-cbc-mac', 0x5: '3des-2key-cbc-mac', 0x9: '3des-3key-cbc-mac',
  0x2: 'aes-cmac',
  0x3: 'proprietary', 0x7: 'proprietary', 0xb: 'proprietary', 0xf: 'proprietary',
};
const KID_RC_LOW: Record<number, KidRcAlgorithm> = {
  0x0: 'implicit', 0x4: 'implicit', 0x8: 'implicit', 0xc: 'implicit',
  0x1: 'crc16', 0x5: 'crc32',
  0x3: 'proprietary', 0x7: 'proprietary', 0xb: 'proprietary', 0xf: 'proprietary',
};

const ALG_TEXT: Record<string, string> = {
  implicit: 'algorithm known implicitly by both entities',
  proprietary: 'proprietary algorithm',
  'des-cbc': 'DES in CBC mode',
  '3des-2key-cbc': 'Triple DES outer-CBC, 2 keys',
  '3des-3key-cbc': 'Triple DES outer-CBC, 3 keys',
  'des-ecb': 'DES in ECB mode',
  'aes-cbc': 'AES in CBC mode',
  'des-cbc-mac': 'DES CBC-MAC',
  '3des-2key-cbc-mac': 'Triple DES outer-CBC MAC, 2 keys',
  '3des-3key-cbc-mac': 'Triple DES outer-CBC MAC, 3 keys',
  'aes-cmac': 'AES CMAC',
  crc16: 'CRC-16 (X.25)',
  crc32: 'CRC-32',
  reserved: 'reserved',
};

export interface KeyIdInfo {
  octet: number;
  keyIndex: number;
  /** null: a reserved code point */
  algorithm: string | null;
}

function info(octet: number, table: Record<number, string>): KeyIdInfo {
  return { octet, keyIndex: octet >> 4, algorithm: table[octet & 0x0f] ?? null };
}

export const decodeKic = (o: number): KeyIdInfo => info(o, KIC_LOW);
export const decodeKidCc = (o: number): KeyIdInfo => info(o, KID_CC_LOW);
export const decodeKidRc = (o: number): KeyIdInfo => info(o, KID_RC_LOW);

/** Each table read backwards (algorithm → low nibble), made on first use instead of a scan per packet. */
const reverse = new Map<Record<number, string>, Map<string, number>>();
function lowNibble(table: Record<number, string>, alg: string, what: string): number {
  let r = reverse.get(table);
  if (!r) {
    // The lowest nibble of an algorithm listed more than once (implicit: 0, proprietary: 3), as the scan gave.
    r = new Map();
    for (const [k, v] of Object.entries(table)) if (!r.has(v)) r.set(v, Number(k));
    reverse.set(table, r);
  }
  const n = r.get(alg);
  if (n === undefined) throw new InputError(`unknown algorithm "${alg}"`, { field: what });
  return n;
}
export function encodeKic(keyIndex: number, alg: CipherAlg): number {
  return ((keyIndex & 15) << 4) | lowNibble(KIC_LOW, alg, 'KIc');
}
export function encodeKid(keyIndex: number, alg: CcAlg | RcAlg): number {
  const table = alg === 'crc16' || alg === 'crc32' ? KID_RC_LOW : KID_CC_LOW;
  return ((keyIndex & 15) << 4) | lowNibble(table, alg, 'KID');
}

export function algText(alg: string | null): string {
  return alg === null ? 'reserved' : ALG_TEXT[alg] ?? alg;
}

export function keyIdJson(i: KeyIdInfo): Record<string, unknown> {
  // JSON v1: the key version number is `kvn`, as in the options, keyset files and TS 102 225 cl. 5.1.2.
  return { hex: hex2(i.octet), kvn: i.keyIndex, algorithm: i.algorithm ?? 'reserved' };
}

/** Keyed by the octet, and by the label too when it is not the usual one (a number: no string per packet). */
const kicMemo = treeMemo<string | number>();
export function kicTree(o: number, label = 'KIc'): TreeNode {
  return kicMemo(label === 'KIc' ? o : `${o}|${label}`, () => kicTreeOf(o, label));
}

function kicTreeOf(o: number, label: string): TreeNode {
  const i = decodeKic(o);
  return node(label, `0x${hex2(o)} — KVN ${i.keyIndex}, ${algText(i.algorithm)}`, undefined, {
    hex: hex2(o),
    bits: kicBits(o, KIC_MODES),
    status: i.algorithm === null ? 'warn' : undefined,
  });
}

const kidMemo = treeMemo<string | number>();
const READINGS = { cc: 0, rc: 1, none: 2 } as const;
export function kidTree(o: number, reading: 'cc' | 'rc' | 'none', label = 'KID'): TreeNode {
  return kidMemo(label === 'KID' ? READINGS[reading] * 256 + o : `${o}|${reading}|${label}`, () => kidTreeOf(o, reading, label));
}

function kidTreeOf(o: number, reading: 'cc' | 'rc' | 'none', label: string): TreeNode {
  const i = reading === 'rc' ? decodeKidRc(o) : decodeKidCc(o);
  const what = reading === 'none' ? ' (not used: SPI asks for no RC/CC)' : reading === 'rc' ? ' (RC)' : ' (CC)';
  return node(label, `0x${hex2(o)} — KVN ${i.keyIndex}, ${algText(i.algorithm)}${what}`, undefined, {
    hex: hex2(o),
    bits: kicBits(o, reading === 'rc' ? KID_RC_MODES : KID_CC_MODES),
    status: reading !== 'none' && i.algorithm === null ? 'warn' : undefined,
  });
}

// Meaning of b4b3 per family (b2b1) — used for the bit lines only.
const KIC_MODES: Record<number, readonly string[]> = {
  1: ['DES-CBC', 'triple DES outer-CBC 2 keys', 'triple DES outer-CBC 3 keys', 'DES-ECB'],
  2: ['AES-CBC', 'reserved', 'reserved', 'reserved'],
};
const KID_CC_MODES: Record<number, readonly string[]> = {
  1: ['DES-CBC', 'triple DES outer-CBC 2 keys', 'triple DES outer-CBC 3 keys', 'reserved'],
  2: ['AES-CMAC', 'reserved', 'reserved', 'reserved'],
};
const KID_RC_MODES: Record<number, readonly string[]> = {
  1: ['CRC-16', 'CRC-32', 'reserved', 'reserved'],
};
const FAMILY_RC = ['implicit', 'CRC', 'reserved', 'proprietary'];
const FAMILY = ['implicit', 'DES', 'AES', 'proprietary'];

function kicBits(o: number, modes: Record<number, readonly string[]>): string[] {
  const fam = o & 3;
  const mode = (o >> 2) & 3;
  const famNames = modes === KID_RC_MODES ? FAMILY_RC : FAMILY;
  const modeText = modes[fam]?.[mode] ?? 'not used';
  const bl = KIC_FIELDS;
  return [
    lineFor(o, bl.mask('keyIndex'), `Key indication (KVN): ${o >> 4}`),
    lineFor(o, bl.mask('mode'), `Mode: ${modeText}`),
    lineFor(o, bl.mask('family'), `Algorithm: ${famNames[fam]}`),
  ];
}

import { bitLine } from '../render/tree.js';
function lineFor(o: number, mask: number, label: string): string {
  return bitLine(o, mask, label);
}
