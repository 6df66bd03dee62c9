/**
 * Minimal BER-TLV (ISO/IEC 8825-1 as profiled by ETSI TS 101 220 cl. 7.1):
 * tags of 1–2 octets, definite lengths of 1–3 octets (`xx`, `81 xx`,
 * `82 xx xx`) and the indefinite form `80 … 00 00` for constructed
 * templates. Enough for the TS 102 226 expanded remote APDU format.
 */
import { InputError } from '../util/errors.js';
import { concat, hex2 } from '../util/hex.js';
import { berLengthSize, decodeBerLength, encodeBerLength, INDEFINITE } from '../util/ber.js';

/** Length value meaning "indefinite" (`80`, contents end with `00 00`). */
export { INDEFINITE };

export interface TlvHeader {
  /** Tag as a number: `0x22`, or `0x9F70` for a two-octet tag. */
  tag: number;
  /** Offset of the first tag octet. */
  offset: number;
  /** Offset of the first length octet. */
  lengthOffset: number;
  /** Content length in octets, or INDEFINITE. */
  length: number;
  /** Offset of the first value octet. */
  valueOffset: number;
}

/** A definite-length TLV located in its input. */
export interface Tlv extends TlvHeader {
  value: Uint8Array;
  /** Offset just after the value. */
  end: number;
}


export function tagHex(tag: number): string {
  return tag > 0xff ? hex2(tag >> 8) + hex2(tag & 0xff) : hex2(tag);
}

/** Whether a tag's first octet has the constructed bit (b6). */
export function isConstructed(tag: number): boolean {
  const first = tag > 0xff ? tag >> 8 : tag;
  return (first & 0x20) !== 0;
}

/** Optional describer so errors can say "C-APDU TLV (22) length" rather than "TLV 22 length". */
export type TagNamer = (tag: number) => string | undefined;

function label(tag: number, names?: TagNamer): string {
  const n = names?.(tag);
  return n ? `${n} (${tagHex(tag)})` : `TLV ${tagHex(tag)}`;
}

/**
 * Read a tag and a length at `off`; `end` bounds the readable input. The
 * value is not checked against `end` here (see readTlv).
 */
export function readHeader(b: Uint8Array, off: number, end: number, layer: string, names?: TagNamer): TlvHeader {
  if (off >= end) throw new InputError('tag missing: input ends here', { layer, field: 'tag', offset: off });
  let tag = b[off];
  let p = off + 1;
  if ((tag & 0x1f) === 0x1f) {
    if (p >= end) throw new InputError(`tag ${hex2(tag)} needs a second octet, input ends`, { layer, field: 'tag', offset: p });
    if (b[p] & 0x80) {
      throw new InputError(`tag ${hex2(tag)}${hex2(b[p])}… is longer than 2 octets (not supported)`, {
        layer, field: 'tag', offset: off,
      });
    }
    tag = (tag << 8) | b[p];
    p++;
  }
  const lengthOffset = p;
  const field = `${label(tag, names)} length`;
  const l = decodeBerLength(b, p, end, 2, { layer, field }, true);
  const length = l.value;
  p += l.size;
  return { tag, offset: off, lengthOffset, length, valueOffset: p };
}

/** Read one definite-length TLV that must fit before `end`. */
export function readTlv(b: Uint8Array, off: number, end: number, layer: string, names?: TagNamer): Tlv {
  const h = readHeader(b, off, end, layer, names);
  if (h.length === INDEFINITE) {
    throw new InputError('indefinite length (80) not allowed here: inner TLVs use definite lengths', {
      layer, field: `${label(h.tag, names)} length`, offset: h.lengthOffset,
    });
  }
  const avail = end - h.valueOffset;
  if (h.length > avail) {
    throw new InputError(`says ${h.length} octet${h.length === 1 ? '' : 's'}, ${avail} present`, {
      layer, field: `${label(h.tag, names)} length`, offset: h.lengthOffset,
    });
  }
  const e = h.valueOffset + h.length;
  return Object.assign(h, { value: b.subarray(h.valueOffset, e), end: e });
}

/** Read consecutive definite-length TLVs filling exactly [start, end). */
export function readTlvs(b: Uint8Array, start: number, end: number, layer: string, names?: TagNamer): Tlv[] {
  const out: Tlv[] = [];
  let p = start;
  while (p < end) {
    const t = readTlv(b, p, end, layer, names);
    out.push(t);
    p = t.end;
  }
  return out;
}

/**
 * Read the contents of an indefinite-length constructed TLV: definite TLVs
 * up to the end-of-contents octets `00 00`. Returns the TLVs and the offset
 * just after `00 00`.
 */
export function readIndefinite(
  b: Uint8Array, start: number, end: number, layer: string, names?: TagNamer,
): { items: Tlv[]; end: number } {
  const items: Tlv[] = [];
  let p = start;
  for (;;) {
    if (p >= end) {
      throw new InputError('end-of-contents 00 00 of the indefinite-length template not found', {
        layer, field: 'end-of-contents', offset: p,
      });
    }
    if (b[p] === 0x00) {
      if (p + 1 >= end) {
        throw new InputError('end-of-contents truncated: 00 without its second 00', {
          layer, field: 'end-of-contents', offset: p,
        });
      }
      if (b[p + 1] === 0x00) return { items, end: p + 2 };
    }
    const t = readTlv(b, p, end, layer, names);
    items.push(t);
    p = t.end;
  }
}

export function encodeTag(tag: number): Uint8Array {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffff) throw new InputError(`tag ${tag} is not a 1–2 octet tag`, { field: 'tag' });
  return tag > 0xff ? Uint8Array.of(tag >> 8, tag & 0xff) : Uint8Array.of(tag);
}

/** Definite BER length, shortest form (up to 82 xx xx). */
export function encodeLength(n: number): Uint8Array {
  return encodeBerLength(n, 2, { field: 'length' });
}

export const lengthOfLength = berLengthSize;

export function encodeTlv(tag: number, value: Uint8Array): Uint8Array {
  return concat(encodeTag(tag), encodeLength(value.length), value);
}

/** `tag 80 contents 00 00`. */
export function encodeIndefinite(tag: number, contents: Uint8Array): Uint8Array {
  return concat(encodeTag(tag), Uint8Array.of(0x80), contents, Uint8Array.of(0x00, 0x00));
}

/** Encoded size of a definite TLV with a value of `valueLength` octets. */
export function tlvEncodingLength(tag: number, valueLength: number): number {
  return (tag > 0xff ? 2 : 1) + lengthOfLength(valueLength) + valueLength;
}
