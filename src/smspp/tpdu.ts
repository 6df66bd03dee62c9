/**
 * SMS TPDUs of TS 23.040 cl. 9.2.2 used by OTA: SMS-DELIVER (9.2.2.1),
 * SMS-DELIVER-REPORT (9.2.2.1a) and SMS-SUBMIT (9.2.2.2).
 * MTI 00 means SMS-DELIVER from the SC and SMS-DELIVER-REPORT from the MS, so
 * decoding needs the direction.
 */
import { InputError, shiftOffset } from '../util/errors.js';
import { concat, toHex } from '../util/hex.js';
import { type DecodedAddress, type SmsAddress, makeAddress, tpAddress } from './address.js';
import { type BitField, checkByte, hex2, need, readFields, writeFields } from './fields.js';
import { packSeptets, septetsToText, textToSeptets, unpackSeptets } from './gsm7.js';
import { type DecodedScts, DEFAULT_SCTS_FIELDS, type SctsFields, scts, sctsFromDate } from './scts.js';
import { type UdhIe, udh } from './udh.js';
import { withMembers } from '../util/object.js';

export type Direction = 'sc-to-ms' | 'ms-to-sc';

// ---------------------------------------------------------------- first octets

const MTI: BitField = {
  key: 'mti',
  name: 'TP-MTI',
  mask: 0x03,
};

/** SMS-DELIVER first octet (23.040 9.2.2.1; bit 4 unused). */
export const DELIVER_FIRST_OCTET: readonly BitField[] = [
  { key: 'rp', name: 'TP-RP', mask: 0x80, describe: (v) => (v ? 'TP Reply Path parameter is set' : 'TP Reply Path parameter is not set') },
  { key: 'udhi', name: 'TP-UDHI', mask: 0x40, describe: (v) => (v ? 'TP-UD begins with a header' : 'TP-UD contains only the short message') },
  { key: 'sri', name: 'TP-SRI', mask: 0x20, describe: (v) => (v ? 'a status report shall be returned' : 'no status report') },
  { key: 'lp', name: 'TP-LP', mask: 0x08, describe: (v) => (v ? 'forwarded or spawned message' : 'not forwarded, not spawned') },
  { key: 'mms', name: 'TP-MMS', mask: 0x04, describe: (v) => (v ? 'No more messages are waiting' : 'More messages are waiting') },
  { ...MTI, describe: () => 'SMS-DELIVER (0)' },
];

export const VPF_NAMES = ['none', 'enhanced', 'relative', 'absolute'] as const;
export type VpFormat = (typeof VPF_NAMES)[number];

/** SMS-SUBMIT first octet (23.040 9.2.2.2). RP is bit 7 and SRR bit 5 (pySim swaps them). */
export const SUBMIT_FIRST_OCTET: readonly BitField[] = [
  { key: 'rp', name: 'TP-RP', mask: 0x80, describe: (v) => (v ? 'TP Reply Path parameter is set' : 'TP Reply Path parameter is not set') },
  { key: 'udhi', name: 'TP-UDHI', mask: 0x40, describe: (v) => (v ? 'TP-UD begins with a header' : 'TP-UD contains only the short message') },
  { key: 'srr', name: 'TP-SRR', mask: 0x20, describe: (v) => (v ? 'A status report is requested' : 'A status report is not requested') },
  { key: 'vpf', name: 'TP-VPF', mask: 0x18, describe: (v) => `${['TP-VP field not present', 'enhanced format', 'relative format', 'absolute format'][v]} (${v})` },
  { key: 'rd', name: 'TP-RD', mask: 0x04, describe: (v) => (v ? 'Instruct SC to reject duplicates' : 'Instruct SC to accept duplicates') },
  { ...MTI, describe: () => 'SMS-SUBMIT (1)' },
];

/** SMS-DELIVER-REPORT first octet (23.040 9.2.2.1a; other bits unused). */
export const DELIVER_REPORT_FIRST_OCTET: readonly BitField[] = [
  { key: 'udhi', name: 'TP-UDHI', mask: 0x40, describe: (v) => (v ? 'TP-UD begins with a header' : 'TP-UD contains only the short message') },
  { ...MTI, describe: () => 'SMS-DELIVER-REPORT (0)' },
];

/** TP-PI (23.040 9.2.3.27). */
export const PI_FIELDS: readonly BitField[] = [
  { key: 'ext', name: 'Extension', mask: 0x80, describe: (v) => (v ? 'another TP-PI octet follows' : 'No extension') },
  { key: 'reserved', name: 'Reserved', mask: 0x78 },
  { key: 'udl', name: 'TP-UDL', mask: 0x04, describe: (v) => (v ? 'Present' : 'Not present') },
  { key: 'dcs', name: 'TP-DCS', mask: 0x02, describe: (v) => (v ? 'Present' : 'Not present') },
  { key: 'pid', name: 'TP-PID', mask: 0x01, describe: (v) => (v ? 'Present' : 'Not present') },
];

