/**
 * Address fields.
 *  - TP address (TS 23.040 cl. 9.1.2.5, TP-OA/TP-DA): length = number of useful
 *    semi-octets, type-of-address octet, BCD digits low nibble first, F filler.
 *    TON 101 (alphanumeric) carries GSM 7-bit packed text instead of digits.
 *  - Address value (TON/NPI octet + BCD digits, length given by the container):
 *    the value of the CAT Address COMPREHENSION-TLV 06/86 (TS 102 223 cl. 8.1).
 *  - RP address (TS 24.011 cl. 8.2.5.1/2, SMSC address): length in octets
 *    (TON/NPI + BCD), then the address value.
 */
import { InputError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { hex2, need } from './fields.js';
import { packSeptets, septetsToText, textToSeptets, unpackSeptets } from './gsm7.js';

export interface SmsAddress {
  /** Digits 0-9 * # a b c (BCD), or the text for TON 5 (alphanumeric). */
  digits: string;
  /** Type of number, 3 bits (0 unknown, 1 international, 2 national, 5 alphanumeric …). */
  ton: number;
  /** Numbering plan identification, 4 bits (1 = ISDN/E.164). */
  npi: number;
  /** Bit 8 of the type octet; always 1 in valid input ("no extension"). Default true. */
  ext?: boolean;
}

export interface DecodedAddress extends SmsAddress {
  ext: boolean;
  /** Raw octets of the whole field, including the length octet if the form has one. */
  hex: string;
  /** The length octet (digits for TP addresses, octets for RP addresses); -1 for a bare value. */
  lengthValue: number;
  /** Problems that do not stop decoding (non-F filler, extension bit 0). */
  warnings: string[];
}

export const TON_NAMES: Record<number, string> = {
  0: 'Unknown',
  1: 'International',
  2: 'National',
  3: 'Network specific',
  4: 'Subscriber',
  5: 'Alphanumeric (GSM 7-bit default alphabet)',
  6: 'Abbreviated',
  7: 'Reserved for extension',
};

export const NPI_NAMES: Record<number, string> = {
  0: 'Unknown',
  1: 'ISDN/telephone (E.164/E.163)',
  3: 'Data (X.121)',
  4: 'Telex',
  5: 'Service Centre specific 1',
  6: 'Service Centre specific 2',
  8: 'National',
  9: 'Private',
  10: 'ERMES',
  15: 'Reserved for extension',
};

export function tonName(ton: number): string {
  return TON_NAMES[ton] ?? 'Reserved';
}
export function npiName(npi: number): string {
  return NPI_NAMES[npi] ?? 'Reserved';
}

/** Default type of address when the user gives none: 0x81 (TON unknown, NPI ISDN) — what every published real-card trace uses (Gemalto `03 81 19 F0`, pySim `08 81 …`, the concatenated vector `04 81 11 22`). A leading "+" selects international (0x91). */
export const DEFAULT_TON = 0;
export const DEFAULT_NPI = 1;

const BCD_CHARS = '0123456789*#abc';

/** "+491234567" → {digits:"491234567", ton:1, npi:1}; explicit ton/npi win. */
export function makeAddress(input: string, opts: { ton?: number; npi?: number } = {}, field = 'address'): SmsAddress {
  let digits = input.trim();
  let ton = opts.ton;
  if (digits.startsWith('+')) {
    digits = digits.slice(1);
    ton ??= 1;
  }
  ton ??= DEFAULT_TON;
  const npi = opts.npi ?? (ton === 5 ? 0 : DEFAULT_NPI);
  const a: SmsAddress = { digits, ton, npi };
  checkAddress(a, 'address', field);
  return a;
}

function checkAddress(a: SmsAddress, layer: string, field: string): void {
  if (!Number.isInteger(a.ton) || a.ton < 0 || a.ton > 7) throw new InputError(`TON must be 0..7, got ${a.ton}`, { layer, field });
  if (!Number.isInteger(a.npi) || a.npi < 0 || a.npi > 15) throw new InputError(`NPI must be 0..15, got ${a.npi}`, { layer, field });
  if (a.ton === 5) return;
  for (let i = 0; i < a.digits.length; i++) {
    if (!BCD_CHARS.includes(a.digits[i].toLowerCase())) {
      throw new InputError(`${JSON.stringify(a.digits[i])} at position ${i + 1} is not a digit (0-9 * # a b c)`, { layer, field });
    }
  }
}

export function typeOctet(a: SmsAddress): number {
  return ((a.ext ?? true) ? 0x80 : 0) | ((a.ton & 7) << 4) | (a.npi & 0x0f);
}

/** BCD digits, low nibble first, F filler for an odd count. */
export function bcdEncode(digits: string): Uint8Array {
  const out = new Uint8Array(Math.ceil(digits.length / 2)).fill(0xff);
  for (let i = 0; i < digits.length; i++) {
    const v = BCD_CHARS.indexOf(digits[i].toLowerCase());
    const b = out[i >> 1];
    out[i >> 1] = i & 1 ? (b & 0x0f) | (v << 4) : (b & 0xf0) | v;
  }
  return out;
}

/** Decode `count` BCD digits (or all up to an F filler when count is undefined). */
export function bcdDecode(bytes: Uint8Array, count?: number): { digits: string; warnings: string[] } {
  const warnings: string[] = [];
  let s = '';
  const n = count ?? bytes.length * 2;
  for (let i = 0; i < n; i++) {
    const v = i & 1 ? bytes[i >> 1] >> 4 : bytes[i >> 1] & 0x0f;
    if (v === 0x0f) {
      if (count === undefined) {
        for (let j = i + 1; j < bytes.length * 2; j++) {
          const w = j & 1 ? bytes[j >> 1] >> 4 : bytes[j >> 1] & 0x0f;
          if (w !== 0x0f) {
            warnings.push(`filler F followed by digit ${w.toString(16).toUpperCase()} in octet ${(j >> 1) + 1}`);
            break;
          }
        }
        break;
      }
      warnings.push(`filler F inside the ${n} digits (digit ${i + 1})`);
      continue;
    }
    s += BCD_CHARS[v];
  }
  if (count !== undefined && count & 1 && count >> 1 < bytes.length) {
    const last = bytes[count >> 1] >> 4;
    if (last !== 0x0f) warnings.push(`filler nibble is ${last.toString(16).toUpperCase()}, not F`);
  }
  return { digits: s, warnings };
}

function valueDigits(a: SmsAddress): { body: Uint8Array; semiOctets: number } {
  if (a.ton === 5) {
    const sept = textToSeptets(a.digits, 'address', 'alphanumeric address');
    const body = packSeptets(sept);
    return { body, semiOctets: Math.ceil((sept.length * 7) / 4) };
  }
  return { body: bcdEncode(a.digits), semiOctets: a.digits.length };
}

const TP_LAYER = 'TP address';

/** TP-OA / TP-DA: length (digits) ‖ type ‖ BCD. */
export const tpAddress = {
  encodingLength(a: SmsAddress): number {
    return 2 + valueDigits(a).body.length;
  },
  encode(a: SmsAddress): Uint8Array {
    checkAddress(a, TP_LAYER, 'Address-Value');
    const { body, semiOctets } = valueDigits(a);
    if (body.length > 10) throw new InputError(`address value of ${body.length} octets; TS 23.040 allows at most 10 (20 digits)`, { layer: TP_LAYER, field: 'Address-Length' });
    const out = new Uint8Array(2 + body.length);
    out[0] = semiOctets;
    out[1] = typeOctet(a);
    out.set(body, 2);
    return out;
  },
  decode(bytes: Uint8Array, offset = 0, layer = TP_LAYER): { value: DecodedAddress; length: number } {
    need(bytes, offset, 2, layer, 'Address-Length');
    const len = bytes[offset];
    const type = bytes[offset + 1];
    const nOct = Math.ceil(len / 2);
    if (nOct > 10) throw new InputError(`says ${len} semi-octets; at most 20 are allowed`, { layer, field: 'Address-Length', offset });
    need(bytes, offset + 2, nOct, layer, 'Address-Value');
    const body = bytes.subarray(offset + 2, offset + 2 + nOct);
    const ton = (type >> 4) & 7;
    const npi = type & 0x0f;
    const ext = (type & 0x80) !== 0;
    let digits: string;
    let warnings: string[] = [];
    if (ton === 5) {
      digits = septetsToText(unpackSeptets(body, Math.floor((len * 4) / 7)));
    } else {
      ({ digits, warnings } = bcdDecode(body, len));
    }
    if (!ext) warnings.push('type-of-address bit 8 is 0 (must be 1)');
    return {
      value: { digits, ton, npi, ext, hex: toHex(bytes.subarray(offset, offset + 2 + nOct)), lengthValue: len, warnings },
      length: 2 + nOct,
    };
  },
};

/** TON/NPI octet ‖ BCD digits, no length (CAT Address TLV value). */
export const addressValue = {
  encodingLength(a: SmsAddress): number {
    return 1 + valueDigits(a).body.length;
  },
  encode(a: SmsAddress): Uint8Array {
    checkAddress(a, 'Address', 'Dialling number string');
    const { body } = valueDigits(a);
    const out = new Uint8Array(1 + body.length);
    out[0] = typeOctet(a);
    out.set(body, 1);
    return out;
  },
  /** Decode the whole of `bytes` (the container gives the length). */
  decode(bytes: Uint8Array, layer = 'Address'): DecodedAddress {
    need(bytes, 0, 1, layer, 'TON/NPI');
    const type = bytes[0];
    const ton = (type >> 4) & 7;
    const npi = type & 0x0f;
    const ext = (type & 0x80) !== 0;
    const body = bytes.subarray(1);
    let digits: string;
    let warnings: string[] = [];
    if (ton === 5) digits = septetsToText(unpackSeptets(body, Math.floor((body.length * 8) / 7)));
    else ({ digits, warnings } = bcdDecode(body));
    if (!ext) warnings.push(`TON/NPI octet ${hex2(type)} has bit 8 = 0 (must be 1)`);
    return { digits, ton, npi, ext, hex: toHex(bytes), lengthValue: -1, warnings };
  },
};

/** RP-OA / RP-DA / SMSC address: length in octets ‖ TON/NPI ‖ BCD. */
export const rpAddress = {
  encodingLength(a: SmsAddress): number {
    return 1 + addressValue.encodingLength(a);
  },
  encode(a: SmsAddress): Uint8Array {
    const v = addressValue.encode(a);
    if (v.length > 11) throw new InputError(`address value of ${v.length} octets; at most 11`, { layer: 'RP address', field: 'length' });
    const out = new Uint8Array(1 + v.length);
    out[0] = v.length;
    out.set(v, 1);
    return out;
  },
  decode(bytes: Uint8Array, offset = 0): { value: DecodedAddress; length: number } {
    need(bytes, offset, 1, 'RP address', 'length');
    const len = bytes[offset];
    if (len === 0) return { value: { digits: '', ton: 0, npi: 0, ext: true, hex: '00', lengthValue: 0, warnings: [] }, length: 1 };
    need(bytes, offset + 1, len, 'RP address', 'address value');
    const v = addressValue.decode(bytes.subarray(offset + 1, offset + 1 + len), 'RP address');
    return { value: Object.assign(v, { hex: toHex(bytes.subarray(offset, offset + 1 + len)), lengthValue: len }), length: 1 + len };
  },
};

/** "+491234567" style rendering (the "+" only for TON international). */
export function formatAddress(a: SmsAddress): string {
  return (a.ton === 1 ? '+' : '') + a.digits;
}
