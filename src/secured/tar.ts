/** TAR — Toolkit Application Reference; names from TS 101 220 Annex D. */
import { InputError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';

const RANGES: Array<[number, number, string]> = [
  [0x000000, 0x000000, 'Issuer Security Domain'],
  [0xb00000, 0xb00000, 'UICC shared file system (RFM)'],
  [0xb00001, 0xb00001, 'ADF remote file management'],
  [0xb00002, 0xb0000f, 'UICC shared file system (RFM)'],
  [0xb00010, 0xb0001f, 'SIM file system (RFM)'],
  [0xb00020, 0xb0011f, 'ADF remote file management'],
  [0xb00120, 0xb0012f, 'UICC shared file system (RFM)'],
  [0xb00130, 0xb0013f, 'SIM file system (RFM)'],
  [0xb00140, 0xb001ff, 'ADF remote file management'],
  [0xb10000, 0xb10004, 'Visa Mobile Payment toolkit application'],
  [0xb20000, 0xb200ff, 'USAT interpreter application'],
  [0xb20100, 0xb20100, 'Issuer Security Domain (RAM)'],
  [0xb20101, 0xb20101, 'SCWS (OMA)'],
  [0xb20102, 0xb20102, 'SCWS administrative agent (OMA)'],
  [0xb20200, 0xb20200, 'multiplexing application (ETSI)'],
  [0xb20201, 0xb20201, 'Controlling Authority Security Domain (GP)'],
  [0xb20202, 0xb20202, 'OMA BCAST smartcard-centric audience measurement'],
  [0xb20203, 0xb20203, 'OMA DM LWM2M UICC application'],
  [0xb20210, 0xb2021f, 'SD with Authorized Management privilege (EMVCo)'],
  [0xb20220, 0xb2022f, 'SD with Delegated Management privilege (EMVCo)'],
  [0xbfff00, 0xbfffff, 'proprietary toolkit application'],
  [0x534054, 0x534054, 'S@T browser (SIMalliance, not Annex D)'],
  [0x505348, 0x505348, 'S@T browser low-priority push (not Annex D)'],
];

export function tarName(tar: Uint8Array): string | undefined {
  const v = (tar[0] << 16) | (tar[1] << 8) | tar[2];
  for (const [lo, hi, name] of RANGES) if (v >= lo && v <= hi) return name;
  return undefined;
}

export function parseTar(s: string): Uint8Array {
  const b = fromHex(s, 'TAR');
  if (b.length !== 3) throw new InputError(`must be 3 octets, got ${b.length}`, { field: 'TAR' });
  return b;
}

export function tarJson(tar: Uint8Array): Record<string, unknown> {
  const name = tarName(tar);
  return name ? { hex: toHex(tar), name } : { hex: toHex(tar) };
}

export function tarList(): Array<{ from: string; to: string; name: string }> {
  const h = (n: number) => n.toString(16).toUpperCase().padStart(6, '0');
  return RANGES.map(([lo, hi, name]) => ({ from: h(lo), to: h(hi), name }));
}