// ---------------------------------------------------------------- DCS / FCS / PID

export type Alphabet = 'gsm7' | '8bit' | 'ucs2';

export interface DcsInfo {
  alphabet: Alphabet;
  compressed: boolean;
  messageClass?: number;
  group: string;
}

/** TS 23.038 cl. 4 coding groups; reserved values are read as GSM 7-bit, as 23.038 tells receivers to. */
export function dcsInfo(dcs: number): DcsInfo {
  const hi = dcs >> 4;
  if (hi < 8) {
    const compressed = (dcs & 0x20) !== 0;
    const a = (dcs >> 2) & 3;
    return {
      alphabet: a === 1 ? '8bit' : a === 2 ? 'ucs2' : 'gsm7',
      compressed,
      messageClass: dcs & 0x10 ? dcs & 3 : undefined,
      group: dcs & 0x40 ? 'Message Marked for Automatic Deletion' : 'General Data Coding indication',
    };
  }
  if (hi === 0xf) {
    return { alphabet: dcs & 0x04 ? '8bit' : 'gsm7', compressed: false, messageClass: dcs & 3, group: 'Data coding/message class' };
  }
  if (hi === 0xc) return { alphabet: 'gsm7', compressed: false, group: 'Message Waiting Indication Group: Discard Message' };
  if (hi === 0xd) return { alphabet: 'gsm7', compressed: false, group: 'Message Waiting Indication Group: Store Message' };
  if (hi === 0xe) return { alphabet: 'ucs2', compressed: false, group: 'Message Waiting Indication Group: Store Message (UCS2)' };
  return { alphabet: 'gsm7', compressed: false, group: 'Reserved coding group' };
}

/** True when TP-UDL counts septets. */
export function udlCountsSeptets(dcs: number): boolean {
  const i = dcsInfo(dcs);
  return i.alphabet === 'gsm7' && !i.compressed;
}

/** TP-FCS values (23.040 9.2.3.22). */
export const FCS_NAMES: Record<number, string> = {
  0x80: 'Telematic interworking not supported',
  0x81: 'Short message Type 0 not supported',
  0x82: 'Cannot replace short message',
  0x8f: 'Unspecified TP-PID error',
  0x90: 'Data coding scheme (alphabet) not supported',
  0x91: 'Message class not supported',
  0x9f: 'Unspecified TP-DCS error',
  0xa0: 'Command cannot be actioned',
  0xa1: 'Command unsupported',
  0xaf: 'Unspecified TP-Command error',
  0xb0: 'TPDU not supported',
  0xc0: 'SC busy',
  0xc1: 'No SC subscription',
  0xc2: 'SC system failure',
  0xc3: 'Invalid SME address',
  0xc4: 'Destination SME barred',
  0xc5: 'SM Rejected-Duplicate SM',
  0xc6: 'TP-VPF not supported',
  0xc7: 'TP-VP not supported',
  0xd0: '(U)SIM SMS storage full',
  0xd1: 'No SMS storage capability in (U)SIM',
  0xd2: 'Error in MS',
  0xd3: 'Memory Capacity Exceeded',
  0xd4: '(U)SIM Application Toolkit Busy',
  0xd5: '(U)SIM data download error',
  0xff: 'Unspecified error cause',
};

export function fcsName(v: number): string {
  if (FCS_NAMES[v]) return FCS_NAMES[v];
  if (v >= 0xe0 && v <= 0xfe) return 'Values specific to an application';
  return 'Reserved';
}

export function pidText(pid: number): string {
  if (pid === 0x7f) return '(U)SIM Data download';
  if (pid === 0x7c) return 'ANSI-136 R-DATA';
  if (pid === 0x00) return 'SME-to-SME protocol (no telematic interworking)';
  return `0x${hex2(pid)}`;
}

/** Relative TP-VP → text (23.040 9.2.3.12.1), as Wireshark prints it. */
export function relativeVpText(v: number): string {
  if (v <= 143) {
    const m = (v + 1) * 5;
    return m < 60 ? `${m} minutes` : `${Math.floor(m / 60)} hours ${m % 60} minutes`;
  }
  if (v <= 167) {
    const m = 720 + (v - 143) * 30;
    return `${Math.floor(m / 60)} hours ${m % 60} minutes`;
  }
  if (v <= 196) return `${v - 166} day(s)`;
  return `${v - 192} week(s)`;
}

// ---------------------------------------------------------------- value types

