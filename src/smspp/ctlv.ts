/**
 * BER-TLV lengths and COMPREHENSION-TLVs of the card application toolkit
 * (TS 101 220 cl. 7.1.1, 7.1.2): one-octet tags with the CR flag in bit 8,
 * three-octet tags introduced by 7F (CR in bit 16 of the following two octets),
 * lengths 00–7F in one octet and 81 80–81 FF for 128–255.
 */
import { InputError } from '../util/errors.js';
import { concat } from '../util/hex.js';
import { hex2, need } from './fields.js';
import { decodeBerLength, encodeBerLength } from '../util/ber.js';

/** Tag values (bits 7–1) used here, TS 101 220 Table 7.23 / TS 102 223 cl. 9.3. */
export const CTAG = {
  COMMAND_DETAILS: 0x01,
  DEVICE_IDENTITIES: 0x02,
  RESULT: 0x03,
  ALPHA_ID: 0x05,
  ADDRESS: 0x06,
  SMS_TPDU: 0x0b,
} as const;

export const CTAG_NAMES: Record<number, string> = {
  0x01: 'Command details',
  0x02: 'Device identity',
  0x03: 'Result',
  0x05: 'Alpha identifier',
  0x06: 'Address',
  0x08: 'Subaddress',
  0x0b: '3GPP SMS TPDU',
  0x0d: 'Text string',
  0x13: 'Location information',
  0x2b: 'Event list',
};

/** Device identities, TS 102 223 cl. 8.7. */
export function deviceName(v: number): string {
  if (v === 0x01) return 'Keypad';
  if (v === 0x02) return 'Display';
  if (v === 0x03) return 'Earpiece';
  if (v >= 0x10 && v <= 0x17) return `Additional Card Reader ${v - 0x10}`;
  if (v >= 0x21 && v <= 0x27) return `Channel ${v - 0x20}`;
  if (v === 0x81) return 'UICC';
  if (v === 0x82) return 'Terminal';
  if (v === 0x83) return 'Network';
  return 'RFU';
}

export interface Ctlv {
  /** Tag value without the CR flag (0x01..0x7E, or the 15-bit value of a 3-octet tag). */
  tag: number;
  cr: boolean;
  /** Raw tag octets as sent. */
  rawTag: Uint8Array;
  value: Uint8Array;
  /** Offset of the tag octet in the decoded buffer. */
  offset: number;
  valueOffset: number;
  /** Tag + length + value octets. */
  length: number;
}

/** COMPREHENSION-TLV / BER-TLV lengths of CAT: one octet or 81 xx on send (TS 101 220 cl. 7.1.1.2); 82 accepted on receive. */
export function berLengthEncode(n: number, layer: string, field: string): Uint8Array {
  return encodeBerLength(n, 1, { layer, field });
}

export function berLengthDecode(b: Uint8Array, o: number, layer: string, field: string): { value: number; length: number } {
  const { value, size } = decodeBerLength(b, o, b.length, 2, { layer, field });
  return { value, length: size };
}

/** The tag and length octets of a COMPREHENSION-TLV with a value of `length` octets. */
export function ctlvHead(tag: number, length: number, cr = true, layer = 'COMPREHENSION-TLV'): Uint8Array {
  let t: Uint8Array;
  if (tag >= 0x01 && tag <= 0x7e) t = Uint8Array.of(tag | (cr ? 0x80 : 0));
  else if (tag > 0x7f && tag <= 0x7fff) t = Uint8Array.of(0x7f, ((tag >> 8) & 0x7f) | (cr ? 0x80 : 0), tag & 0xff);
  else throw new InputError(`tag value 0x${tag.toString(16)} cannot be encoded`, { layer, field: 'tag' });
  return concat(t, berLengthEncode(length, layer, `length of tag ${hex2(t[0])}`));
}

export function ctlvEncode(tag: number, value: Uint8Array, cr = true, layer = 'COMPREHENSION-TLV'): Uint8Array {
  return concat(ctlvHead(tag, value.length, cr, layer), value);
}

