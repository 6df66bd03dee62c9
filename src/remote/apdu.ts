/**
 * ISO/IEC 7816-4 command APDUs as carried in remote command scripts
 * (TS 102 226 cl. 5), plus the INS / status-word name tables used by the trees.
 */
import { swMeaning } from './sw.js';
import { hex2 } from '../util/hex.js';
import { InputError } from '../util/errors.js';
import type { Status } from '../render/tree.js';

/** One command APDU. `le` is Ne, the expected response length (256 / 65536 when coded `00` / `0000`). */
export interface CApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  le?: number;
}

/** ISO 7816-3/-4 APDU case: 1 no data, 2 outgoing, 3 incoming, 4 both. */
export type ApduCase = 1 | 2 | 3 | 4;

/** A C-APDU located in a decoded script. */
export interface ScriptApdu extends CApdu {
  case: ApduCase;
  /** Octets exactly as they appear in the script. */
  raw: Uint8Array;
  /** Offset of the CLA octet in the decoded input. */
  offset: number;
  /** Extended-length coding (expanded format only). */
  extended?: boolean;
  /**
   * Compact format only: the INS is not in the direction table and the P3
   * reading (Le or Lc) was chosen because it is the only one that splits the
   * rest of the script.
   */
  inferred?: boolean;
}

/** Where P3 goes in a T=0 TPDU: `out` = P3 is Le (case 2), `in` = P3 is Lc + data (case 3/4). */
export type Direction = 'in' | 'out';

export interface ApduHeader {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
}

const isSim = (h: ApduHeader) => h.cla === 0xa0;
/** GlobalPlatform commands use a proprietary class (b8 set, not the SIM class A0). */
const isProprietary = (h: ApduHeader) => (h.cla & 0x80) !== 0 && h.cla !== 0xa0;
/**
 * `80 F2` is both the UICC STATUS (TS 102 221, P1 00/01/02, Le) and the GP
 * GET STATUS (P1 = 80/40/20/10 subset, Lc + search criteria): P1 tells them apart.
 */
const isGpGetStatus = (h: ApduHeader) => h.ins === 0xf2 && isProprietary(h) && h.p1 > 0x02;

/** Name of a well-known command, by INS (and CLA/P1 where the INS is shared). */
export function insName(h: ApduHeader): string | undefined {
  const sim = isSim(h);
  switch (h.ins) {
    case 0xa4: return 'SELECT';
    case 0xb0: return 'READ BINARY';
    case 0xd6: return 'UPDATE BINARY';
    case 0xb2: return 'READ RECORD';
    case 0xdc: return 'UPDATE RECORD';
    case 0xa2: return sim ? 'SEEK' : 'SEARCH RECORD';
    case 0x32: return 'INCREASE';
    case 0x20: return sim ? 'VERIFY CHV' : 'VERIFY PIN';
    case 0x24: return sim ? 'CHANGE CHV' : 'CHANGE PIN';
    case 0x26: return sim ? 'DISABLE CHV' : 'DISABLE PIN';
    case 0x28: return sim ? 'ENABLE CHV' : 'ENABLE PIN';
    case 0x2c: return sim ? 'UNBLOCK CHV' : 'UNBLOCK PIN';
    case 0x04: return sim ? 'INVALIDATE' : 'DEACTIVATE FILE';
    case 0x44: return sim ? 'REHABILITATE' : 'ACTIVATE FILE';
    case 0x88: return sim ? 'RUN GSM ALGORITHM' : 'AUTHENTICATE';
    case 0x84: return 'GET CHALLENGE';
    case 0xc0: return 'GET RESPONSE';
    case 0xf2: return isGpGetStatus(h) ? 'GET STATUS' : 'STATUS';
    case 0xca: return 'GET DATA';
    case 0xcb: return isProprietary(h) ? 'GET DATA' : 'RETRIEVE DATA';
    case 0xdb: return 'SET DATA';
    case 0xe0: return 'CREATE FILE';
    case 0xe4: return isProprietary(h) ? 'DELETE' : 'DELETE FILE';
    case 0xd4: return 'RESIZE FILE';
    case 0xe6: return 'INSTALL';
    case 0xe8: return 'LOAD';
    case 0xd8: return 'PUT KEY';
    case 0xf0: return 'SET STATUS';
    case 0xe2: return 'STORE DATA';
    case 0x70: return 'MANAGE CHANNEL';
    case 0x73: return 'MANAGE SECURE CHANNEL';
    case 0x75: return 'TRANSACT DATA';
    case 0x50: return 'INITIALIZE UPDATE';
    case 0x82: return 'EXTERNAL AUTHENTICATE';
    case 0x10: return 'TERMINAL PROFILE';
    case 0xc2: return 'ENVELOPE';
    case 0x12: return 'FETCH';
    case 0x14: return 'TERMINAL RESPONSE';
    default: return undefined;
  }
}

/**
 * Direction of P3 in a T=0 TPDU, needed to split a compact script
 * (TS 102 226 cl. 5.1.1). `undefined` when the INS is not known well enough.
 */