export interface SmsDeliver {
  type: 'SMS-DELIVER';
  /** TP-MMS bit value: true (1) = no more messages are waiting. */
  mms: boolean;
  lp?: boolean;
  sri: boolean;
  udhi: boolean;
  rp: boolean;
  oa: SmsAddress;
  pid: number;
  dcs: number;
  /** 7 raw octets. */
  scts: Uint8Array;
  /** Computed from `ud` when omitted (required for 7-bit DCS). */
  udl?: number;
  /** Complete TP-UD, including UDHL and UDH. */
  ud: Uint8Array;
}

export interface SmsSubmit {
  type: 'SMS-SUBMIT';
  rd: boolean;
  /** 0 none, 1 enhanced, 2 relative, 3 absolute. */
  vpf: number;
  srr: boolean;
  udhi: boolean;
  rp: boolean;
  mr: number;
  da: SmsAddress;
  pid: number;
  dcs: number;
  /** Raw TP-VP: 1 octet (relative) or 7 (enhanced/absolute); absent for VPF 0. */
  vp?: Uint8Array;
  udl?: number;
  ud: Uint8Array;
}

export interface SmsDeliverReport {
  type: 'SMS-DELIVER-REPORT';
  /** 'ack' (in RP-ACK, no TP-FCS) or 'error' (in RP-ERROR, with TP-FCS). */
  form: 'ack' | 'error';
  udhi: boolean;
  fcs?: number;
  /** TP-PI; computed from the optional fields when omitted. */
  pi?: number;
  pid?: number;
  dcs?: number;
  udl?: number;
  ud?: Uint8Array;
}

export type Tpdu = SmsDeliver | SmsSubmit | SmsDeliverReport;

/** What decoding tells about the user data. */
export interface UserDataInfo {
  udl: number;
  /** 'octets' (8-bit/UCS2/compressed) or 'septets' (GSM 7-bit). */
  udlUnit: 'octets' | 'septets';
  alphabet: Alphabet;
  ud: Uint8Array;
  udh?: UdhIe[];
  /** Octets of UDHL+UDH (0 without UDHI). */
  udhLength: number;
  /** TP-UD after the header (for 7-bit: still packed, starting with the fill bits). */
  body: Uint8Array;
  /** 7-bit only: the message text after the header. */
  text?: string;
  /** Offsets in the TPDU. */
  udlOffset: number;
  udOffset: number;
}

interface DecodedCommon {
  firstOctet: number;
  mti: number;
  /** Octets taken by the TPDU. */
  length: number;
  /** Raw TPDU. */
  hex: string;
  /** Non-fatal remarks (odd filler, bad timestamp digits, unused bits set). */
  warnings: string[];
}

export interface DecodedSmsDeliver extends SmsDeliver, DecodedCommon {
  oa: DecodedAddress;
  sctsInfo: DecodedScts;
  udl: number;
  userData: UserDataInfo;
}

export interface DecodedSmsSubmit extends SmsSubmit, DecodedCommon {
  da: DecodedAddress;
  vpInfo?: { format: VpFormat; text: string; scts?: DecodedScts };
  udl: number;
  userData: UserDataInfo;
}

export interface DecodedSmsDeliverReport extends SmsDeliverReport, DecodedCommon {
  pi: number;
  /** Further TP-PI octets when the extension bit is set. */
  piExtension: Uint8Array;
  userData?: UserDataInfo;
}

export type DecodedTpdu = DecodedSmsDeliver | DecodedSmsSubmit | DecodedSmsDeliverReport;

// ---------------------------------------------------------------- user data

function udlFor(v: { udl?: number; ud: Uint8Array; dcs: number }, layer: string): number {
  if (v.udl !== undefined) return v.udl;
  if (udlCountsSeptets(v.dcs)) {
    throw new InputError('TP-UDL must be given for a 7-bit DCS (septet count is not implied by the octets)', { layer, field: 'TP-UDL' });
  }
  return v.ud.length;
}

function checkUd(udl: number, ud: Uint8Array, dcs: number, layer: string, limit = true): void {
  const septets = udlCountsSeptets(dcs);
  const max = !limit ? 255 : septets ? 160 : 140;
  if (!Number.isInteger(udl) || udl < 0 || udl > max) throw new InputError(`must be 0..${max} ${septets ? 'septets' : 'octets'}, got ${udl}`, { layer, field: 'TP-UDL' });
  const octets = septets ? Math.ceil((udl * 7) / 8) : udl;
  if (octets !== ud.length) {
    throw new InputError(`says ${udl} ${septets ? `septets (${octets} octets)` : 'octets'}, TP-UD has ${ud.length}`, { layer, field: 'TP-UDL' });
  }
}

