/**
 * SPI — Security Parameter Indicator, TS 102 225 cl. 5.1.1; octet 2 b6 from
 * TS 31.115 cl. 4.2 (PoR via SMS-SUBMIT / SMS-DELIVER-REPORT).
 */
import { OctetFields, hex2, type Decoded } from './bitfields.js';
import { InputError } from '../util/errors.js';
import { node, treeMemo, type TreeNode } from '../render/tree.js';

export const INTEGRITY = ['none', 'rc', 'cc', 'ds'] as const;
export const COUNTER = ['none', 'available', 'higher', 'one-higher'] as const;
export const POR_REQUEST = ['none', 'required', 'on-error', 'reserved'] as const;
export const POR_VIA = ['deliver-report', 'submit'] as const;

export type Integrity = (typeof INTEGRITY)[number];
export type CounterMode = (typeof COUNTER)[number];
export type PorRequest = (typeof POR_REQUEST)[number];
export type PorVia = (typeof POR_VIA)[number];

/** First octet: security of the command packet. */
export const SPI1 = new OctetFields('SPI octet 1', [
  { key: 'integrity', label: 'RC/CC/DS', bits: 2, values: INTEGRITY,
    texts: ['no RC, CC or DS', 'Redundancy Check (RC)', 'Cryptographic Checksum (CC)', 'Digital Signature (DS)'] },
  { key: 'ciphering', label: 'Ciphering', bits: 1, bool: true },
  { key: 'counter', label: 'Counter', bits: 2, values: COUNTER,
    texts: ['no counter available', 'counter available, no replay or sequence checking',
      'process if counter higher than the RE value', 'process if counter exactly one higher than the RE value'] },
  { key: 'reserved1', label: 'Reserved', bits: 3, reserved: true },
]);

/** Second octet: Proof of Receipt. */
export const SPI2 = new OctetFields('SPI octet 2', [
  { key: 'porRequest', label: 'PoR', bits: 2, values: POR_REQUEST,
    texts: ['no PoR', 'PoR required', 'PoR required only on error', 'reserved'] },
  { key: 'porIntegrity', label: 'PoR RC/CC/DS', bits: 2, values: INTEGRITY,
    texts: ['PoR without RC, CC or DS', 'PoR with RC', 'PoR with CC', 'PoR with DS'] },
  { key: 'porCiphered', label: 'PoR ciphering', bits: 1, bool: true },
  { key: 'porVia', label: 'PoR transport', bits: 1, values: POR_VIA,
    texts: ['PoR in SMS-DELIVER-REPORT', 'PoR via SMS-SUBMIT'] },
  { key: 'reserved2', label: 'Reserved', bits: 2, reserved: true },
]);

export interface Spi {
  integrity: Integrity;
  ciphering: boolean;
  counter: CounterMode;
  porRequest: PorRequest;
  porIntegrity: Integrity;
  porCiphered: boolean;
  porVia: PorVia;
  /** Raw reserved bits (normally 0), kept so that decode→encode is exact. */
  reserved1?: number;
  reserved2?: number;
}

export const spiCodec = {
  encodingLength: (): number => 2,
  encode(s: Spi): Uint8Array {
    return Uint8Array.of(SPI1.encode(s as unknown as Decoded), SPI2.encode(s as unknown as Decoded));
  },
  decode(b: Uint8Array, offset = 0): Spi {
    if (b.length < offset + 2) throw new InputError('needs 2 octets', { field: 'SPI', offset });
    return SPI2.decodeInto(b[offset + 1], SPI1.decode(b[offset])) as unknown as Spi;
  },
};

export function spiHex(s: Spi): string {
  const b = spiCodec.encode(s);
  return hex2(b[0]) + hex2(b[1]);
}

/** Reserved code points that are set, for warnings in tree and JSON. */
export function spiWarnings(b: Uint8Array): string[] {
  const w: string[] = [];
  for (const r of SPI1.reservedSet(b[0])) w.push(`SPI octet 1: ${r} bits set`);
  for (const r of SPI2.reservedSet(b[1])) w.push(`SPI octet 2: ${r} bits set`);
  if ((b[1] & 3) === 3) w.push('SPI octet 2: PoR request value 11 is reserved');
  return w;
}

export function spiJson(s: Spi): Record<string, unknown> {
  const hex = spiHex(s);
  const out: Record<string, unknown> = {
    hex,
    integrity: s.integrity,
    ciphering: s.ciphering,
    counter: s.counter,
    porRequest: s.porRequest,
    porIntegrity: s.porIntegrity,
    porCiphered: s.porCiphered,
    porVia: s.porVia,
  };
  const w = spiWarnings(spiCodec.encode(s));
  if (w.length) out.warnings = w;
  return out;
}

const spiMemo = treeMemo<number>();
export function spiTree(s: Spi, offset?: number): TreeNode {
  const b = spiCodec.encode(s);
  if (offset !== undefined) return spiTreeOf(b, offset);
  return spiMemo((b[0] << 8) | b[1], () => spiTreeOf(b));
}

function spiTreeOf(b: Uint8Array, offset?: number): TreeNode {
  const warn = spiWarnings(b);
  return node('SPI', `0x${hex2(b[0])}${hex2(b[1])}`, [
    SPI1.tree('SPI octet 1 (command security)', b[0], `0x${hex2(b[0])}`),
    SPI2.tree('SPI octet 2 (PoR)', b[1], `0x${hex2(b[1])}`),
  ], { hex: hex2(b[0]) + hex2(b[1]), note: warn.length ? warn.join('; ') : offsetNote(offset), status: warn.length ? 'warn' : undefined });
}

export function offsetNote(offset?: number): string | undefined {
  return offset === undefined ? undefined : undefined;
}

/** Length of the RC/CC/DS field implied by the SPI integrity and the KID algorithm. */
export function integrityName(i: Integrity): string {
  return { none: 'none', rc: 'RC', cc: 'CC', ds: 'DS' }[i];
}
