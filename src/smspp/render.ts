/**
 * Trees (field names as Wireshark's gsm_sms / gsm_sim / etsi_cat print them)
 * and JSON (camelCase, documented keys) for the SMS-PP layers.
 */
import { bitLine, node, octets, shareTree, treeMemo, type TreeNode } from '../render/tree.js';
import { hex4, toHex } from '../util/hex.js';
import { type DecodedAddress, formatAddress, npiName, tonName } from './address.js';
import { CTAG_NAMES, deviceName } from './ctlv.js';
import type { DecodedEnvelope } from './envelope.js';
import { fieldBitLines, hex2 } from './fields.js';
import { COMMAND_TYPE_NAMES, type DecodedProactiveCommand } from './proactive.js';
import { type DecodedScts, tzText } from './scts.js';
import type { Reassembled } from './concat.js';
import {
  type DecodedTpdu,
  DELIVER_FIRST_OCTET,
  DELIVER_REPORT_FIRST_OCTET,
  dcsInfo,
  fcsName,
  PI_FIELDS,
  pidText,
  SUBMIT_FIRST_OCTET,
  type UserDataInfo,
} from './tpdu.js';
import { ieName, parseConcatIe, type UdhIe, udh } from './udh.js';

const h = (b: Uint8Array) => toHex(b);
const x2 = (n: number) => `0x${hex2(n)}`;

function warnNodes(ws: readonly string[]): TreeNode[] {
  return ws.map((w) => node('Warning', w, undefined, { status: 'warn' }));
}

// ---------------------------------------------------------------- UDH

/*
 * Memo keys: a number where a few octets say it all (no string to build and
 * hash per packet), a string otherwise.
 */

/**
 * Up to six octets (`lead`, when given, first) and their count as one number:
 * exact in a double, 48 bits of octets with the count above them.
 */
function octetsKey(b: Uint8Array, lead?: number): number {
  let k = 0;
  for (let i = b.length - 1; i >= 0; i--) k = k * 256 + b[i];
  return lead === undefined ? b.length * 2 ** 48 + k : (b.length + 1) * 2 ** 48 + k * 256 + lead;
}

const udhIeMemo = treeMemo<string | number>();
export function udhIeToTree(ie: UdhIe): TreeNode {
  // Concatenation IEs change with every message: built each time.
  if (ie.iei === 0x00 || ie.iei === 0x08 || ie.data.length > 16) return udhIeTree(ie);
  // IEI and up to five octets of data as a number (IE 70/71 of a secured packet have none).
  return udhIeMemo(ie.data.length <= 5 ? octetsKey(ie.data, ie.iei) : `${ie.iei}|${toHex(ie.data)}`, () => udhIeTree(ie));
}

function udhIeTree(ie: UdhIe): TreeNode {
  const kids = [node('Information Element Identifier', x2(ie.iei)), node('Length', String(ie.data.length))];
  const c = parseConcatIe(ie);
  if (c) {
    kids.push(node('Message identifier', String(c.ref)), node('Message parts', String(c.total)), node('Message part number', String(c.seq)));
    if (c.seq < 1 || c.seq > c.total) kids.push(node('Warning', `part number ${c.seq} outside 1..${c.total}`, undefined, { status: 'warn' }));
  } else if (ie.data.length) kids.push(node('IE Data', undefined, undefined, { hex: h(ie.data) }));
  return node(`IE: ${ieName(ie.iei)}`, undefined, kids, { hex: toHex(udh.encode([ie]).subarray(1)) });
}

const udhMemo = treeMemo<string | number>();
export function udhToTree(ies: readonly UdhIe[]): TreeNode {
  const enc = udh.encode(ies);
  if (ies.some((ie) => ie.iei === 0x00 || ie.iei === 0x08) || enc.length > 24) return udhTree(ies, enc);
  return udhMemo(enc.length <= 6 ? octetsKey(enc) : h(enc), () => udhTree(ies, enc));
}