/** Read TP-UDL at `o` and TP-UD to the end of `bytes`. */
function decodeUserData(bytes: Uint8Array, o: number, dcs: number, udhi: boolean, layer: string, limit = true): UserDataInfo {
  need(bytes, o, 1, layer, 'TP-UDL');
  const udl = bytes[o];
  const info = dcsInfo(dcs);
  const septets = udlCountsSeptets(dcs);
  const max = !limit ? 255 : septets ? 160 : 140;
  const octets = septets ? Math.ceil((udl * 7) / 8) : udl;
  const present = bytes.length - o - 1;
  if (udl > max) throw new InputError(`says ${udl} ${septets ? 'septets' : 'octets'}, more than the maximum ${max}`, { layer, field: 'TP-UDL', offset: o });
  if (octets !== present) {
    throw new InputError(`says ${udl} ${septets ? `septets (${octets} octets)` : 'octets'}, ${present} present`, { layer, field: 'TP-UDL', offset: o });
  }
  const ud = bytes.slice(o + 1);
  let ies: UdhIe[] | undefined;
  let udhLength = 0;
  if (udhi) {
    const h = shiftOffset(o + 1, layer, () => udh.decode(ud, 0));
    ies = h.ies;
    udhLength = h.length;
  }
  const out: UserDataInfo = {
    udl,
    udlUnit: septets ? 'septets' : 'octets',
    alphabet: info.alphabet,
    ud,
    udh: ies,
    udhLength,
    body: ud.subarray(udhLength), // a view of `ud`, itself a copy
    udlOffset: o,
    udOffset: o + 1,
  };
  if (septets) {
    const hdrSeptets = Math.ceil((udhLength * 8) / 7);
    if (hdrSeptets > udl) throw new InputError(`says ${udl} septets, the ${udhLength}-octet UDH alone takes ${hdrSeptets}`, { layer, field: 'TP-UDL', offset: o });
    out.text = septetsToText(unpackSeptets(ud, udl - hdrSeptets, hdrSeptets * 7));
  }
  return out;
}

/** TP-UD from header IEs and 8-bit payload: UDHL ‖ IEs ‖ body. */
export function buildUserData(ies: readonly UdhIe[] | undefined, body: Uint8Array): Uint8Array {
  return ies && ies.length ? concat(udh.encode(ies), body) : body;
}

/** 7-bit TP-UD from text (with fill bits after a UDH); returns TP-UD and TP-UDL in septets. */
export function buildUserData7(ies: readonly UdhIe[] | undefined, text: string): { ud: Uint8Array; udl: number } {
  const h = ies && ies.length ? udh.encode(ies) : new Uint8Array(0);
  const hdrSeptets = Math.ceil((h.length * 8) / 7);
  const sept = textToSeptets(text, 'TP-UD', 'text');
  const packed = packSeptets(sept, hdrSeptets * 7);
  packed.set(h, 0);
  return { ud: packed, udl: hdrSeptets + sept.length };
}

// ---------------------------------------------------------------- codecs

function bool(v: number): boolean {
  return v !== 0;
}

function checkMti(b0: number, want: number, layer: string, offset: number): void {
  if ((b0 & 3) !== want) throw new InputError(`is ${b0 & 3}, expected ${want}`, { layer, field: 'TP-MTI', offset });
}

const DL = 'SMS-DELIVER';

export const smsDeliver = {
  encodingLength(v: SmsDeliver): number {
    return 1 + tpAddress.encodingLength(v.oa) + 2 + 7 + 1 + v.ud.length;
  },
  encode(v: SmsDeliver): Uint8Array {
    checkByte(v.pid, DL, 'TP-PID');
    checkByte(v.dcs, DL, 'TP-DCS');
    if (v.scts.length !== 7) throw new InputError(`must be 7 octets, got ${v.scts.length}`, { layer: DL, field: 'TP-SCTS' });
    const udl = udlFor(v, DL);
    checkUd(udl, v.ud, v.dcs, DL);
    const first = writeFields(withMembers(v, { mti: 0 }), DELIVER_FIRST_OCTET, DL);
    return concat(Uint8Array.of(first), tpAddress.encode(v.oa), Uint8Array.of(v.pid, v.dcs), v.scts, Uint8Array.of(udl), v.ud);
  },
  decode(bytes: Uint8Array, offset = 0): DecodedSmsDeliver {
    const b = offset ? bytes.subarray(offset) : bytes;
    return shiftOffset(offset, DL, () => decodeDeliver(b));
  },
};

