/**
 * TP-User-Data-Header (TS 23.040 cl. 9.2.3.24): UDHL followed by a list of
 * information elements (IEI, IEDL, IED). Named IEs: 00/08 concatenation,
 * 70 command packet identifier (CPI), 71 response packet identifier (RPI)
 * (TS 31.115 cl. 4; 70–7F are "(U)SIM toolkit security headers").
 */
import { InputError } from '../util/errors.js';
import { hex2, need } from './fields.js';

export const IEI = {
  CONCAT_8: 0x00,
  CONCAT_16: 0x08,
  CPI: 0x70,
  RPI: 0x71,
} as const;

export interface UdhIe {
  iei: number;
  data: Uint8Array;
}

export interface ConcatInfo {
  ref: number;
  /** 8 for IEI 00, 16 for IEI 08. */
  refBits: 8 | 16;
  total: number;
  seq: number;
}

export interface UdhDecoded {
  ies: UdhIe[];
  /** UDHL value (octets after the UDHL octet). */
  udhl: number;
  /** Octets taken by the header incl. the UDHL octet (= udhl + 1). */
  length: number;
}

const LAYER = 'UDH';

/** IE names as Wireshark's gsm_sms prints them (without the "(SMS Control)" suffix). */
export function ieName(iei: number): string {
  switch (iei) {
    case 0x00:
      return 'Concatenated short messages, 8-bit reference number';
    case 0x01:
      return 'Special SMS Message Indication';
    case 0x04:
      return 'Application port addressing scheme, 8 bit address';
    case 0x05:
      return 'Application port addressing scheme, 16 bit address';
    case 0x08:
      return 'Concatenated short message, 16-bit reference number';
    case 0x70:
      return '(U)SIM Toolkit Security Headers (command packet identifier, CPI)';
    case 0x71:
      return '(U)SIM Toolkit Security Headers (response packet identifier, RPI)';
    default:
      if (iei >= 0x72 && iei <= 0x7f) return '(U)SIM Toolkit Security Headers';
      return `IE 0x${hex2(iei)}`;
  }
}

export const udh = {
  encodingLength(ies: readonly UdhIe[]): number {
    let n = 1;
    for (const ie of ies) n += 2 + ie.data.length;
    return n;
  },

  /** UDHL ‖ IEs. */
  encode(ies: readonly UdhIe[]): Uint8Array {
    const n = udh.encodingLength(ies);
    if (n - 1 > 255) throw new InputError(`header of ${n - 1} octets does not fit one UDHL octet`, { layer: LAYER, field: 'UDHL' });
    const out = new Uint8Array(n);
    out[0] = n - 1;
    let o = 1;
    for (const ie of ies) {
      if (!Number.isInteger(ie.iei) || ie.iei < 0 || ie.iei > 255) throw new InputError(`not an octet: ${ie.iei}`, { layer: LAYER, field: 'IEI' });
      if (ie.data.length > 255) throw new InputError(`IE data of ${ie.data.length} octets`, { layer: LAYER, field: 'IEDL' });
      out[o] = ie.iei;
      out[o + 1] = ie.data.length;
      out.set(ie.data, o + 2);
      o += 2 + ie.data.length;
    }
    return out;
  },

  /**
   * Decode the header at the start of the user data `ud` (from `offset`).
   * `ud` must end where TP-UD ends: a UDHL that runs past it is an error.
   */
  decode(ud: Uint8Array, offset = 0): UdhDecoded {
    need(ud, offset, 1, LAYER, 'UDHL');
    const udhl = ud[offset];
    const end = offset + 1 + udhl;
    if (end > ud.length) {
      throw new InputError(`says ${udhl} octets, only ${ud.length - offset - 1} octets of user data follow`, { layer: LAYER, field: 'UDHL', offset });
    }
    const ies: UdhIe[] = [];
    let o = offset + 1;
    while (o < end) {
      if (o + 2 > end) throw new InputError(`IE header needs 2 octets, ${end - o} left in the UDH`, { layer: LAYER, field: 'IEI', offset: o });
      const iei = ud[o];
      const len = ud[o + 1];
      if (o + 2 + len > end) {
        throw new InputError(`IE ${hex2(iei)} says ${len} octets, ${end - o - 2} left in the UDH`, { layer: LAYER, field: 'IEDL', offset: o + 1 });
      }
      const data = ud.slice(o + 2, o + 2 + len);
      checkIe(iei, data, o);
      ies.push({ iei, data });
      o += 2 + len;
    }
    return { ies, udhl, length: 1 + udhl };
  },
};