export function insDirection(h: ApduHeader): Direction | undefined {
  switch (h.ins) {
    // Outgoing: P3 is Le.
    case 0xb0: case 0xb2: case 0xc0: case 0xca: case 0x84: case 0x12:
      return 'out';
    case 0xf2:
      return isGpGetStatus(h) ? 'in' : 'out';
    // Incoming (case 3, or case 4 coded without Le): P3 is Lc, data follows.
    case 0xa4: case 0xd6: case 0xdc: case 0xa2: case 0x32:
    case 0x20: case 0x24: case 0x26: case 0x28: case 0x2c:
    case 0x04: case 0x44: case 0x88: case 0xcb: case 0xdb:
    case 0xe0: case 0xe4: case 0xd4: case 0xe6: case 0xe8: case 0xd8: case 0xf0: case 0xe2:
    case 0x50: case 0x82: case 0x10: case 0xc2: case 0x14:
      return 'in';
    default:
      return undefined;
  }
}

/** Status word meaning (the one table, src/remote/sw.ts). */
export const swName: (sw: number) => string | undefined = swMeaning;

/**
 * Success / warning / failure of a status word. 90xx/91xx/92xx, 61xx, 9Fxx are
 * successes (TS 102 226 cl. 5.1.2: onomondo's notion of a successful command);
 * 62xx/63xx are warnings (whether they stop a script is not confirmed).
 */
export function swStatus(sw: number): Status {
  const sw1 = sw >> 8;
  if (sw1 === 0x90 || sw1 === 0x91 || sw1 === 0x92 || sw1 === 0x61 || sw1 === 0x9f) return 'ok';
  if (sw1 === 0x62 || sw1 === 0x63) return 'warn';
  return 'fail';
}


/**
 * Parse a complete ISO 7816-4 C-APDU whose length is known (the value of a
 * C-APDU TLV, or a raw APDU handed to an encoder). The case follows from the
 * total length, so this is unambiguous. `offset` is added to error offsets.
 */
export function parseCApdu(b: Uint8Array, layer: string, field = 'C-APDU', offset = 0): ScriptApdu {
  const n = b.length;
  if (n < 4) {
    throw new InputError(`needs at least 4 octets (CLA INS P1 P2), ${n} present`, { layer, field, offset });
  }
  // Literals written out, not { ...base, case }: in Node 20 each member added after a spread
  // costs about a microsecond, and a script has an APDU object per command.
  const cla = b[0];
  const ins = b[1];
  const p1 = b[2];
  const p2 = b[3];
  if (n === 4) return { cla, ins, p1, p2, raw: b, offset, case: 1 };
  if (n === 5) return { cla, ins, p1, p2, raw: b, offset, case: 2, le: b[4] || 256 };
  const p3 = b[4];
  if (p3 !== 0) {
    const data = b.subarray(5, 5 + p3);
    if (n === 5 + p3) return { cla, ins, p1, p2, raw: b, offset, case: 3, data };
    if (n === 6 + p3) return { cla, ins, p1, p2, raw: b, offset, case: 4, data, le: b[n - 1] || 256 };
    throw new InputError(
      `Lc ${hex2(p3)} says ${p3} data octets, so the APDU must be ${5 + p3} or ${6 + p3} octets, got ${n}`,
      { layer, field: `${field} Lc`, offset: offset + 4 },
    );
  }
  // Extended length: 00 then two octets.
  if (n === 6) {
    throw new InputError('1 octet after the 00 extended-length marker; need 2 (Le) or Lc(2)+data', {
      layer, field: `${field} Lc`, offset: offset + 4,
    });
  }
  const v = (b[5] << 8) | b[6];
  if (n === 7) return { cla, ins, p1, p2, raw: b, offset, case: 2, le: v || 65536, extended: true };
  if (v === 0) {
    throw new InputError('extended Lc is 0000', { layer, field: `${field} Lc`, offset: offset + 5 });
  }
  const data = b.subarray(7, 7 + v);
  if (n === 7 + v) return { cla, ins, p1, p2, raw: b, offset, case: 3, data, extended: true };
  if (n === 9 + v) {
    const le = (b[n - 2] << 8) | b[n - 1];
    return { cla, ins, p1, p2, raw: b, offset, case: 4, data, le: le || 65536, extended: true };
  }
  throw new InputError(
    `extended Lc says ${v} data octets, so the APDU must be ${7 + v} or ${9 + v} octets, got ${n}`,
    { layer, field: `${field} Lc`, offset: offset + 5 },
  );
}

/** Encode a C-APDU in ISO 7816-4 form (short lengths unless data > 255 or Ne > 256). */
export function encodeCApdu(a: CApdu, layer = 'C-APDU'): Uint8Array {
  for (const [k, v] of [['CLA', a.cla], ['INS', a.ins], ['P1', a.p1], ['P2', a.p2]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new InputError(`must be 0–255, got ${v}`, { layer, field: k });
  }
  const nc = a.data?.length ?? 0;
  const ne = a.le === 0 ? 256 : a.le;
  if (nc > 65535) throw new InputError(`${nc} octets is more than 65535`, { layer, field: 'data' });
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > 65536)) {
    throw new InputError(`Le (Ne) must be 1–65536, got ${a.le}`, { layer, field: 'Le' });
  }
  const ext = nc > 255 || (ne !== undefined && ne > 256);
  const out: number[] = [a.cla, a.ins, a.p1, a.p2];
  if (nc > 0) {
    if (ext) out.push(0, nc >> 8, nc & 0xff);
    else out.push(nc);
    for (const x of a.data!) out.push(x);
  }
  if (ne !== undefined) {
    if (ext) {
      if (nc === 0) out.push(0);
      out.push((ne >> 8) & 0xff, ne & 0xff); // 65536 → 0000
    } else {
      out.push(ne & 0xff); // 256 → 00
    }
  }
  return Uint8Array.from(out);
}
