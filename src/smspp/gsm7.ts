/**
 * GSM 7-bit default alphabet (TS 23.038 cl. 6.2.1) and septet packing, used
 * for alphanumeric addresses (TON 101) and for showing 7-bit user data.
 */
import { InputError } from '../util/errors.js';

// Basic character set, index = septet value; 0x1B is the escape to the extension table.
const BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXT: Record<number, string> = { 0x0a: '\f', 0x14: '^', 0x28: '{', 0x29: '}', 0x2f: '\\', 0x3c: '[', 0x3d: '~', 0x3e: ']', 0x40: '|', 0x65: '€' };

const REV = new Map<string, number[]>();
[...BASIC].forEach((c, i) => {
  if (i !== 0x1b) REV.set(c, [i]);
});
for (const [k, c] of Object.entries(EXT)) REV.set(c, [0x1b, Number(k)]);

/** Septet values → text (unknown escapes shown as a space, as TS 23.038 suggests). */
export function septetsToText(septets: readonly number[]): string {
  let s = '';
  for (let i = 0; i < septets.length; i++) {
    const v = septets[i] & 0x7f;
    if (v === 0x1b && i + 1 < septets.length) {
      s += EXT[septets[++i] & 0x7f] ?? ' ';
    } else s += BASIC[v];
  }
  return s;
}

export function textToSeptets(text: string, layer = 'GSM 7-bit', field = 'text'): number[] {
  const out: number[] = [];
  let i = 0;
  for (const c of text) {
    const v = REV.get(c);
    if (!v) throw new InputError(`character ${JSON.stringify(c)} (position ${i + 1}) is not in the GSM 7-bit default alphabet`, { layer, field });
    out.push(...v);
    i++;
  }
  return out;
}

/** Pack septets LSB-first starting `fillBits` bits into the first octet. */
export function packSeptets(septets: readonly number[], fillBits = 0): Uint8Array {
  const bits = fillBits + septets.length * 7;
  const out = new Uint8Array(Math.ceil(bits / 8));
  let pos = fillBits;
  for (const s of septets) {
    for (let b = 0; b < 7; b++, pos++) if ((s >> b) & 1) out[pos >> 3] |= 1 << (pos & 7);
  }
  return out;
}

/** Unpack `count` septets, skipping `fillBits` leading bits. */
export function unpackSeptets(bytes: Uint8Array, count: number, fillBits = 0): number[] {
  const out: number[] = [];
  let pos = fillBits;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < 7; b++, pos++) {
      const byte = bytes[pos >> 3] ?? 0;
      if ((byte >> (pos & 7)) & 1) v |= 1 << b;
    }
    out.push(v);
  }
  return out;
}