function udhTree(ies: readonly UdhIe[], enc: Uint8Array): TreeNode {
  return node('User-Data Header', undefined, [node('User Data Header Length', String(enc[0])), ...ies.map(udhIeToTree)], { hex: h(enc) });
}

// ---------------------------------------------------------------- addresses

const TYPE_FIELDS = [
  { key: 'ext', name: 'Extension', mask: 0x80, describe: (v: number) => (v ? 'No extension' : 'Extended') },
  { key: 'ton', name: 'Type of number', mask: 0x70, describe: (v: number) => `${tonName(v)} (${v})` },
  { key: 'npi', name: 'Numbering plan', mask: 0x0f, describe: (v: number) => `${npiName(v)} (${v})` },
];

function typeOctet(a: DecodedAddress): number {
  return (a.ext ? 0x80 : 0) | (a.ton << 4) | a.npi;
}

/** `field` = "TP-OA" or "TP-DA". */
const addressMemo = treeMemo<string>();
export function tpAddressToTree(a: DecodedAddress, field: 'TP-OA' | 'TP-DA'): TreeNode {
  if (a.warnings.length) return tpAddressTree(a, field);
  return addressMemo(`${field}|${a.hex}|${a.lengthValue}|${a.digits}|${a.ext}|${a.ton}|${a.npi}`, () => tpAddressTree(a, field));
}

function tpAddressTree(a: DecodedAddress, field: 'TP-OA' | 'TP-DA'): TreeNode {
  const name = field === 'TP-OA' ? 'TP-Originating-Address' : 'TP-Destination-Address';
  const t = typeOctet(a);
  return node(name, formatAddress(a), [
    node('Length', `${a.lengthValue} address digits`),
    node('Type of address', x2(t), undefined, { bits: fieldBitLines(t, TYPE_FIELDS) }),
    node(`${field} Digits`, a.digits),
    ...warnNodes(a.warnings),
  ], { hex: a.hex });
}

/** CAT Address object value (TON/NPI + dialling number). */
export function addressValueToTree(a: DecodedAddress, name = 'Address'): TreeNode {
  const t = typeOctet(a);
  return node(name, formatAddress(a), [
    node('TON/NPI', x2(t), undefined, { bits: fieldBitLines(t, TYPE_FIELDS) }),
    node('Address String', a.digits),
    ...warnNodes(a.warnings),
  ], { hex: a.hex });
}

// ---------------------------------------------------------------- TPDU parts

/** By name and octets: a burst of messages shares its timestamp (seconds resolution), each stamp's tree built once. */
const sctsMemo = treeMemo<string>();
export function sctsToTree(s: DecodedScts, name = 'TP-Service-Centre-Time-Stamp'): TreeNode {
  return sctsMemo(`${name}|${s.hex}`, () => sctsTree(s, name));
}

function sctsTree(s: DecodedScts, name: string): TreeNode {
  return node(name, s.iso ?? 'invalid', [
    node('Year', String(s.year)),
    node('Month', String(s.month)),
    node('Day', String(s.day)),
    node('Hour', String(s.hour)),
    node('Minutes', String(s.minute)),
    node('Seconds', String(s.second)),
    node('Timezone', tzText(s.tzQuarters)),
    ...warnNodes(s.warnings),
  ], { hex: s.hex, status: s.warnings.length ? 'warn' : undefined });
}

const pidMemo = treeMemo<number>();
export function pidToTree(pid: number): TreeNode {
  return pidMemo(pid, () => pidTree(pid));
}

function pidTree(pid: number): TreeNode {
  const bits =
    pid >> 6 === 1
      ? [bitLine(pid, 0xc0, 'Defines formatting for subsequent bits: 0x1'), bitLine(pid, 0x3f, `Message type: ${pidText(pid)} (${pid & 0x3f})`)]
      : [bitLine(pid, 0xc0, `Defines formatting for subsequent bits: 0x${pid >> 6}`)];
  return node('TP-PID', `${pid} (${x2(pid)}: ${pidText(pid)})`, undefined, { hex: hex2(pid), bits });
}