function decodeDeliver(b: Uint8Array): DecodedSmsDeliver {
  need(b, 0, 1, DL, 'first octet');
  checkMti(b[0], 0, DL, 0);
  const f = readFields(b[0], DELIVER_FIRST_OCTET);
  const warnings: string[] = [];
  if (b[0] & 0x10) warnings.push('unused bit 4 of the first octet is set');
  const oa = tpAddress.decode(b, 1, `${DL} TP-OA`);
  warnings.push(...oa.value.warnings.map((w) => `TP-OA: ${w}`));
  let o = 1 + oa.length;
  need(b, o, 2, DL, 'TP-PID/TP-DCS');
  const pid = b[o];
  const dcs = b[o + 1];
  o += 2;
  const st = scts.decode(b, o, DL);
  warnings.push(...st.warnings.map((w) => `TP-SCTS: ${w}`));
  o += 7;
  const userData = decodeUserData(b, o, dcs, bool(f.udhi), DL);
  return {
    type: 'SMS-DELIVER',
    firstOctet: b[0],
    mti: 0,
    mms: bool(f.mms),
    lp: bool(f.lp),
    sri: bool(f.sri),
    udhi: bool(f.udhi),
    rp: bool(f.rp),
    oa: oa.value,
    pid,
    dcs,
    scts: b.slice(o - 7, o),
    sctsInfo: st,
    udl: userData.udl,
    ud: userData.ud,
    userData,
    length: b.length,
    hex: toHex(b),
    warnings,
  };
}

const SB = 'SMS-SUBMIT';

function vpLength(vpf: number): number {
  return vpf === 0 ? 0 : vpf === 2 ? 1 : 7;
}

export const smsSubmit = {
  encodingLength(v: SmsSubmit): number {
    return 2 + tpAddress.encodingLength(v.da) + 2 + vpLength(v.vpf) + 1 + v.ud.length;
  },
  encode(v: SmsSubmit): Uint8Array {
    checkByte(v.mr, SB, 'TP-MR');
    checkByte(v.pid, SB, 'TP-PID');
    checkByte(v.dcs, SB, 'TP-DCS');
    const vp = v.vp ?? new Uint8Array(0);
    if (vp.length !== vpLength(v.vpf)) {
      throw new InputError(`TP-VPF ${v.vpf} (${VPF_NAMES[v.vpf] ?? '?'}) needs ${vpLength(v.vpf)} octets of TP-VP, got ${vp.length}`, { layer: SB, field: 'TP-VP' });
    }
    const udl = udlFor(v, SB);
    checkUd(udl, v.ud, v.dcs, SB);
    const first = writeFields(withMembers(v, { mti: 1 }), SUBMIT_FIRST_OCTET, SB);
    return concat(Uint8Array.of(first, v.mr), tpAddress.encode(v.da), Uint8Array.of(v.pid, v.dcs), vp, Uint8Array.of(udl), v.ud);
  },
  decode(bytes: Uint8Array, offset = 0): DecodedSmsSubmit {
    const b = offset ? bytes.subarray(offset) : bytes;
    return shiftOffset(offset, SB, () => decodeSubmit(b));
  },
};

function decodeSubmit(b: Uint8Array): DecodedSmsSubmit {
  need(b, 0, 2, SB, 'first octet/TP-MR');
  checkMti(b[0], 1, SB, 0);
  const f = readFields(b[0], SUBMIT_FIRST_OCTET);
  const warnings: string[] = [];
  const da = tpAddress.decode(b, 2, `${SB} TP-DA`);
  warnings.push(...da.value.warnings.map((w) => `TP-DA: ${w}`));
  let o = 2 + da.length;
  need(b, o, 2, SB, 'TP-PID/TP-DCS');
  const pid = b[o];
  const dcs = b[o + 1];
  o += 2;
  const vpf = f.vpf;
  const vl = vpLength(vpf);
  need(b, o, vl, SB, 'TP-VP');
  const vp = vl ? b.slice(o, o + vl) : undefined;
  let vpInfo: DecodedSmsSubmit['vpInfo'];
  if (vpf === 2 && vp) vpInfo = { format: 'relative', text: relativeVpText(vp[0]) };
  else if (vpf === 3) {
    const s = scts.decode(b, o, `${SB} TP-VP`);
    vpInfo = { format: 'absolute', text: s.iso ?? s.hex, scts: s };
  } else if (vpf === 1 && vp) vpInfo = { format: 'enhanced', text: toHex(vp) };
  o += vl;
  const userData = decodeUserData(b, o, dcs, bool(f.udhi), SB);
  return {
    type: 'SMS-SUBMIT',
    firstOctet: b[0],
    mti: 1,
    rd: bool(f.rd),
    vpf,
    srr: bool(f.srr),
    udhi: bool(f.udhi),
    rp: bool(f.rp),
    mr: b[1],
    da: da.value,
    pid,
    dcs,
    vp,
    vpInfo,
    udl: userData.udl,
    ud: userData.ud,
    userData,
    length: b.length,
    hex: toHex(b),
    warnings,
  };
}

const DR = 'SMS-DELIVER-REPORT';