/** The IEDL a fixed-length IE must have (TS 23.040 cl. 9.2.3.24.1, .24.8; TS 31.115 cl. 4): -1 for any length. */
function fixedIedl(iei: number): number {
  return iei === IEI.CONCAT_8 ? 3 : iei === IEI.CONCAT_16 ? 4 : iei === IEI.CPI || iei === IEI.RPI ? 0 : -1;
}

/**
 * The CPI / RPI (70 / 71) of the header at the start of `ud` when udh.decode
 * would accept it and it has one; undefined otherwise. Throws nothing and
 * allocates nothing: it tells user data from a TPDU on every input whose layer
 * is guessed, where a thrown error (its stack trace) cost more than the guess.
 */
export function probeSecurityIe(ud: Uint8Array): number | undefined {
  if (ud.length < 1) return undefined;
  const end = 1 + ud[0];
  if (end > ud.length) return undefined;
  let found: number | undefined;
  for (let o = 1; o < end; ) {
    if (o + 2 > end) return undefined;
    const iei = ud[o];
    const len = ud[o + 1];
    if (o + 2 + len > end) return undefined;
    const want = fixedIedl(iei);
    if (want >= 0 && len !== want) return undefined;
    if (found === undefined && (iei === IEI.CPI || iei === IEI.RPI)) found = iei;
    o += 2 + len;
  }
  return found;
}

/** Fixed-length IEs: a wrong IEDL is malformed input. */
function checkIe(iei: number, data: Uint8Array, offset: number): void {
  const want = fixedIedl(iei);
  if (want >= 0 && data.length !== want) {
    throw new InputError(`IE ${hex2(iei)} (${ieName(iei)}) must have ${want} octets of data, has ${data.length}`, { layer: LAYER, field: 'IEDL', offset: offset + 1 });
  }
}

export function concatIe(info: Omit<ConcatInfo, 'refBits'> & { refBits?: 8 | 16 }): UdhIe {
  const bits = info.refBits ?? 8;
  const maxRef = bits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(info.ref) || info.ref < 0 || info.ref > maxRef) {
    throw new InputError(`${bits}-bit reference must be 0..${maxRef}, got ${info.ref}`, { layer: LAYER, field: 'Message identifier' });
  }
  if (!Number.isInteger(info.total) || info.total < 1 || info.total > 255) throw new InputError(`must be 1..255, got ${info.total}`, { layer: LAYER, field: 'Message parts' });
  if (!Number.isInteger(info.seq) || info.seq < 1 || info.seq > info.total) throw new InputError(`must be 1..${info.total}, got ${info.seq}`, { layer: LAYER, field: 'Message part number' });
  return bits === 8
    ? { iei: IEI.CONCAT_8, data: Uint8Array.of(info.ref, info.total, info.seq) }
    : { iei: IEI.CONCAT_16, data: Uint8Array.of(info.ref >> 8, info.ref & 0xff, info.total, info.seq) };
}

/** Concatenation info of an IE 00/08 (undefined for other IEs). */
export function parseConcatIe(ie: UdhIe): ConcatInfo | undefined {
  if (ie.iei === IEI.CONCAT_8 && ie.data.length === 3) return { ref: ie.data[0], refBits: 8, total: ie.data[1], seq: ie.data[2] };
  if (ie.iei === IEI.CONCAT_16 && ie.data.length === 4) return { ref: (ie.data[0] << 8) | ie.data[1], refBits: 16, total: ie.data[2], seq: ie.data[3] };
  return undefined;
}

export function findConcat(ies: readonly UdhIe[]): ConcatInfo | undefined {
  for (const ie of ies) {
    const c = parseConcatIe(ie);
    if (c) return c;
  }
  return undefined;
}

/** 0x70 / 0x71 if the header carries the CPI / RPI IE. */
export function findSecurityIe(ies: readonly UdhIe[]): number | undefined {
  for (const ie of ies) if (ie.iei === IEI.CPI || ie.iei === IEI.RPI) return ie.iei;
  return undefined;
}

/** Split TP-UD (8-bit) into header and the octets after it. */
export function splitUserData(ud: Uint8Array, hasUdh: boolean): { udh?: UdhDecoded; body: Uint8Array } {
  if (!hasUdh) return { body: ud };
  const h = udh.decode(ud, 0);
  return { udh: h, body: ud.slice(h.length) };
}