const dcsMemo = treeMemo<number>();
export function dcsToTree(dcs: number): TreeNode {
  return dcsMemo(dcs, () => dcsTree(dcs));
}

function dcsTree(dcs: number): TreeNode {
  const i = dcsInfo(dcs);
  const cls = i.messageClass !== undefined ? `, class ${i.messageClass}` : '';
  const alpha = i.alphabet === 'gsm7' ? 'GSM 7 bit default alphabet' : i.alphabet === '8bit' ? '8 bit data' : 'UCS2 (16 bit)';
  const bits: string[] = [];
  if (dcs >> 4 === 0xf) {
    bits.push(
      bitLine(dcs, 0xf0, 'Coding Group Bits: Data coding/message class (15)'),
      bitLine(dcs, 0x08, 'Reserved: ' + ((dcs >> 3) & 1)),
      bitLine(dcs, 0x04, `Message coding: ${alpha}`),
      bitLine(dcs, 0x03, `Message Class: Class ${dcs & 3}`),
    );
  } else if (dcs >> 6 === 0 || dcs >> 6 === 1) {
    bits.push(
      bitLine(dcs, 0xc0, `Coding Group Bits: ${i.group}`),
      bitLine(dcs, 0x20, `Text is ${i.compressed ? 'compressed' : 'not compressed'}`),
      bitLine(dcs, 0x10, dcs & 0x10 ? 'Bits 1 and 0 have a message class meaning' : 'Bits 1 and 0 are reserved'),
      bitLine(dcs, 0x0c, `Character set: ${alpha}`),
      bitLine(dcs, 0x03, `Message Class: ${dcs & 0x10 ? `Class ${dcs & 3}` : 'none'}`),
    );
  } else bits.push(bitLine(dcs, 0xf0, `Coding Group Bits: ${i.group}`));
  return node('TP-DCS', `${dcs} (${x2(dcs)}: ${alpha}${cls})`, undefined, { hex: hex2(dcs), bits });
}

/** Lines that depend on one small number each: built once per value and shared (treeMemo; the text renderer keeps their lines). */
const udlMemo = treeMemo<number>();
const udlNode = (udl: number, unit: 'septets' | 'octets') => udlMemo(unit === 'septets' ? 256 + udl : udl, () => node('TP-User-Data-Length', `${udl} ${unit}`, undefined, { hex: hex2(udl) }));
const mrMemo = treeMemo<number>();
const envelopeTagMemo = treeMemo<number>();
const proactiveTagMemo = treeMemo<number>();
const lengthMemo = treeMemo<number>();
const lengthNode = (n: number) => lengthMemo(n, () => node('Length', String(n)));

/**
 * `tpduHex`: the hex of the whole TPDU the user data was decoded from (its
 * offsets are relative to it), when at hand: the TP-UD and body hex are then
 * slices of it instead of new encodings.
 */
export function userDataToTree(u: UserDataInfo, tpduHex?: string): TreeNode[] {
  const unit = u.udlUnit === 'septets' ? 'septets' : 'octets';
  const kids: TreeNode[] = [];
  const udAt = 2 * u.udOffset;
  const fromTpdu = tpduHex !== undefined && tpduHex.length === udAt + 2 * u.ud.length;
  const bodyHex = fromTpdu ? tpduHex.slice(udAt + 2 * u.udhLength) : h(u.body);
  if (u.udh) kids.push(udhToTree(u.udh));
  if (u.text !== undefined) kids.push(node('SMS text', JSON.stringify(u.text), undefined, { hex: bodyHex, note: 'GSM 7-bit, septets packed' }));
  else kids.push(node('SMS body', octets(u.body.length), undefined, { hex: bodyHex }));
  return [udlNode(u.udl, unit), node('TP-User-Data', octets(u.ud.length), kids, { hex: fromTpdu ? tpduHex.slice(udAt) : h(u.ud) })];
}

// ---------------------------------------------------------------- TPDU