function reportPi(v: SmsDeliverReport): number {
  if (v.pi !== undefined) return v.pi;
  return (v.pid !== undefined ? 1 : 0) | (v.dcs !== undefined ? 2 : 0) | (v.ud !== undefined || v.udl !== undefined ? 4 : 0);
}

export const smsDeliverReport = {
  encodingLength(v: SmsDeliverReport): number {
    return smsDeliverReport.encode(v).length;
  },
  encode(v: SmsDeliverReport): Uint8Array {
    const pi = reportPi(v);
    checkByte(pi, DR, 'TP-PI');
    if (pi & 0x80) throw new InputError('TP-PI extension octets are not supported when building', { layer: DR, field: 'TP-PI' });
    const parts: number[] = [writeFields(withMembers(v, { mti: 0 }), DELIVER_REPORT_FIRST_OCTET, DR)];
    if (v.form === 'error') {
      if (v.fcs === undefined) throw new InputError('RP-ERROR form needs TP-FCS', { layer: DR, field: 'TP-FCS' });
      checkByte(v.fcs, DR, 'TP-FCS');
      if (v.fcs < 0x80) throw new InputError(`0x${hex2(v.fcs)} is reserved (TP-FCS values are 80..FF)`, { layer: DR, field: 'TP-FCS' });
      parts.push(v.fcs);
    } else if (v.fcs !== undefined) {
      throw new InputError('TP-FCS is only present in the RP-ERROR form', { layer: DR, field: 'TP-FCS' });
    }
    parts.push(pi);
    const want = (bit: number, has: boolean, field: string) => {
      if (!!(pi & bit) !== has) throw new InputError(`TP-PI says ${pi & bit ? 'present' : 'absent'}, value ${has ? 'given' : 'missing'}`, { layer: DR, field });
    };
    want(1, v.pid !== undefined, 'TP-PID');
    want(2, v.dcs !== undefined, 'TP-DCS');
    if (v.pid !== undefined) {
      checkByte(v.pid, DR, 'TP-PID');
      parts.push(v.pid);
    }
    if (v.dcs !== undefined) {
      checkByte(v.dcs, DR, 'TP-DCS');
      parts.push(v.dcs);
    }
    if (pi & 4) {
      const ud = v.ud ?? new Uint8Array(0);
      const dcs = v.dcs ?? 0;
      const udl = udlFor({ udl: v.udl, ud, dcs }, DR);
      checkUd(udl, ud, dcs, DR, false);
      return concat(Uint8Array.from(parts), Uint8Array.of(udl), ud);
    }
    if (v.ud && v.ud.length) throw new InputError('TP-UD given but TP-PI says TP-UDL absent', { layer: DR, field: 'TP-PI' });
    return Uint8Array.from(parts);
  },
  /**
   * `form`: 'ack' / 'error' when known from the RP layer; 'auto' (default)
   * takes octet 2 ≥ 0x80 as TP-FCS (FCS values are 80..FF; a TP-PI with its
   * extension bit set would be misread, but none is defined in use).
   */
  decode(bytes: Uint8Array, offset = 0, form: 'ack' | 'error' | 'auto' = 'auto'): DecodedSmsDeliverReport {
    const b = offset ? bytes.subarray(offset) : bytes;
    return shiftOffset(offset, DR, () => decodeReport(b, form));
  },
};

function decodeReport(b: Uint8Array, formHint: 'ack' | 'error' | 'auto'): DecodedSmsDeliverReport {
  need(b, 0, 2, DR, 'first octet/TP-PI');
  checkMti(b[0], 0, DR, 0);
  const warnings: string[] = [];
  if (b[0] & ~0x43) warnings.push(`unused bits of the first octet are set (0x${hex2(b[0])})`);
  const udhi = (b[0] & 0x40) !== 0;
  const form = formHint === 'auto' ? (b[1] >= 0x80 ? 'error' : 'ack') : formHint;
  let o = 1;
  let fcs: number | undefined;
  if (form === 'error') {
    fcs = b[1];
    if (fcs < 0x80) warnings.push(`TP-FCS 0x${hex2(fcs)} is a reserved value`);
    o = 2;
  }
  need(b, o, 1, DR, 'TP-PI');
  const pi = b[o];
  const piStart = o;
  o++;
  while (b[o - 1] & 0x80) {
    need(b, o, 1, DR, 'TP-PI extension');
    o++;
  }
  const piExtension = b.slice(piStart + 1, o);
  if (pi & 0x78) warnings.push('reserved TP-PI bits are set');
  let pid: number | undefined;
  let dcs: number | undefined;
  if (pi & 1) {
    need(b, o, 1, DR, 'TP-PID');
    pid = b[o++];
  }
  if (pi & 2) {
    need(b, o, 1, DR, 'TP-DCS');
    dcs = b[o++];
  }
  let userData: UserDataInfo | undefined;
  if (pi & 4) {
    // Without TP-DCS the default alphabet applies (23.040 9.2.3.27).
    // No 140-octet check here: the DELIVER-REPORT limit depends on the RP layer and is not fixed by our sources.
    userData = decodeUserData(b, o, dcs ?? 0, udhi, DR, false);
  } else if (o < b.length) {
    throw new InputError(`${b.length - o} octets follow but TP-PI says no TP-UDL`, { layer: DR, field: 'TP-PI', offset: piStart });
  }
  return {
    type: 'SMS-DELIVER-REPORT',
    form,
    firstOctet: b[0],
    mti: 0,
    udhi,
    fcs,
    pi,
    piExtension,
    pid,
    dcs,
    udl: userData?.udl,
    ud: userData?.ud,
    userData,
    length: b.length,
    hex: toHex(b),
    warnings,
  };
}