/**
 * A BER-TLV around COMPREHENSION-TLVs kept as pieces (each object's head and
 * value, added in order, then the BER-TLV's head in front): the caller copies
 * them once into the array it returns, instead of once per nesting level.
 */
export class BerTlvPieces {
  readonly pieces: Uint8Array[] = [];
  private n = 0;
  constructor(private readonly layer: string) {}
  /** One COMPREHENSION-TLV (its length checked now, as ctlvEncode does). */
  add(tag: number, value: Uint8Array, cr: boolean): this {
    const h = ctlvHead(tag, value.length, cr, this.layer);
    this.pieces.push(h, value);
    this.n += h.length + value.length;
    return this;
  }
  /** The BER-TLV's head put in front: `pieces` is then the whole TLV, `length` its octets. */
  close(tag: number): { pieces: Uint8Array[]; length: number } {
    const head = concat(Uint8Array.of(tag), berLengthEncode(this.n, this.layer, 'BER-TLV length'));
    return { pieces: [head, ...this.pieces], length: head.length + this.n };
  }
}

/** All COMPREHENSION-TLVs in b[start, end). */
export function ctlvDecodeAll(b: Uint8Array, start: number, end: number, layer: string): Ctlv[] {
  const out: Ctlv[] = [];
  let o = start;
  while (o < end) {
    const t0 = b[o];
    let tag: number;
    let cr: boolean;
    let tagLen = 1;
    if (t0 === 0x00 || t0 === 0x80 || t0 === 0xff) {
      throw new InputError(`0x${hex2(t0)} is not a valid COMPREHENSION-TLV tag`, { layer, field: 'tag', offset: o });
    }
    if (t0 === 0x7f) {
      if (o + 3 > end) throw new InputError('three-octet tag truncated', { layer, field: 'tag', offset: o });
      cr = (b[o + 1] & 0x80) !== 0;
      tag = ((b[o + 1] & 0x7f) << 8) | b[o + 2];
      tagLen = 3;
    } else {
      cr = (t0 & 0x80) !== 0;
      tag = t0 & 0x7f;
    }
    // The field name only for an error message (not built per TLV).
    const field = () => `length of tag ${hex2(t0)}`;
    if (o + tagLen >= end) throw new InputError('missing length octet', { layer, field: field(), offset: o + tagLen });
    // One-octet lengths (00-7F) inline; the long forms through the shared BER codec.
    const l0 = b[o + tagLen];
    const len = l0 < 0x80 ? { value: l0, size: 1 } : decodeBerLength(b, o + tagLen, end, 2, { layer, field: field() });
    const vo = o + tagLen + len.size;
    if (vo + len.value > end) {
      throw new InputError(`says ${len.value} octets, ${end - vo} left`, { layer, field: field(), offset: o + tagLen });
    }
    // Views of `b`, not copies: decoding reads them, nothing writes them.
    out.push({ tag, cr, rawTag: b.subarray(o, o + tagLen), value: b.subarray(vo, vo + len.value), offset: o, valueOffset: vo, length: vo + len.value - o });
    o = vo + len.value;
  }
  return out;
}

/** Parse a BER-TLV (one-octet tag) at `o`; the value must end exactly at `end`. */
export function berTlvDecode(b: Uint8Array, o: number, end: number, layer: string): { tag: number; lengthValue: number; headerLength: number; valueOffset: number } {
  need(b, o, 2, layer, 'BER-TLV tag/length');
  const len = berLengthDecode(b, o + 1, layer, 'BER-TLV length');
  const vo = o + 1 + len.length;
  const avail = end - vo;
  if (len.value !== avail) {
    throw new InputError(`says ${len.value} octets, ${avail} present`, { layer, field: 'BER-TLV length', offset: o + 1 });
  }
  return { tag: b[o], lengthValue: len.value, headerLength: 1 + len.length, valueOffset: vo };
}

/** CR flag setting: one value for all objects, or per object (missing = true). */
export type CrFlags<K extends string> = boolean | Partial<Record<K, boolean>>;

export function crFor<K extends string>(cr: CrFlags<K> | undefined, key: K): boolean {
  if (cr === undefined) return true;
  if (typeof cr === 'boolean') return cr;
  return cr[key] ?? true;
}