const firstOctetMemo = treeMemo<number>();
/** The first octet's subtree, shared by bit table (0 deliver, 1 submit, 2 report) and value. */
function firstOctetNode(v: number, t: number, table: typeof DELIVER_FIRST_OCTET): TreeNode {
  return firstOctetMemo(t * 256 + v, () => node('First octet', x2(v), undefined, { hex: hex2(v), bits: fieldBitLines(v, table) }));
}
const TPDU_NAMES = new Map<string, string>();

export function tpduToTree(d: DecodedTpdu, note?: string): TreeNode {
  const kids: TreeNode[] = [];
  const first = (table: typeof DELIVER_FIRST_OCTET) => firstOctetNode(d.firstOctet, table === DELIVER_FIRST_OCTET ? 0 : table === SUBMIT_FIRST_OCTET ? 1 : 2, table);
  if (d.type === 'SMS-DELIVER') {
    kids.push(first(DELIVER_FIRST_OCTET), tpAddressToTree(d.oa, 'TP-OA'), pidToTree(d.pid), dcsToTree(d.dcs), sctsToTree(d.sctsInfo), ...userDataToTree(d.userData, d.hex));
  } else if (d.type === 'SMS-SUBMIT') {
    kids.push(first(SUBMIT_FIRST_OCTET), mrMemo(d.mr, () => node('TP-MR', String(d.mr), undefined, { hex: hex2(d.mr) })), tpAddressToTree(d.da, 'TP-DA'), pidToTree(d.pid), dcsToTree(d.dcs));
    if (d.vpInfo) {
      kids.push(d.vpInfo.scts ? sctsToTree(d.vpInfo.scts, 'TP-Validity-Period') : node('TP-Validity-Period', `${d.vpInfo.text} (${d.vpInfo.format})`, undefined, { hex: h(d.vp!) }));
    }
    kids.push(...userDataToTree(d.userData, d.hex));
  } else {
    kids.push(first(DELIVER_REPORT_FIRST_OCTET));
    kids.push(node('Form', d.form === 'error' ? 'RP-ERROR (with TP-FCS)' : 'RP-ACK (no TP-FCS)'));
    if (d.fcs !== undefined) kids.push(node('TP-Failure-Cause (TP-FCS)', `${fcsName(d.fcs)} (${x2(d.fcs)})`, undefined, { hex: hex2(d.fcs) }));
    kids.push(node('TP-Parameter-Indicator', x2(d.pi), undefined, { hex: hex2(d.pi) + h(d.piExtension), bits: fieldBitLines(d.pi, PI_FIELDS) }));
    if (d.pid !== undefined) kids.push(pidToTree(d.pid));
    if (d.dcs !== undefined) kids.push(dcsToTree(d.dcs));
    if (d.userData) kids.push(...userDataToTree(d.userData, d.hex));
  }
  if (d.warnings.length) kids.push(...warnNodes(d.warnings));
  let name = TPDU_NAMES.get(d.type);
  if (name === undefined) TPDU_NAMES.set(d.type, (name = `GSM SMS TPDU (GSM 03.40) ${d.type}`));
  return node(name, octets(d.length), kids, { hex: d.hex, note });
}

// ---------------------------------------------------------------- ENVELOPE / proactive

const deviceMemo = treeMemo<number>();
function deviceNode(source: number, destination: number): TreeNode {
  return deviceMemo((source << 8) | destination, () => deviceTree(source, destination));
}

function deviceTree(source: number, destination: number): TreeNode {
  return node('Device identity', `${hex2(source)}${hex2(destination)}`, [
    node('Source Device ID', `${deviceName(source)} (${x2(source)})`),
    node('Destination Device ID', `${deviceName(destination)} (${x2(destination)})`),
  ]);
}

const headerMemo = new Map<string, Map<number, readonly TreeNode[]>>();
const octet = (v: number | undefined): v is number => v !== undefined && v >= 0 && v <= 0xff && v === Math.floor(v);