// ---------------------------------------------------------------- dispatch

const MTI_NAMES: Record<Direction, string[]> = {
  'sc-to-ms': ['SMS-DELIVER', 'SMS-SUBMIT-REPORT', 'SMS-STATUS-REPORT', 'reserved'],
  'ms-to-sc': ['SMS-DELIVER-REPORT', 'SMS-SUBMIT', 'SMS-COMMAND', 'reserved'],
};

export function mtiName(mti: number, direction: Direction): string {
  return MTI_NAMES[direction][mti & 3];
}

/** Decode any supported TPDU; `direction` resolves MTI 00 (and 01). */
export function decodeTpdu(bytes: Uint8Array, direction: Direction, opts: { reportForm?: 'ack' | 'error' | 'auto'; offset?: number } = {}): DecodedTpdu {
  const offset = opts.offset ?? 0;
  if (direction !== 'sc-to-ms' && direction !== 'ms-to-sc') {
    throw new InputError(`direction must be 'sc-to-ms' or 'ms-to-sc', got ${JSON.stringify(direction)}`, { layer: 'TPDU', field: 'direction' });
  }
  need(bytes, offset, 1, 'TPDU', 'TP-MTI');
  const mti = bytes[offset] & 3;
  if (mti === 3) throw new InputError(`value 3 is reserved (first octet 0x${hex2(bytes[offset])})`, { layer: 'TPDU', field: 'TP-MTI', offset });
  if (direction === 'sc-to-ms') {
    if (mti === 0) return smsDeliver.decode(bytes, offset);
  } else {
    if (mti === 0) return smsDeliverReport.decode(bytes, offset, opts.reportForm ?? 'auto');
    if (mti === 1) return smsSubmit.decode(bytes, offset);
  }
  throw new InputError(`${mtiName(mti, direction)} (MTI ${mti}, direction ${direction}) is not supported`, { layer: 'TPDU', field: 'TP-MTI', offset });
}

export function encodeTpdu(v: Tpdu): Uint8Array {
  switch (v.type) {
    case 'SMS-DELIVER':
      return smsDeliver.encode(v);
    case 'SMS-SUBMIT':
      return smsSubmit.encode(v);
    case 'SMS-DELIVER-REPORT':
      return smsDeliverReport.encode(v);
    default:
      throw new InputError(`unknown TPDU type ${JSON.stringify((v as { type: unknown }).type)}`, { layer: 'TPDU', field: 'type' });
  }
}

/** Direction in which a TPDU type travels. */
export function tpduDirection(v: Tpdu): Direction {
  return v.type === 'SMS-DELIVER' ? 'sc-to-ms' : 'ms-to-sc';
}

// ---------------------------------------------------------------- builders

/** Defaults for OTA SMS-DELIVERs (TS 31.111 7.1.1: PID "(U)SIM data download", DCS class 2 8-bit). */
export const DELIVER_DEFAULTS = {
  pid: 0x7f,
  dcs: 0xf6,
  /** 62 10 10 00 00 00 00 = 2026-01-01 00:00:00 +00:00 (reproducible output). */
  scts: scts.encode(DEFAULT_SCTS_FIELDS),
  /** pySim's unit-test OA "12345678", TON unknown / NPI ISDN (08 81 21 43 65 87). */
  oa: '12345678',
} as const;