/** The header lines of an APDU, built once per name and header octets and shared (treeMemo's way; callers copy the list). */
function apduHeaderNodes(e: { cla?: number; ins?: number; p1?: number; p2?: number; lc?: number; le?: number }, insName: string): readonly TreeNode[] {
  const { cla, ins, p1, p2, lc, le } = e;
  if (!octet(cla) || !octet(ins) || !octet(p1) || !octet(p2) || !octet(lc) || (le !== undefined && !(octet(le) || le === 256))) return apduHeaderTree(e, insName);
  // Five octets and Le (9 bits, 511: absent): 49 bits, exact in a double.
  const key = ((((cla * 256 + ins) * 256 + p1) * 256 + p2) * 256 + lc) * 512 + (le ?? 511);
  let byName = headerMemo.get(insName);
  if (!byName) headerMemo.set(insName, (byName = new Map()));
  let kids = byName.get(key);
  if (kids === undefined) {
    kids = apduHeaderTree(e, insName);
    if (byName.size < 256) {
      for (const k of kids) shareTree(k);
      byName.set(key, Object.freeze(kids));
    }
  }
  return kids;
}

function apduHeaderTree(e: { cla?: number; ins?: number; p1?: number; p2?: number; lc?: number; le?: number }, insName: string): TreeNode[] {
  if (e.cla === undefined) return [node('APDU header', 'absent (data field only)', undefined, { status: 'info' })];
  const out = [
    node('CLA', x2(e.cla), undefined, { note: e.cla === 0xa0 ? 'GSM 11.11 / TS 51.014 SIM' : e.cla >> 4 === 8 ? 'ETSI TS 102.221' : undefined }),
    node('Instruction', `${insName} (${x2(e.ins!)})`),
    node('P1', x2(e.p1!)),
    node('P2', x2(e.p2!)),
    node('Lc', String(e.lc)),
  ];
  if (e.le !== undefined) out.push(node('Le', String(e.le)));
  return out;
}

export function envelopeToTree(e: DecodedEnvelope, note?: string): TreeNode {
  const kids = [...apduHeaderNodes(e, 'ENVELOPE'), envelopeTagMemo(e.tag, () => node('BER-TLV Tag', `SMS-PP Download (${x2(e.tag)})`)), lengthNode(e.berLength)];
  kids.push(deviceNode(e.deviceIdentities.source, e.deviceIdentities.destination));
  if (e.address) kids.push(addressValueToTree(e.address));
  // The decoded TPDU's hex is that of the same octets (decoded from e.tpdu, all of it).
  kids.push(node('3GPP SMS TPDU', octets(e.tpdu.length), e.sms ? [tpduToTree(e.sms)] : undefined, { hex: e.sms && e.sms.length === e.tpdu.length ? e.sms.hex : h(e.tpdu) }));
  for (const t of e.tlvs) if (![2, 6, 0x0b].includes(t.tag)) kids.push(node(CTAG_NAMES[t.tag] ?? `COMPREHENSION-TLV ${toHex(t.rawTag)}`, undefined, undefined, { hex: h(t.value) }));
  kids.push(...warnNodes(e.warnings));
  return node('ENVELOPE (SMS-PP DOWNLOAD)', undefined, kids, { hex: e.hex, note });
}

const commandDetailsMemo = treeMemo<number>();
export function proactiveToTree(p: DecodedProactiveCommand): TreeNode {
  const cd = p.commandDetails;
  const kids = [
    proactiveTagMemo(p.tag, () => node('BER-TLV Tag', `Proactive Command (${x2(p.tag)})`)),
    lengthNode(p.berLength),
    commandDetailsMemo((cd.number << 16) | (cd.type << 8) | cd.qualifier, () =>
      node('Command details', `${hex2(cd.number)}${hex2(cd.type)}${hex2(cd.qualifier)}`, [
        node('Command Number', x2(cd.number)),
        node('Command Type', `${COMMAND_TYPE_NAMES[cd.type] ?? 'unknown'} (${x2(cd.type)})`),
        node(
          'Command Qualifier',
          x2(cd.qualifier),
          undefined,
          cd.type === 0x13 ? { bits: [bitLine(cd.qualifier, 0x01, cd.qualifier & 1 ? 'Packing by the ME required' : 'Packing not required')] } : {},
        ),
      ]),
    ),
    deviceNode(p.deviceIdentities.source, p.deviceIdentities.destination),
  ];
  if (p.alphaId) kids.push(node('Alpha identifier', p.alphaId.length ? undefined : '(empty)', undefined, { hex: h(p.alphaId) }));
  if (p.address) kids.push(addressValueToTree(p.address));
  if (p.tpdu) kids.push(node('3GPP SMS TPDU', octets(p.tpdu.length), p.sms ? [tpduToTree(p.sms)] : undefined, { hex: p.sms && p.sms.length === p.tpdu.length ? p.sms.hex : h(p.tpdu) }));
  for (const t of p.tlvs) if (![1, 2, 5, 6, 0x0b].includes(t.tag)) kids.push(node(CTAG_NAMES[t.tag] ?? `COMPREHENSION-TLV ${toHex(t.rawTag)}`, undefined, undefined, { hex: h(t.value) }));
  if (p.sw !== undefined) kids.push(node('Status Word', hex4(p.sw)));
  kids.push(...warnNodes(p.warnings));
  return node('Proactive command', COMMAND_TYPE_NAMES[cd.type] ?? x2(cd.type), kids, { hex: p.hex });
}

export function reassembledToTree(r: Reassembled): TreeNode {
  const kids = [
    node('Parts', String(r.total)),
    node('Reference', r.ref === undefined ? 'none (single SM)' : `${r.ref} (${r.refBits}-bit)`),
    node('Segment order', r.order.map((i) => i + 1).join(', '), undefined, { note: 'input segment used for part 1, 2, …' }),
    node('Packet identifier IE', r.iei === undefined ? 'none' : r.iei === 0x70 ? '70 (command packet)' : '71 (response packet)'),
    node('Packet', `${r.packet.length} octets`, undefined, { hex: h(r.packet) }),
    ...(r.notes ?? []).map((n) => node('Note', n, undefined, { status: 'warn' })),
  ];
  return node('Reassembled SMS user data', undefined, kids);
}

// ---------------------------------------------------------------- JSON

export interface AddressJson {
  digits: string;
  ton: number;
  npi: number;
  hex: string;
}

function addrJson(a: DecodedAddress): AddressJson {
  return { digits: a.digits, ton: a.ton, npi: a.npi, hex: a.hex };
}

/** JSON v1: every code and octet value is a hex string ("A0"), lengths and counts are numbers. */
const oct = (n: number | undefined): string | null => (n === undefined ? null : hex2(n));

function udJson(u: UserDataInfo | undefined) {
  if (!u) return {};
  return {
    udl: u.udl,
    udlUnit: u.udlUnit,
    ud: h(u.ud),
    udh: u.udh ? u.udh.map((ie) => ({ iei: hex2(ie.iei), data: h(ie.data) })) : null,
    body: h(u.body),
    ...(u.text !== undefined ? { text: u.text } : {}),
  };
}

export function tpduToJson(d: DecodedTpdu): Record<string, unknown> {
  if (d.type === 'SMS-DELIVER') {
    return {
      type: d.type,
      mti: d.mti,
      mms: d.mms,
      lp: d.lp,
      rp: d.rp,
      udhi: d.udhi,
      sri: d.sri,
      oa: addrJson(d.oa),
      pid: hex2(d.pid),
      dcs: hex2(d.dcs),
      scts: { iso: d.sctsInfo.iso, hex: d.sctsInfo.hex },
      ...udJson(d.userData),
      warnings: d.warnings,
      hex: d.hex,
    };
  }
  if (d.type === 'SMS-SUBMIT') {
    return {
      type: d.type,
      mti: d.mti,
      rd: d.rd,
      vpf: d.vpf,
      srr: d.srr,
      udhi: d.udhi,
      rp: d.rp,
      mr: d.mr,
      da: addrJson(d.da),
      pid: hex2(d.pid),
      dcs: hex2(d.dcs),
      vp: d.vp ? { vpf: d.vpInfo?.format, text: d.vpInfo?.text, hex: h(d.vp) } : null,
      ...udJson(d.userData),
      warnings: d.warnings,
      hex: d.hex,
    };
  }
  return {
    type: d.type,
    mti: d.mti,
    form: d.form,
    udhi: d.udhi,
    fcs: d.fcs === undefined ? null : hex2(d.fcs),
    pi: hex2(d.pi),
    pid: d.pid === undefined ? null : hex2(d.pid),
    dcs: d.dcs === undefined ? null : hex2(d.dcs),
    ...(d.userData ? udJson(d.userData) : { udl: null, ud: null, udh: null }),
    warnings: d.warnings,
    hex: d.hex,
  };
}