export interface DeliverOptions {
  /** Complete TP-UD (UDH included), e.g. 02 70 00 ‖ command packet. */
  ud: Uint8Array;
  /** TP-UDHI; default true (OTA user data always starts with a UDH). */
  udhi?: boolean;
  /** Originating address digits ("+…" = international); default DELIVER_DEFAULTS.oa. */
  oa?: string | SmsAddress;
  /** TON/NPI for a string `oa`; default unknown/ISDN (0x81), "+" → international (0x91). */
  ton?: number;
  npi?: number;
  pid?: number;
  dcs?: number;
  /** 7 raw octets, fields, or a Date (with `tzQuarters`). */
  scts?: Uint8Array | SctsFields | Date;
  /** Use the current time for TP-SCTS (a Date = that time). */
  now?: boolean | Date;
  tzQuarters?: number;
  /** TP-MMS bit; default true ("no more messages"), giving first octet 44. */
  mms?: boolean;
  rp?: boolean;
  sri?: boolean;
  lp?: boolean;
  udl?: number;
}

function toScts(s: Uint8Array | SctsFields | Date, tz: number): Uint8Array {
  if (s instanceof Uint8Array) return s;
  if (s instanceof Date) return scts.encode(sctsFromDate(s, tz));
  return scts.encode(s);
}

export function buildSmsDeliver(o: DeliverOptions): SmsDeliver {
  const oa = typeof o.oa === 'object' ? o.oa : makeAddress(o.oa ?? DELIVER_DEFAULTS.oa, { ton: o.ton, npi: o.npi }, 'TP-OA');
  const tz = o.tzQuarters ?? 0;
  let st: Uint8Array = DELIVER_DEFAULTS.scts;
  if (o.now) st = toScts(o.now instanceof Date ? o.now : new Date(), tz);
  else if (o.scts) st = toScts(o.scts, tz);
  return {
    type: 'SMS-DELIVER',
    mms: o.mms ?? true,
    lp: o.lp ?? false,
    sri: o.sri ?? false,
    udhi: o.udhi ?? true,
    rp: o.rp ?? false,
    oa,
    pid: o.pid ?? DELIVER_DEFAULTS.pid,
    dcs: o.dcs ?? DELIVER_DEFAULTS.dcs,
    scts: st,
    udl: o.udl,
    ud: o.ud,
  };
}

export interface SubmitOptions {
  ud: Uint8Array;
  da: string | SmsAddress;
  ton?: number;
  npi?: number;
  udhi?: boolean;
  mr?: number;
  /** Default 00, as in the real Gemalto PoR (suma12/asterix card-tool log); onomondo uses 7F. */
  pid?: number;
  dcs?: number;
  /** Relative VP octet, or 7 raw octets with `vpf` 'absolute'/'enhanced'. */
  vp?: number | Uint8Array;
  vpf?: VpFormat;
  rd?: boolean;
  srr?: boolean;
  rp?: boolean;
  udl?: number;
}

export function buildSmsSubmit(o: SubmitOptions): SmsSubmit {
  const da = typeof o.da === 'object' ? o.da : makeAddress(o.da, { ton: o.ton, npi: o.npi }, 'TP-DA');
  let vpf = o.vpf ? VPF_NAMES.indexOf(o.vpf) : o.vp === undefined ? 0 : typeof o.vp === 'number' ? 2 : 3;
  if (vpf < 0) throw new InputError(`unknown VP format ${JSON.stringify(o.vpf)}`, { layer: SB, field: 'TP-VPF' });
  let vp: Uint8Array | undefined;
  if (typeof o.vp === 'number') {
    checkByte(o.vp, SB, 'TP-VP');
    vp = Uint8Array.of(o.vp);
    if (vpf !== 2) throw new InputError('a one-octet TP-VP needs the relative format', { layer: SB, field: 'TP-VPF' });
  } else vp = o.vp;
  if (vpf === 0) vp = undefined;
  return {
    type: 'SMS-SUBMIT',
    rd: o.rd ?? false,
    vpf,
    srr: o.srr ?? false,
    udhi: o.udhi ?? true,
    rp: o.rp ?? false,
    mr: o.mr ?? 0,
    da,
    pid: o.pid ?? 0x00,
    dcs: o.dcs ?? 0xf6,
    vp,
    udl: o.udl,
    ud: o.ud,
  };
}

export interface DeliverReportOptions {
  /** PoR user data (02 71 00 ‖ response packet) or nothing. */
  ud?: Uint8Array;
  udhi?: boolean;
  /** Present → RP-ERROR form. */
  fcs?: number;
  /** Default 7F/F6 as in the received SMS-DELIVER when `ud` is given (31.111 7.1.1.1). */
  pid?: number;
  dcs?: number;
}

export function buildSmsDeliverReport(o: DeliverReportOptions): SmsDeliverReport {
  const withUd = o.ud !== undefined;
  return {
    type: 'SMS-DELIVER-REPORT',
    form: o.fcs !== undefined ? 'error' : 'ack',
    udhi: o.udhi ?? withUd,
    fcs: o.fcs,
    pid: o.pid ?? (withUd ? 0x7f : undefined),
    dcs: o.dcs ?? (withUd ? 0xf6 : undefined),
    ud: o.ud,
  };
}