export function envelopeToJson(e: DecodedEnvelope): Record<string, unknown> {
  return {
    cla: oct(e.cla),
    ins: oct(e.ins),
    p1: oct(e.p1),
    p2: oct(e.p2),
    lc: e.lc ?? null,
    le: e.le ?? null,
    tag: hex2(e.tag),
    deviceIdentities: { source: hex2(e.deviceIdentities.source), destination: hex2(e.deviceIdentities.destination) },
    address: e.address ? addrJson(e.address) : null,
    tpdu: e.sms ? tpduToJson(e.sms) : { hex: h(e.tpdu) },
    warnings: e.warnings,
  };
}

export function proactiveToJson(p: DecodedProactiveCommand): Record<string, unknown> {
  return {
    tag: hex2(p.tag),
    commandDetails: { number: hex2(p.commandDetails.number), type: hex2(p.commandDetails.type), qualifier: hex2(p.commandDetails.qualifier) },
    deviceIdentities: { source: hex2(p.deviceIdentities.source), destination: hex2(p.deviceIdentities.destination) },
    alphaId: p.alphaId ? h(p.alphaId) : null,
    address: p.address ? addrJson(p.address) : null,
    tpdu: p.sms ? tpduToJson(p.sms) : p.tpdu ? { hex: h(p.tpdu) } : null,
    sw: p.sw === undefined ? null : hex4(p.sw),
    warnings: p.warnings,
  };
}

export function reassembledToJson(r: Reassembled): Record<string, unknown> {
  return { packet: h(r.packet), iei: r.iei === undefined ? null : hex2(r.iei), ref: r.ref ?? null, refBits: r.refBits ?? null, total: r.total, order: r.order.map((i) => i + 1), notes: r.notes ?? [] };
}

// ---------------------------------------------------------------- JSON text

/*
 * The objects above, serialised directly: JSON.stringify(tpduToJson(d)) (and
 * the envelope's and proactive command's) octet for octet, without building
 * the objects (`parse --read --ndjson` writes one per frame). Hex values are
 * written as they are (upper-case digits need no escaping); any other string,
 * and any value whose type is not certain, goes through JSON.stringify. A
 * number or boolean that is unexpectedly undefined shows as the bare word
 * `undefined`: callers check for it (jsonTextOk) and fall back to the objects.
 */
const js = (v: unknown): string => JSON.stringify(v) ?? 'undefined';
const octText = (n: number | undefined): string => (n === undefined ? 'null' : `"${hex2(n)}"`);
const listText = (l: readonly string[] | undefined): string => (l === undefined ? 'undefined' : l.length ? js(l) : '[]');

function addrText(a: DecodedAddress): string {
  return `{"digits":${js(a.digits)},"ton":${a.ton},"npi":${a.npi},"hex":${js(a.hex)}}`;
}

/** udJson's members, each preceded by a comma (empty without user data). */
function udText(u: UserDataInfo | undefined): string {
  if (!u) return '';
  let s = `,"udl":${u.udl},"udlUnit":${js(u.udlUnit)},"ud":"${h(u.ud)}","udh":`;
  if (u.udh) {
    s += '[';
    for (let i = 0; i < u.udh.length; i++) s += `${i ? ',' : ''}{"iei":"${hex2(u.udh[i].iei)}","data":"${h(u.udh[i].data)}"}`;
    s += ']';
  } else s += 'null';
  s += `,"body":"${h(u.body)}"`;
  if (u.text !== undefined) s += `,"text":${js(u.text)}`;
  return s;
}

/** JSON.stringify(tpduToJson(d)). */
export function tpduJsonText(d: DecodedTpdu): string {
  if (d.type === 'SMS-DELIVER') {
    return `{"type":"SMS-DELIVER","mti":${d.mti},"mms":${d.mms},"lp":${d.lp},"rp":${d.rp},"udhi":${d.udhi},"sri":${d.sri},"oa":${addrText(d.oa)},"pid":"${hex2(d.pid)}","dcs":"${hex2(d.dcs)}","scts":{"iso":${js(d.sctsInfo.iso)},"hex":${js(d.sctsInfo.hex)}}${udText(d.userData)},"warnings":${listText(d.warnings)},"hex":${js(d.hex)}}`;
  }
  if (d.type === 'SMS-SUBMIT') {
    const vp = d.vp ? js({ vpf: d.vpInfo?.format, text: d.vpInfo?.text, hex: h(d.vp) }) : 'null';
    return `{"type":"SMS-SUBMIT","mti":${d.mti},"rd":${d.rd},"vpf":${d.vpf},"srr":${d.srr},"udhi":${d.udhi},"rp":${d.rp},"mr":${d.mr},"da":${addrText(d.da)},"pid":"${hex2(d.pid)}","dcs":"${hex2(d.dcs)}","vp":${vp}${udText(d.userData)},"warnings":${listText(d.warnings)},"hex":${js(d.hex)}}`;
  }
  return js(tpduToJson(d));
}

/** JSON.stringify(envelopeToJson(e)). */
export function envelopeJsonText(e: DecodedEnvelope): string {
  const di = e.deviceIdentities;
  return `{"cla":${octText(e.cla)},"ins":${octText(e.ins)},"p1":${octText(e.p1)},"p2":${octText(e.p2)},"lc":${e.lc ?? null},"le":${e.le ?? null},"tag":"${hex2(e.tag)}","deviceIdentities":{"source":"${hex2(di.source)}","destination":"${hex2(di.destination)}"},"address":${e.address ? addrText(e.address) : 'null'},"tpdu":${e.sms ? tpduJsonText(e.sms) : `{"hex":"${h(e.tpdu)}"}`},"warnings":${listText(e.warnings)}}`;
}

/** JSON.stringify(proactiveToJson(p)). */
export function proactiveJsonText(p: DecodedProactiveCommand): string {
  const cd = p.commandDetails;
  const di = p.deviceIdentities;
  const tpdu = p.sms ? tpduJsonText(p.sms) : p.tpdu ? `{"hex":"${h(p.tpdu)}"}` : 'null';
  const sw = p.sw === undefined ? 'null' : `"${hex4(p.sw)}"`;
  return `{"tag":"${hex2(p.tag)}","commandDetails":{"number":"${hex2(cd.number)}","type":"${hex2(cd.type)}","qualifier":"${hex2(cd.qualifier)}"},"deviceIdentities":{"source":"${hex2(di.source)}","destination":"${hex2(di.destination)}"},"alphaId":${p.alphaId ? `"${h(p.alphaId)}"` : 'null'},"address":${p.address ? addrText(p.address) : 'null'},"tpdu":${tpdu},"sw":${sw},"warnings":${listText(p.warnings)}}`;
}

/**
 * False when a text built above may differ from JSON.stringify of the object:
 * a value that was undefined (the key would be left out) or not a finite
 * number (JSON writes null). A string merely containing these words only
 * costs the slower path.
 */
export function jsonTextOk(s: string): boolean {
  return !s.includes('undefined') && !s.includes('NaN') && !s.includes('Infinity');
}
