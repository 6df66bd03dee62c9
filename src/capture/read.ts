/**
 * `parse --read FILE`: everything OTA-related in a pcap/pcapng capture.
 *
 *  - GSMTAP SIM frames (UDP 4729, type 4; SIMtrace and friends), one APDU
 *    exchange each (header ‖ command data ‖ response data ‖ SW), or split over
 *    the TPDU sub-types 4–7: ENVELOPE (SMS-PP DOWNLOAD) → the command, its
 *    response data → a PoR; GET RESPONSE after an ENVELOPE answered 61xx/9Fxx
 *    (9Exx) → the PoR; FETCH → SEND SHORT MESSAGE → the PoR in an SMS-SUBMIT.
 *    Other APDUs are listed briefly (TS 31.111 cl. 7.1.1, TS 102 221 status words).
 *  - UDP datagrams that look like CAT_TP PDUs (any port): per UDP conversation
 *    and session, decoded, reassembled and verified as `parse` does.
 *  - Wireshark exported-PDU frames for gsm_sms (what `--pcap` writes for an
 *    SMS-DELIVER-REPORT).
 *
 * Concatenated SMS are reassembled across frames (by direction, address and
 * concatenation reference); a PoR is checked against the latest earlier
 * command with the same TAR (its SPI octet 2 says how the PoR is secured).
 * Exit: 2 when an item is malformed (after all output), else 1 when a check
 * failed, else 0; a broken file is one line and exit 2 before any output.
 */
import { swText } from '../remote/sw.js';
import { formatTag } from '../util/json-format.js';
import { readFileSync } from 'node:fs';
import { InputError, IoError, OtaError } from '../util/errors.js';
import { equalBytes, hex2, hex4, toHex } from '../util/hex.js';
import { node, shareTree, type TreeNode, type Status } from '../render/tree.js';
import { CaptureParser, type CaptureFrame, decodeFrame, decodeGsmtap, GSMTAP_UDP_PORT, GSMTAP_TYPE_SIM, GSMTAP_SIM, type UdpDatagram } from '../pcap/read.js';
import { peel, smsPeel, type Layer, type Peeled } from '../layers/peel.js';
import { parsePacket, packetMemo, statusOutcome, type ParseOpts, type PacketResult, type PacketMemo } from '../api/packet.js';
import type { SecuredCommand } from '../secured/command.js';
import { looksLikeCattpPdu, peelCattpPdus, cattpPacketKind } from '../cattp/peel.js';
import { decodePdu, pduSummary, type DecodedPdu } from '../cattp/pdu.js';
import { decodeBerLength } from '../cattp/dialect.js';
import { udh, findConcat } from '../smspp/udh.js';
import { COMMAND_TYPE_NAMES } from '../smspp/proactive.js';
import { withMembers } from '../util/object.js';

// ------------------------------------------------------------------ APDUs

/** Instruction names (TS 102 221 cl. 10, TS 51.011 cl. 9, TS 102 223). */
const INS_NAMES: Record<number, string> = {
  0x04: 'DEACTIVATE FILE', 0x10: 'TERMINAL PROFILE', 0x12: 'FETCH', 0x14: 'TERMINAL RESPONSE', 0x20: 'VERIFY PIN',
  0x24: 'CHANGE PIN', 0x26: 'DISABLE PIN', 0x28: 'ENABLE PIN', 0x2c: 'UNBLOCK PIN', 0x32: 'INCREASE', 0x44: 'ACTIVATE FILE',
  0x70: 'MANAGE CHANNEL', 0x73: 'MANAGE SECURE CHANNEL', 0x75: 'TRANSACT DATA', 0x76: 'SUSPEND UICC', 0x84: 'GET CHALLENGE',
  0x88: 'AUTHENTICATE', 0x89: 'AUTHENTICATE', 0xa2: 'SEARCH RECORD', 0xa4: 'SELECT', 0xaa: 'TERMINAL CAPABILITY',
  0xb0: 'READ BINARY', 0xb2: 'READ RECORD', 0xc0: 'GET RESPONSE', 0xc2: 'ENVELOPE', 0xca: 'GET DATA', 0xcb: 'GET DATA',
  0xd6: 'UPDATE BINARY', 0xdc: 'UPDATE RECORD', 0xe2: 'STORE DATA', 0xf2: 'STATUS', 0xfa: 'SLEEP',
};
/** T=0 case 2 instructions: P3 is Le, the octets after the header are response data. */
const OUTGOING = new Set([0x12, 0x84, 0xb0, 0xb2, 0xc0, 0xca, 0xf2]);
/** Instructions of the CAT flow, listed one line each (the others are counted). */
const CAT_INS = new Set([0x10, 0x12, 0x14, 0xc0, 0xc2]);
/** ENVELOPE BER-TLV tags (TS 101 220 Table 7.17). */
const ENVELOPE_TAGS: Record<number, string> = {
  0xd1: 'SMS-PP download', 0xd2: 'cell broadcast download', 0xd3: 'menu selection', 0xd4: 'call control',
  0xd5: 'MO short message control', 0xd6: 'event download', 0xd7: 'timer expiration', 0xd9: 'USSD download',
};
/** Event list values (TS 102 223 cl. 8.25). */
const EVENTS: Record<number, string> = {
  0x00: 'MT call', 0x01: 'call connected', 0x02: 'call disconnected', 0x03: 'location status', 0x04: 'user activity',
  0x05: 'idle screen available', 0x06: 'card reader status', 0x07: 'language selection', 0x08: 'browser termination',
  0x09: 'data available', 0x0a: 'channel status',
};
/** General result of a TERMINAL RESPONSE (TS 102 223 cl. 8.12), the common ones. */
const RESULTS: Record<number, string> = {
  0x00: 'performed successfully', 0x01: 'performed with partial comprehension', 0x02: 'performed, with missing information',
  0x20: 'terminal currently unable to process command', 0x21: 'network currently unable to process command',
  0x30: 'command beyond terminal\'s capabilities', 0x32: 'command data not understood by terminal', 0x35: 'SMS RP-ERROR',
  0x3a: 'Bearer Independent Protocol error',
};

const h2 = (n: number) => (n >= 0 && n <= 0xff && n === (n | 0) ? hex2(n) : n.toString(16).toUpperCase().padStart(2, '0'));
const h4 = (n: number) => (n >= 0 && n <= 0xffff && n === (n | 0) ? hex2(n >> 8) + hex2(n) : hex4(n));

/** Status word meaning, as the ME reads it after an ENVELOPE (the one table, src/remote/sw.ts). */
export { swText };

interface Apdu {
  frames: number[];
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  p3: number;
  command: Uint8Array;
  response: Uint8Array;
  sw?: number;
  /** How the frame carried it. */
  udp: UdpDatagram;
  /** Header and command data as one frame carried them (contiguous), when it did. */
  raw?: Uint8Array;
}

/** One GSMTAP SIM APDU frame: header ‖ (command data | response data by the instruction's T=0 case) ‖ SW. */
function splitApdu(p: Uint8Array, frame: number, udp: UdpDatagram): Apdu | string {
  if (p.length < 7) return `${p.length} octets, an APDU frame needs a 5-octet header and a status word`;
  const body = p.subarray(5, p.length - 2);
  const ins = p[1];
  const sw = (p[p.length - 2] << 8) | p[p.length - 1];
  if (OUTGOING.has(ins)) return { frames: [frame], cla: p[0], ins, p1: p[2], p2: p[3], p3: p[4], sw, udp, command: new Uint8Array(0), response: body, raw: undefined };
  const command = body.subarray(0, p[4]);
  return { frames: [frame], cla: p[0], ins, p1: p[2], p2: p[3], p3: p[4], sw, udp, command, response: body.subarray(Math.min(p[4], body.length)), raw: p.subarray(0, 5 + command.length) };
}

const apduHex = (a: Apdu) => toHex(Uint8Array.of(a.cla, a.ins, a.p1, a.p2, a.p3)) + toHex(a.command);

/** Find a one-octet-tag COMPREHENSION-TLV (either CR form) in simple TLV data. */
function ctlv(b: Uint8Array, tag: number): Uint8Array | undefined {
  let o = 0;
  while (o + 2 <= b.length) {
    const t = b[o] & 0x7f;
    let len = b[o + 1];
    let v = o + 2;
    if (len === 0x81) {
      len = b[o + 2] ?? 0;
      v = o + 3;
    }
    if (v + len > b.length) return undefined;
    if (t === tag) return b.subarray(v, v + len);
    o = v + len;
  }
  return undefined;
}

/** The value of a BER-TLV (tag ‖ length ‖ value) starting at 0, or undefined. */
function berValue(b: Uint8Array): Uint8Array | undefined {
  if (b.length < 2) return undefined;
  let len = b[1];
  let v = 2;
  if (len === 0x81) {
    len = b[2] ?? 0;
    v = 3;
  } else if (len > 0x7f) return undefined;
  return v + len <= b.length ? b.subarray(v, v + len) : undefined;
}

function proactiveName(type: number): string {
  return COMMAND_TYPE_NAMES[type] ?? `type 0x${h2(type)}`;
}

// ------------------------------------------------------------------ items

/** A unit to parse: inputs for `peel` (SMS-PP) or a ready Peeled (CAT_TP). */
interface Unit {
  frames: number[];
  /** Layers outside what peel recognises (frame / GSMTAP / ENVELOPE response...). */
  outer: Layer[];
  outerNames: string[];
  inputs?: Uint8Array[];
  peelMode?: 'auto' | 'sms';
  peeled?: Peeled;
  failures?: string[];
  notes?: string[];
  /** Known before parsing (missing segments...). */
  error?: OtaError;
  /** A one-line summary of what carried it, for the item header. */
  what: string;
}

/** One OTA exchange of a capture (a command or response packet, or what stopped it being one). */
export interface CaptureItem {
  frames: number[];
  /** The text tree (when the analyser was asked for trees). */
  tree?: TreeNode;
  /** The `items[]` object of `parse --read --json` (when asked for JSON). */
  json?: Record<string, unknown>;
  /** With `recordText`: the item's `--ndjson` record already serialised (then `json` is not built). */
  text?: string;
  failures: string[];
  notes: string[];
  error?: OtaError;
  /** For a malformed item among the first ones kept: its line of the summary's `errors` (to print as it comes). */
  errorLine?: string;
  kind?: 'command' | 'response';
  verified?: boolean | null;
  /** A PoR whose status is not the expected outcome (--expect-status, default 00). */
  refusal?: string;
  /** What could not be checked (a failure with --require-verified). */
  unverified?: string[];
}

/** Brief entries (APDUs, CAT_TP sessions) for the listing. */
export interface CaptureBrief {
  frame: number;
  /** `apdus[]` or `sessions[]` of the JSON. */
  group: 'apdu' | 'session';
  /** Listed individually (CAT flow) or counted in a run. */
  cat: boolean;
  name: string;
  text: string;
  status?: Status;
  children?: TreeNode[];
  /** When asked for JSON. */
  json?: Record<string, unknown>;
}

const frameLabel = (frames: number[]) => {
  if (frames.length === 1) return `Frame ${frames[0]}`;
  const u = [...new Set(frames)].sort((a, b) => a - b);
  return u.length === 1 ? `Frame ${u[0]}` : `Frames ${u.join(', ')}`;
};

const minOf = (xs: number[]) => {
  let m = xs[0];
  for (let i = 1; i < xs.length; i++) if (xs[i] < m) m = xs[i];
  return m;
};

const endpoint = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/**
 * A layer whose tree and JSON are only built when asked for (text mode prints no JSON, JSON mode no tree).
 * A class (getters on its prototype): an object literal with getters defines them anew on every object.
 */
class LazyLayer implements Layer {
  private t?: TreeNode;
  private j?: Record<string, unknown>;
  constructor(
    readonly name: string,
    private readonly makeTree: () => TreeNode,
    private readonly makeJson: () => Record<string, unknown>,
    private readonly makeText?: () => string,
  ) {}
  get tree(): TreeNode {
    return (this.t ??= this.makeTree());
  }
  get json(): Record<string, unknown> {
    return (this.j ??= this.makeJson());
  }
  /** JSON.stringify(json), written directly when the layer knows how (--ndjson records). */
  get jsonText(): string | undefined {
    return this.makeText && !this.j ? this.makeText() : undefined;
  }
}

function lazyLayer(name: string, tree: () => TreeNode, json: () => Record<string, unknown>, text?: () => string): Layer {
  return new LazyLayer(name, tree, json, text);
}

/** The last GSMTAP frame's endpoints as text (a capture's frames mostly share them), and its frame line. */
let lastUdp: { src: string; sport: number; dst: string; dport: number; srcText: string; dstText: string; subType?: string; text?: string; jsonSubType?: string; jsonText?: string } | undefined;

function gsmtapEnds(u: UdpDatagram): NonNullable<typeof lastUdp> {
  const l = lastUdp;
  if (l && l.sport === u.sport && l.dport === u.dport && l.src === u.src && l.dst === u.dst) return l;
  return (lastUdp = { src: u.src, sport: u.sport, dst: u.dst, dport: u.dport, srcText: endpoint(u.src, u.sport), dstText: endpoint(u.dst, u.dport) });
}

function gsmtapUdpText(u: UdpDatagram, subType: string): string {
  const l = gsmtapEnds(u);
  if (l.subType !== subType || l.text === undefined) {
    l.subType = subType;
    l.text = `UDP ${l.srcText} → ${l.dstText}, GSMTAP SIM ${subType}`;
  }
  return l.text;
}

/** The APDU and status word lines under a GSMTAP frame, by header and SW: built once each and shared (shareTree: the text renderer keeps their lines). */
const APDU_KIDS = new Map<number, TreeNode[]>();

function gsmtapKids(a: Apdu): TreeNode[] {
  // CLA INS P1 P2 P3 (40 bits) and SW (17 bits with "none"): exact in a double.
  const key = ((((a.cla * 256 + a.ins) * 256 + a.p1) * 256 + a.p2) * 256 + a.p3) * 131072 + (a.sw ?? 65536);
  let kids = APDU_KIDS.get(key);
  if (kids === undefined) {
    kids = [
      node('APDU', `${INS_NAMES[a.ins] ?? `INS ${h2(a.ins)}`} (${h2(a.cla)} ${h2(a.ins)} ${h2(a.p1)} ${h2(a.p2)} P3=${a.p3})`),
      node('Status word', swText(a.sw)),
    ];
    for (const k of kids) shareTree(k);
    Object.freeze(kids);
    if (APDU_KIDS.size >= 1024) APDU_KIDS.clear();
    APDU_KIDS.set(key, kids);
  }
  return kids;
}

/** The GSMTAP layer's JSON members from "src" to "apdu" (the same for a capture's frames, mostly), as text. */
function gsmtapJsonMid(u: UdpDatagram, subType: string): string {
  const l = gsmtapEnds(u);
  if (l.jsonSubType !== subType || l.jsonText === undefined) {
    l.jsonSubType = subType;
    l.jsonText = `],"src":${JSON.stringify(l.srcText)},"dst":${JSON.stringify(l.dstText)},"subType":${JSON.stringify(subType)},"apdu":"`;
  }
  return l.jsonText;
}

function gsmtapLayer(a: Apdu, subType: string): Layer {
  const u = a.udp;
  const f = a.frames;
  return lazyLayer(
    'GSMTAP SIM',
    () => node(frameLabel(f), gsmtapUdpText(u, subType), gsmtapKids(a)),
    () => {
      const e = gsmtapEnds(u);
      return { layer: 'GSMTAP SIM', frames: f, src: e.srcText, dst: e.dstText, subType, apdu: apduHex(a), response: a.response.length ? toHex(a.response) : null, sw: a.sw === undefined ? null : h4(a.sw) };
    },
    // The same object as text (frame numbers are integers; hex and h4 need no escaping).
    () => `{"layer":"GSMTAP SIM","frames":[${f.join(',')}${gsmtapJsonMid(u, subType)}${apduHex(a)}","response":${a.response.length ? `"${toHex(a.response)}"` : 'null'},"sw":${a.sw === undefined ? 'null' : `"${h4(a.sw)}"`}}`,
  );
}

/** Where the TAR in clear starts (SMS-PP after CPL(2) CHL SPI(2) KIc KID / RPL(2) RHL; CAT_TP after CPI/RPI, BER length and CHL/RHL), or -1. */
function clearTarAt(packet: Uint8Array, dialect: 'sms-pp' | 'cat_tp', kind: 'command' | 'response'): number {
  let o: number;
  if (dialect === 'sms-pp') o = kind === 'command' ? 7 : 3;
  else {
    try {
      o = 1 + decodeBerLength(packet, 1, 'length').size + 1 + (kind === 'command' ? 4 : 0);
    } catch {
      return -1;
    }
  }
  return packet.length >= o + 3 ? o : -1;
}

/** A number per dialect and 3-octet TAR (at `o` in `b`), keying the commands that wait for their PoR. */
function tarKey(dialect: string, b: Uint8Array, o = 0): number {
  return (dialect === 'cat_tp' ? 0x1000000 : 0) + ((b[o] << 16) | (b[o + 1] << 8) | b[o + 2]);
}

// ------------------------------------------------------------------ SMS concatenation across frames

interface SmsGroup {
  key: string;
  total: number;
  ref: number;
  refBits: number;
  parts: Map<number, { bytes: Uint8Array; frame: number; frames: number[]; layer: Layer }>;
  outerName: string;
  notes: string[];
}

/**
 * False when the SMS-PP TPDU inside an ENVELOPE (SMS-PP DOWNLOAD) or a SEND
 * SHORT MESSAGE certainly has no concatenation IE (TS 23.040 clause 9.2.3.24.1
 * and .8: IEI 00 / 08): TP-UDHI clear, or a user data header without them.
 * True when it has one or when this quick look cannot tell (then the full
 * peel decides).
 */
function mayBeSegment(b: Uint8Array): boolean {
  let tpdu: Uint8Array | undefined;
  if (b.length > 7 && b[1] === 0xc2 && b[5] === 0xd1) tpdu = ctlv(berValue(b.subarray(5)) ?? new Uint8Array(0), 0x0b);
  else if (b[0] === 0xd0) tpdu = ctlv(berValue(b) ?? new Uint8Array(0), 0x0b);
  if (!tpdu || tpdu.length < 2) return true;
  const fo = tpdu[0];
  if (!(fo & 0x40)) return false; // TP-UDHI: no user data header
  let o: number;
  const mti = fo & 3;
  if (mti === 0) {
    // SMS-DELIVER: first octet, TP-OA, TP-PID, TP-DCS, TP-SCTS (7), TP-UDL.
    o = 1 + 2 + ((tpdu[1] + 1) >> 1) + 2 + 7 + 1;
  } else if (mti === 1) {
    // SMS-SUBMIT: first octet, TP-MR, TP-DA, TP-PID, TP-DCS, TP-VP (0, 1 or 7 by TP-VPF), TP-UDL.
    const vpf = (fo >> 3) & 3;
    o = 2 + 2 + ((tpdu[2] + 1) >> 1) + 2 + (vpf === 0 ? 0 : vpf === 2 ? 1 : 7) + 1;
  } else return true;
  if (o >= tpdu.length) return true;
  const end = o + 1 + tpdu[o];
  if (end > tpdu.length) return true;
  for (let i = o + 1; i + 2 <= end; ) {
    const iei = tpdu[i];
    if (iei === 0x00 || iei === 0x08) return true;
    i += 2 + tpdu[i + 1];
  }
  return false;
}

/** Concatenation info of an SMS-carrying input, or undefined for a single SM (or anything peel will explain). */
function segmentInfo(b: Uint8Array): { key: string; ref: number; refBits: number; total: number; seq: number } | undefined {
  if (!mayBeSegment(b)) return undefined;
  try {
    const p = smsPeel(b);
    if (!p.segment || !p.tpdu?.ud) return undefined;
    const c = findConcat(udh.decode(p.tpdu.ud).ies);
    if (!c) return undefined;
    const t = p.tpdu as { type: string; oa?: { hex?: string; digits?: string }; da?: { hex?: string; digits?: string } };
    const addr = t.oa?.digits ?? t.da?.digits ?? '';
    return { key: `${t.type}|${addr}|${c.refBits}:${c.ref}|${c.total}`, ref: c.ref, refBits: c.refBits, total: c.total, seq: c.seq };
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------ item parts

const WANT_BOTH = { tree: true, json: true };
const WANT_TREE = { tree: true, json: false };
const WANT_JSON = { tree: false, json: true };
const WANT_NONE = { tree: false, json: false };

/** `frame` (the first) and, for several frames, `frames` (sorted, once each): how an item's JSON starts. */
function itemBase(frames: number[]): { frame: number; frames?: number[] } {
  const first = minOf(frames);
  return frames.length > 1 ? { frame: first, frames: [...new Set(frames)].sort((a, b) => a - b) } : { frame: first };
}

/** An item's failures: the unit's, the peel's and the parse's, each naming the frame(s) unless it does. */
function itemFailures(unit: string[] | undefined, peeled: string[], parsed: string[], label: string): string[] {
  if (!unit?.length && !peeled.length && !parsed.length) return [];
  return [...(unit ?? []), ...peeled, ...parsed].map((f) => (f.startsWith('frame ') ? f : `${label.toLowerCase()}: ${f}`));
}

/** The layer names of a unit: what carried it, then what peel went through. */
function unitNames(u: Unit, peeled: Peeled): string[] {
  const out = u.outerNames.slice();
  if (peeled.layerNames) for (const n of peeled.layerNames) out.push(n);
  else for (const l of peeled.layers) out.push(l.name);
  return out;
}

/** The framing JSON of a unit: its outer layers', then the peeled layers'. */
function unitFraming(u: Unit, peeled: Peeled): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of u.outer) out.push(l.json);
  for (const l of peeled.layers) out.push(l.json);
  return out;
}

/** Keys of the item record before and after the packet's members: a packet object with one of them is left to the object path. */
const RECORD_KEYS = ['record', 'frame', 'frames', 'layers', 'framing', 'requestFrame'];

/**
 * A packet item's --ndjson record as text: exactly JSON.stringify of the
 * object parseUnit builds ({ format: tag, record, frame, frames?, layers,
 * ...packet, framing, requestFrame? } with the packet's `format` giving way
 * and its `verified` replaced in place), the framing layers written by
 * themselves where they can (Layer.jsonText). Undefined when that equality is
 * not certain (then the object is built): a packet member named like a record
 * member, a `verified` that differs, or what stringifyLine would take through
 * its replacer (a bigint, a Uint8Array: `{"0":…}` or `{}`).
 */
function recordText(tag: string, first: number, u: Unit, peeled: Peeled, layers: string[], rj: Record<string, unknown>, verified: boolean | null, requestFrame: number | undefined): string | undefined {
  if (rj.verified !== verified || typeof rj.format !== 'string') return undefined;
  for (const k of RECORD_KEYS) if (k in rj) return undefined;
  let s: string;
  try {
    const body = JSON.stringify(rj);
    // The packet's `format` first (integer-like keys would come before it, and before the record's).
    const head = `{"format":${JSON.stringify(rj.format)},`;
    if (!body.startsWith(head)) return undefined;
    s = `{"format":${JSON.stringify(tag)},"record":"item","frame":${first}`;
    if (u.frames.length > 1) s += `,"frames":${JSON.stringify([...new Set(u.frames)].sort((a, b) => a - b))}`;
    s += `,"layers":${JSON.stringify(layers)},${body.slice(head.length, -1)},"framing":[`;
    let n = 0;
    for (const l of u.outer) s += (n++ ? ',' : '') + (l.jsonText ?? JSON.stringify(l.json));
    for (const l of peeled.layers) s += (n++ ? ',' : '') + (l.jsonText ?? JSON.stringify(l.json));
    s += requestFrame === undefined ? ']}' : `],"requestFrame":${requestFrame}}`;
  } catch {
    return undefined; // a bigint: the object path and its replacer
  }
  return s.includes('{"0":') || s.includes('{}') ? undefined : s;
}

/** The trees of a unit's layers; segments of a concatenated SMS each show their own ENVELOPE / TPDU under their frame. */
function unitTrees(u: Unit, peeled: Peeled): TreeNode[] {
  const out: TreeNode[] = [];
  const segs = u.inputs !== undefined && u.inputs.length >= 2;
  for (let i = 0; i < u.outer.length; i++) {
    const t = u.outer[i].tree;
    let seg: TreeNode[] = [];
    if (segs) {
      try {
        seg = smsPeel(u.inputs![i]).tree;
      } catch {
        seg = [];
      }
    }
    out.push(seg.length ? withMembers(t, { children: [...(t.children ?? []), ...seg] }) : t);
  }
  for (const l of peeled.layers) out.push(l.tree);
  return out;
}

// ------------------------------------------------------------------ the analyser

/** Where the exchanges and brief entries go, as soon as each is complete. */
export interface CaptureSink {
  item(i: CaptureItem): void;
  brief(b: CaptureBrief): void;
}

export interface CaptureOptions extends ParseOpts {
  /**
   * Pairing window: at most this many unfinished concatenated SMS, TPDU
   * exchanges waiting for their status word, commands waiting for their PoR
   * and buffered CAT_TP datagrams (each); the oldest beyond it is evicted and
   * reported. Default 10,000.
   */
  pairingWindow?: number;
  /** Build the text trees (default true). */
  tree?: boolean;
  /** Build the JSON objects (default true). */
  json?: boolean;
  /**
   * `--ndjson`'s record tag: a packet item's JSON then starts with
   * `format: recordTag, record: 'item'` in place of the packet's own format tag
   * (the record as printed, without copying the object per item).
   */
  recordTag?: string;
  /**
   * With `recordTag`: a packet item comes as `text`, its record serialised
   * (what JSON.stringify gives for its `json`), the layers written directly
   * where they can be, instead of as `json`.
   */
  recordText?: boolean;
}

export const DEFAULT_PAIRING_WINDOW = 10_000;
/** Notes, failures and error lines kept for the summary; more are counted. */
const KEEP = 1000;

/** A list that keeps its first KEEP entries and counts the rest. */
class Capped {
  readonly list: string[] = [];
  more = 0;
  push(s: string): void {
    if (this.list.length < KEEP) this.list.push(s);
    else this.more++;
  }
  /** push(make()), the text made only when it is kept (a note of every item of a long capture). */
  pushMade(make: () => string): void {
    if (this.list.length < KEEP) this.list.push(make());
    else this.more++;
  }
  get length(): number {
    return this.list.length + this.more;
  }
  /** The entries, with one closing "… and N more" when some were dropped. */
  all(what: string): string[] {
    return this.more ? [...this.list, `… and ${this.more} more ${what} (only the first ${KEEP} are kept)`] : this.list;
  }
}

/** What is known once the capture ended (or stopped at damage). */
export interface CaptureSummary {
  frames: number;
  summary: { commands: number; responses: number; verified: number; failed: number; errors: number; apdus: number; otherFrames: number };
  notes: string[];
  verified: boolean | null;
  /** No OTA item at all. */
  nothing: boolean;
  failures: string[];
  /** PoR statuses that are not the expected outcome (--expect-status, default 00), one line each, naming the frame. */
  refusals: string[];
  /** With --require-verified: what could not be checked, one line per item (file, frames). */
  unverified: string[];
  /** Malformed items: one message line each (file, frames, error). */
  errors: string[];
  /** Items with nothing verified or something left unchecked (malformed ones included). */
  uncheckedItems: number;
  /** The closing Summary node of the text tree. */
  tree: TreeNode;
  /** 2 when an item is malformed, else 1 when a check failed, else 0. */
  exitCode: number;
}

interface Dgram {
  frame: number;
  udp: UdpDatagram;
}

interface PendingCommand {
  tar: Uint8Array;
  dialect: string;
  frame: number;
  /** The parsed command: all its PoR needs (no copy of its octets is kept). */
  parsed: SecuredCommand;
  answered: boolean;
}

/**
 * Everything OTA-related in a capture, frame by frame (`parse --read`):
 * feed frames in file order with `frame()`, then call `finish()`. Items and
 * brief entries go to the sink as soon as they are complete; memory is
 * bounded by the pairing window, not by the capture length.
 */
export class CaptureAnalyser {
  private readonly o: CaptureOptions;
  private readonly window: number;
  private readonly wantTree: boolean;
  private readonly wantJson: boolean;
  private frames = 0;
  private ignored = 0;
  private readonly ignoredWhy = new Map<string, number>();
  private readonly notes = new Capped();
  private readonly failures = new Capped();
  private readonly errors = new Capped();
  private readonly refusals = new Capped();
  private readonly unverified = new Capped();
  private worst = 0;
  private readonly stats = { commands: 0, responses: 0, verified: 0, failed: 0, errors: 0, apdus: 0, items: 0, unverified: 0 };
  private readonly groups = new Map<string, SmsGroup>();
  private pendingEnvelope: { frame: number; sw: number } | undefined;
  private readonly tpduParts = new Map<string, { frames: number[]; hdr?: Uint8Array; cmd?: Uint8Array; rsp?: Uint8Array; udp: UdpDatagram }>();
  private readonly conversations = new Map<string, Dgram[]>();
  private buffered = 0;
  /** By tarKey: the latest command per dialect and TAR. */
  private readonly commands = new Map<number, PendingCommand>();
  /** The RST that ended the last session of a UDP conversation (a repeat of it is not a new session). */
  private readonly closedBy = new Map<string, Uint8Array>();
  /** The key last inserted into `commands` (its newest entry). */
  private newestCommand = -1;
  /** Keys resolved once per (KIc, KID) for the whole capture. */
  private readonly memo: PacketMemo;
  private smsOpts?: ParseOpts;
  private readonly porOpts = new Map<string, ParseOpts>();
  private cattpOpts?: ParseOpts;

  constructor(readonly file: string, o: CaptureOptions, private readonly sink: CaptureSink) {
    this.o = o;
    const w = o.pairingWindow ?? DEFAULT_PAIRING_WINDOW;
    this.window = w >= 1 ? w : 1;
    this.wantTree = o.tree !== false;
    this.wantJson = o.json !== false;
    this.memo = packetMemo(o);
  }

  private ignore(why: string): void {
    this.ignored++;
    this.ignoredWhy.set(why, (this.ignoredWhy.get(why) ?? 0) + 1);
  }

  // --- units → items

  private unit(u: Unit): void {
    const it = this.parseUnit(u);
    this.stats.items++;
    if (it.kind === 'command') this.stats.commands++;
    else if (it.kind === 'response') this.stats.responses++;
    if (it.verified === true) this.stats.verified++;
    if (it.verified === null || it.verified === undefined || it.error) this.stats.unverified++;
    if (it.failures.length) {
      this.stats.failed++;
      for (const f of it.failures) this.failures.push(f);
      this.worst = Math.max(this.worst, 1);
    }
    for (const n of it.notes) this.notes.push(n);
    if (it.refusal) {
      this.refusals.push(`${this.file} ${frameLabel(it.frames).toLowerCase()}: ${it.refusal}`);
      this.worst = Math.max(this.worst, 1);
    }
    if (this.o.requireVerified && it.unverified?.length && !it.failures.length) {
      this.unverified.push(`${this.file} ${frameLabel(it.frames).toLowerCase()}: ${it.unverified.join('; ')}`);
      this.worst = Math.max(this.worst, 1);
    }
    if (it.error) {
      this.stats.errors++;
      const line = `${this.file} ${frameLabel(it.frames).toLowerCase()}: ${it.error.message}`;
      if (this.errors.length < KEEP) it.errorLine = line;
      this.errors.push(line);
      this.worst = Math.max(this.worst, it.error.exitCode);
    }
    this.sink.item(it);
  }

  private brief(b: CaptureBrief): void {
    if (b.group === 'apdu') this.stats.apdus++;
    this.sink.brief(b);
  }

  // --- SMS segments (ENVELOPE, FETCH, exported TPDUs) grouped by concatenation reference

  private closeGroup(g: SmsGroup, why: string): void {
    this.groups.delete(g.key);
    const missing: number[] = [];
    for (let s = 1; s <= g.total; s++) if (!g.parts.has(s)) missing.push(s);
    const frames = [...g.parts.values()].flatMap((p) => p.frames);
    this.unit({
      frames, outer: [...g.parts.values()].map((p) => p.layer), outerNames: [g.outerName], what: `concatenated SMS (${g.refBits}-bit reference ${g.ref})`,
      error: new InputError(`part${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${g.total} missing (${why}); the parts present are in frame${frames.length > 1 ? 's' : ''} ${frames.join(', ')}`, { layer: `concatenated SMS (${g.refBits}-bit reference ${g.ref})`, field: 'Message part number' }),
    });
  }

  /** An SMS-carrying input: a single SM becomes a unit now, a segment waits for its group. */
  private smsInput(bytes: Uint8Array, fr: number[], layer: Layer, outerName: string, what: string, peelMode: 'auto' | 'sms'): void {
    const frame = fr[0];
    const seg = segmentInfo(bytes);
    if (!seg) {
      this.unit({ frames: fr, outer: [layer], outerNames: [outerName], inputs: [bytes], peelMode, what });
      return;
    }
    let g = this.groups.get(seg.key);
    const prev = g?.parts.get(seg.seq);
    if (g && prev) {
      if (equalBytes(prev.bytes, bytes)) {
        g.notes.push(`frame ${frame} repeats part ${seg.seq} of frame ${prev.frame} (ignored)`);
        return;
      }
      this.closeGroup(g, `frame ${frame} starts another message with the same reference`);
      g = undefined;
    }
    if (!g) {
      g = { key: seg.key, total: seg.total, ref: seg.ref, refBits: seg.refBits, parts: new Map(), outerName, notes: [] };
      this.groups.set(seg.key, g);
      if (this.groups.size > this.window) {
        const oldest = this.groups.values().next().value!;
        this.closeGroup(oldest, `evicted: more than ${this.window} unfinished concatenated messages, see --pairing-window`);
      }
    }
    // A copy: the frame's bytes are a view of the read buffer, which must not be kept alive.
    g.parts.set(seg.seq, { bytes: bytes.slice(), frame, frames: fr, layer });
    if (g.parts.size === g.total) {
      this.groups.delete(g.key);
      const parts = [...g.parts.values()].sort((a, b) => a.frame - b.frame);
      const frames = parts.flatMap((p) => p.frames);
      this.unit({
        frames, outer: parts.map((p) => p.layer), outerNames: [outerName], inputs: parts.map((p) => p.bytes), peelMode,
        notes: g.notes, what: `${what}, ${g.total} segments`,
      });
    }
  }

  // --- APDUs in order

  /** A brief entry for an APDU that carries no OTA packet (a method: onApdu makes no closure per APDU). */
  private apduBrief(a: Apdu, text: string, status?: Status, cat = CAT_INS.has(a.ins)): void {
    const frame = a.frames[0];
    const name = INS_NAMES[a.ins] ?? `INS ${h2(a.ins)}`;
    this.brief({ frame, group: 'apdu', cat, name, text, status, json: this.wantJson ? { frame, layers: ['GSMTAP SIM', name], apdu: apduHex(a), response: a.response.length ? toHex(a.response) : null, sw: a.sw === undefined ? null : h4(a.sw), summary: text } : undefined });
  }

  /**
   * An ENVELOPE (SMS-PP DOWNLOAD) answered 61xx/9Fxx/9Exx whose response data was
   * not read by the next APDU, as the ME must (GET RESPONSE; 3GPP TS 31.111 cl.
   * 7.1.1.2): noted, since the PoR it held was never seen. `why`: what came instead.
   */
  private dropPendingEnvelope(why: string): void {
    const env = this.pendingEnvelope;
    if (!env) return;
    this.pendingEnvelope = undefined;
    const n = env.sw & 0xff || 256;
    const what = env.sw >> 8 === 0x9e ? 'data download error data' : 'response data (the PoR, when the command asked for one)';
    this.notes.push(`frame ${env.frame}: the card answered the ENVELOPE (SMS-PP DOWNLOAD) with SW ${h4(env.sw)}, ${n} octets of ${what} waiting, but ${why}: they were never read`);
  }

  private onApdu(a: Apdu, subType: string): void {
    const frame = a.frames[0];
    const sw1 = a.sw === undefined ? -1 : a.sw >> 8;
    if (a.ins === 0xc2) {
      const tag = a.command[0];
      const tagName = ENVELOPE_TAGS[tag] ?? (tag === undefined ? 'no data' : `tag ${h2(tag)}`);
      if (tag !== 0xd1) {
        let extra = '';
        if (tag === 0xd6) {
          const ev = ctlv(berValue(a.command) ?? new Uint8Array(0), 0x19);
          if (ev?.length) extra = `: ${[...ev].map((e) => EVENTS[e] ?? `event ${h2(e)}`).join(', ')}`;
        }
        this.apduBrief(a, `ENVELOPE (${tagName}${extra}), ${swText(a.sw)}`);
        this.dropPendingEnvelope(`the next APDU (frame ${frame}) is another ENVELOPE, not a GET RESPONSE`);
        return;
      }
      this.dropPendingEnvelope(`the next APDU (frame ${frame}) is another ENVELOPE (SMS-PP DOWNLOAD), not a GET RESPONSE`);
      if (a.sw === 0x9300) {
        this.apduBrief(a, `ENVELOPE (SMS-PP download), ${swText(a.sw)}: not accepted by the card (the ME retries it)`, 'warn');
        return;
      }
      const layer = gsmtapLayer(a, subType);
      // The ENVELOPE APDU: a view of the frame when it came in one (a segment is copied when kept), else joined.
      let cmd = a.raw;
      if (!cmd) {
        cmd = new Uint8Array(5 + a.command.length);
        cmd[0] = a.cla;
        cmd[1] = a.ins;
        cmd[2] = a.p1;
        cmd[3] = a.p2;
        cmd[4] = a.p3;
        cmd.set(a.command, 5);
      }
      this.smsInput(cmd, a.frames, layer, 'GSMTAP SIM', 'ENVELOPE (SMS-PP DOWNLOAD)', 'sms');
      if (a.response.length) {
        const resp = a.response;
        const rl = lazyLayer('ENVELOPE response', () => node('ENVELOPE response data', `${resp.length} octets, ${swText(a.sw)}`, undefined, { hex: toHex(resp) }), () => ({ layer: 'ENVELOPE response', sw: a.sw === undefined ? null : h4(a.sw), length: resp.length }));
        this.unit({ frames: a.frames, outer: [layer, rl], outerNames: ['GSMTAP SIM', 'ENVELOPE response'], inputs: [resp], peelMode: 'sms', what: 'ENVELOPE response data' });
      }
      this.pendingEnvelope = sw1 === 0x61 || sw1 === 0x9f || sw1 === 0x9e ? { frame, sw: a.sw! } : undefined;
      return;
    }
    if (a.ins === 0xc0 && this.pendingEnvelope && a.response.length) {
      const env = this.pendingEnvelope;
      this.pendingEnvelope = undefined;
      const err = env.sw >> 8 === 0x9e ? ' (data download error data)' : '';
      const resp = a.response;
      const rl = lazyLayer('GET RESPONSE', () => node('GET RESPONSE data', `${resp.length} octets${err}, answering the ENVELOPE of frame ${env.frame} (SW ${h4(env.sw)})`, undefined, { hex: toHex(resp) }), () => ({ layer: 'GET RESPONSE', envelopeFrame: env.frame, envelopeSw: h4(env.sw), sw: a.sw === undefined ? null : h4(a.sw), length: resp.length }));
      this.unit({ frames: a.frames, outer: [gsmtapLayer(a, subType), rl], outerNames: ['GSMTAP SIM', 'GET RESPONSE'], inputs: [resp], peelMode: 'sms', what: 'GET RESPONSE after ENVELOPE' });
      return;
    }
    if (a.ins === 0xc0 && this.pendingEnvelope && sw1 === 0x6c) {
      this.apduBrief(a, `GET RESPONSE, ${swText(a.sw)}`);
      return;
    }
    if (this.pendingEnvelope) {
      const name = INS_NAMES[a.ins] ?? `INS ${h2(a.ins)}`;
      this.dropPendingEnvelope(a.ins === 0xc0 ? `the GET RESPONSE of frame ${frame} returned no data (SW ${a.sw === undefined ? 'none' : h4(a.sw)})` : `the next APDU (frame ${frame}, ${name}) is not a GET RESPONSE`);
    }
    if (a.ins === 0x12) {
      if (a.response[0] !== 0xd0) {
        this.apduBrief(a, `FETCH, ${a.response.length ? `response data starts ${h2(a.response[0])}, not D0` : 'no proactive command'}, ${swText(a.sw)}`);
        return;
      }
      const cd = ctlv(berValue(a.response) ?? new Uint8Array(0), 0x01);
      if (cd && cd.length === 3 && cd[1] === 0x13) {
        // SEND SHORT MESSAGE: the D0 TLV (and its SW) as FETCH response data.
        this.smsInput(a.response, a.frames, gsmtapLayer(a, subType), 'GSMTAP SIM', 'FETCH: SEND SHORT MESSAGE', 'sms');
        return;
      }
      this.apduBrief(a, `FETCH: ${cd && cd.length === 3 ? `${proactiveName(cd[1])} (number ${cd[0]}, qualifier ${h2(cd[2])})` : 'proactive command without command details'}, ${swText(a.sw)}`);
      return;
    }
    if (a.ins === 0x14) {
      const cd = ctlv(a.command, 0x01);
      const res = ctlv(a.command, 0x03);
      const what = cd && cd.length === 3 ? proactiveName(cd[1]) : 'unknown command';
      const r = res?.length ? `result ${h2(res[0])} (${RESULTS[res[0]] ?? 'see TS 102 223 cl. 8.12'})` : 'no result';
      this.apduBrief(a, `TERMINAL RESPONSE to ${what}: ${r}, ${swText(a.sw)}`, res?.length && res[0] >= 0x20 ? 'warn' : undefined);
      return;
    }
    const name = INS_NAMES[a.ins] ?? `INS ${h2(a.ins)}`;
    this.apduBrief(a, `${name}${a.command.length ? `, ${a.command.length} octets of data` : ''}${a.response.length ? `, ${a.response.length} octets returned` : ''}, ${swText(a.sw)}`);
  }

  /** The next frame of the capture, in file order. */
  frame(f: CaptureFrame): void {
    this.frames++;
    const d = decodeFrame(f);
    if (d.kind === 'other') {
      this.ignore(d.why);
      return;
    }
    if (d.kind === 'exported') {
      if (d.proto !== 'gsm_sms' || !d.pdu.length) {
        this.ignore(`exported PDU for ${d.proto || 'no dissector'}`);
        return;
      }
      const dir = d.direction === 1 ? 'MS → SC' : d.direction === 0 ? 'SC → MS' : 'direction not given';
      const n = f.number;
      const layer = lazyLayer('exported PDU', () => node(`Frame ${n}`, `exported PDU for gsm_sms (${dir})`), () => ({ layer: 'exported PDU', frame: n, proto: d.proto, direction: d.direction ?? null }));
      this.smsInput(d.pdu, [n], layer, 'exported PDU', 'SMS TPDU (exported PDU)', 'auto');
      return;
    }
    const u = d.udp;
    if (u.sport === GSMTAP_UDP_PORT || u.dport === GSMTAP_UDP_PORT) {
      const g = decodeGsmtap(u.payload);
      if ('error' in g) {
        this.ignore(`GSMTAP: ${g.error}`);
        return;
      }
      if (g.type !== GSMTAP_TYPE_SIM) {
        this.ignore(`GSMTAP type ${g.type} (not SIM)`);
        return;
      }
      if (u.truncated) {
        // Its last octets are missing: what ends the frame is not its status word, and the rest cannot be trusted.
        this.unit({
          frames: [f.number], outer: [], outerNames: ['UDP', 'GSMTAP SIM'], what: 'GSMTAP SIM frame',
          error: new InputError(`${u.cutWhy ?? "cut short by the capture's snap length"}: its APDU and status word are incomplete, not decoded`, { layer: 'GSMTAP SIM' }),
        });
        return;
      }
      switch (g.subType) {
        case GSMTAP_SIM.APDU: {
          const a = splitApdu(g.payload, f.number, u);
          if (typeof a === 'string') this.brief({ frame: f.number, group: 'apdu', cat: true, name: 'APDU', text: `malformed GSMTAP SIM APDU frame: ${a}`, status: 'warn', json: { frame: f.number, layers: ['GSMTAP SIM'], error: a } });
          else this.onApdu(a, 'APDU');
          break;
        }
        case GSMTAP_SIM.ATR:
          this.brief({ frame: f.number, group: 'apdu', cat: true, name: 'ATR', text: `ATR ${toHex(g.payload)}`, json: { frame: f.number, layers: ['GSMTAP SIM', 'ATR'], atr: toHex(g.payload) } });
          this.dropPendingEnvelope(`the card was reset (ATR, frame ${f.number}) before a GET RESPONSE`);
          break;
        case GSMTAP_SIM.TPDU_HDR: {
          const k = `${u.src}|${u.sport}|${u.dst}|${u.dport}`;
          const old = this.tpduParts.get(k);
          if (old) {
            this.tpduParts.delete(k);
            this.notes.push(`frame ${old.frames[0]}: TPDU header without its status word (frame ${f.number} starts another TPDU)`);
          }
          this.tpduParts.set(k, { frames: [f.number], hdr: g.payload.slice(), udp: u });
          if (this.tpduParts.size > this.window) {
            const [ok, ov] = this.tpduParts.entries().next().value!;
            this.tpduParts.delete(ok);
            this.notes.push(`frame ${ov.frames[0]}: TPDU header without its status word (evicted: more than ${this.window} TPDUs waiting, see --pairing-window)`);
          }
          break;
        }
        case GSMTAP_SIM.TPDU_CMD:
        case GSMTAP_SIM.TPDU_RSP:
        case GSMTAP_SIM.TPDU_SW: {
          const k = `${u.src}|${u.sport}|${u.dst}|${u.dport}`;
          const t = this.tpduParts.get(k);
          if (!t?.hdr || t.hdr.length < 5) {
            this.ignore('GSMTAP SIM TPDU part without its header');
            break;
          }
          t.frames.push(f.number);
          if (g.subType === GSMTAP_SIM.TPDU_CMD) t.cmd = g.payload.slice();
          else if (g.subType === GSMTAP_SIM.TPDU_RSP) t.rsp = g.payload.slice();
          else {
            this.tpduParts.delete(k);
            const hd = t.hdr;
            const sw = g.payload.length >= 2 ? (g.payload[0] << 8) | g.payload[1] : undefined;
            this.onApdu({ frames: t.frames, cla: hd[0], ins: hd[1], p1: hd[2], p2: hd[3], p3: hd[4], command: t.cmd ?? new Uint8Array(0), response: t.rsp ?? new Uint8Array(0), sw, udp: t.udp, raw: undefined }, 'TPDU');
          }
          break;
        }
        default:
          this.ignore(`GSMTAP SIM sub-type ${g.subType}`);
      }
      return;
    }
    if (looksLikeCattpPdu(u.payload)) {
      this.cattpDatagram(f.number, u);
      return;
    }
    if (u.truncated) {
      this.ignore(`UDP ${u.sport} → ${u.dport}, not GSMTAP and cut short by the capture's snap length (not decoded)`);
      return;
    }
    this.ignore(`UDP ${u.sport} → ${u.dport}, not GSMTAP or CAT_TP`);
  }

  // --- CAT_TP datagrams per UDP conversation, a session at a time

  private cattpDatagram(frame: number, u: UdpDatagram): void {
    const a = endpoint(u.src, u.sport);
    const b = endpoint(u.dst, u.dport);
    const key = a < b ? `${a} ↔ ${b}` : `${b} ↔ ${a}`;
    // The datagram outlives its read buffer: keep a copy of the payload only.
    const dg: Dgram = { frame, udp: withMembers(u, { payload: u.payload.slice() }) };
    let list = this.conversations.get(key);
    let type: string | undefined;
    try {
      const d = decodePdu(dg.udp.payload);
      type = d.checksumOk ? d.pdu.type : undefined;
    } catch {
      type = undefined;
    }
    if (!list?.length && type === 'RST') {
      const last = this.closedBy.get(key);
      if (last && equalBytes(last, dg.udp.payload)) {
        this.ignore('CAT_TP RST repeated after its session ended');
        return;
      }
    }
    if (list?.length) {
      // A fresh SYN (not a retransmission) after other PDUs starts a new session: the one before is complete.
      if (type === 'SYN' && list.some((q) => !equalBytes(q.udp.payload, dg.udp.payload))) {
        this.flushConversation(key);
        list = undefined;
      }
    }
    if (!list) {
      list = [];
      this.conversations.set(key, list);
    }
    list.push(dg);
    this.buffered++;
    if (type === 'RST' && list.length > 1) {
      // A RST closes the connection (TS 102 127): the session is complete, printed now rather than at the next SYN or the end.
      this.closedBy.set(key, dg.udp.payload);
      if (this.closedBy.size > this.window) this.closedBy.delete(this.closedBy.keys().next().value!);
      this.flushConversation(key);
      return;
    }
    while (this.buffered > this.window && this.conversations.size) {
      const [oldest, l] = this.conversations.entries().next().value!;
      this.notes.push(`CAT_TP ${oldest}: ${l.length} datagram${l.length === 1 ? '' : 's'} from frame ${l[0].frame} on taken as a session before it ended (evicted: more than ${this.window} CAT_TP datagrams waiting, see --pairing-window)`);
      this.flushConversation(oldest);
    }
  }

  private flushConversation(key: string): void {
    const list = this.conversations.get(key);
    if (!list) return;
    this.conversations.delete(key);
    this.buffered -= list.length;
    cattpConversation(key, list, (u) => this.unit(u), (b) => this.brief(b), (n) => this.notes.push(n), this.wantJson);
  }

  /**
   * End of the capture (or the damage that stopped it): close what is still open and say what was found.
   * `stopped`: damage ended the reading, so what lies after it was not checked and `verified` is at best null.
   */
  finish(format?: string, stopped = false, followed?: { unread: number }): CaptureSummary {
    // `followed`: the file was still being written when the user stopped following it (--follow):
    // what is missing may yet come, so the notes say "before following stopped", not "in the capture".
    for (const g of [...this.groups.values()]) this.closeGroup(g, followed ? 'not read before following stopped' : 'not in the capture');
    for (const t of this.tpduParts.values()) this.notes.push(`frame ${t.frames[0]}: TPDU header without its status word (${followed ? 'following stopped' : 'capture ends'})`);
    this.dropPendingEnvelope(stopped ? 'the capture stopped before a GET RESPONSE' : followed ? 'following stopped before a GET RESPONSE' : 'the capture ends before a GET RESPONSE');
    this.tpduParts.clear();
    for (const k of [...this.conversations.keys()]) this.flushConversation(k);
    for (const c of this.commands.values()) this.noteNoPor(c, stopped ? 'before the capture stopped' : followed ? 'before following stopped' : 'in the capture');
    const s = this.stats;
    const summary = { commands: s.commands, responses: s.responses, verified: s.verified, failed: s.failed, errors: s.errors, apdus: s.apdus, otherFrames: this.ignored };
    const nothing = s.items === 0;
    const notes = this.notes.all('notes');
    // Frames that could not be read at all may have carried OTA traffic: JSON says so too, not only the text summary.
    for (const [why, n] of this.ignoredWhy) if (/^link type \d+ not supported$/.test(why)) notes.push(`${n} frame${n === 1 ? '' : 's'} not decoded: ${why}`);
    if (nothing) {
      notes.push(`nothing OTA-related in ${this.frames} frame${this.frames === 1 ? '' : 's'}: no ENVELOPE (SMS-PP DOWNLOAD), SEND SHORT MESSAGE, SMS TPDU or CAT_TP PDU`);
    }
    if (followed) notes.push(`following stopped after frame ${this.frames}${followed.unread ? `; the ${followed.unread} octets after it (a record still being written) were not read` : ''}`);
    const verified = this.failures.length ? false : s.unverified || stopped ? null : s.items ? true : null;
    const refusals = this.refusals.all('refusals');
    if (this.o.expectStatus !== undefined && !s.responses) {
      const none = statusOutcome(undefined, this.o, false);
      if (none.refusal) {
        refusals.push(`${this.file}: ${none.refusal}`);
        this.worst = Math.max(this.worst, 1);
      }
    }
    const fr = this.frames;
    const ignored = this.ignored;
    const sumText = `${fr} frame${fr === 1 ? '' : 's'}${format ? ` (${format})` : ''}: ${s.commands} command packet${s.commands === 1 ? '' : 's'}, ${s.responses} response packet${s.responses === 1 ? '' : 's'}, ${s.verified} verified, ${s.failed} failed, ${s.errors} malformed; ${s.apdus} other APDU${s.apdus === 1 ? '' : 's'}; ${ignored} frame${ignored === 1 ? '' : 's'} not OTA-related`;
    const kids = [...[...this.ignoredWhy].map(([w, n]) => node(w, `${n} frame${n === 1 ? '' : 's'}`)), ...notes.map((n) => node('Note', n))];
    return {
      frames: fr, summary, notes, verified, nothing,
      failures: this.failures.all('failures'), refusals, unverified: this.unverified.all('unverified items'), errors: this.errors.all('malformed items'), uncheckedItems: s.unverified,
      tree: node('Summary', sumText, kids),
      exitCode: this.worst,
    };
  }

  // --- one unit → one item

  /** The item of a unit that could not be parsed: its layers, then the error. */
  private errorItem(u: Unit, label: string, e: OtaError): CaptureItem {
    return {
      frames: u.frames,
      tree: this.wantTree ? node(label, u.what, [...u.outer.map((l) => l.tree), node('Error', e.message, undefined, { status: 'fail' })], { status: 'fail' }) : undefined,
      json: this.wantJson ? Object.assign(itemBase(u.frames), { layers: u.outerNames, error: e.message, exitCode: e.exitCode, framing: u.outer.map((l) => l.json) }) : undefined,
      failures: u.failures ? u.failures.slice() : [], notes: u.notes ? u.notes.slice() : [], error: e,
    };
  }

  // The common path makes no closures and no intermediate arrays (an item per exchange: their garbage counts).
  private parseUnit(u: Unit): CaptureItem {
    const o = this.o;
    const wantTree = this.wantTree;
    const wantJson = this.wantJson;
    const label = frameLabel(u.frames);
    if (u.error) return this.errorItem(u, label, u.error);
    if (!u.peeled && !u.inputs) {
      // Only failures (CAT_TP checksums of PDUs without data).
      const itemFailures = u.failures ? u.failures.slice() : [];
      return {
        frames: u.frames,
        tree: wantTree ? node(label, u.what, [node('Verification', 'FAILED', undefined, { status: 'fail', note: itemFailures.join('; ') })], { status: 'fail' }) : undefined,
        json: wantJson ? Object.assign(itemBase(u.frames), { layers: u.outerNames, failures: itemFailures, verified: false }) : undefined,
        failures: itemFailures, notes: u.notes ? u.notes.slice() : [], verified: false,
      };
    }
    let peeled: Peeled;
    try {
      peeled = u.peeled ?? peel(u.inputs!, u.peelMode ?? 'auto');
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      return this.errorItem(u, label, e);
    }
    if (!peeled.kind || (peeled.dialect === 'cat_tp' && !cattpPacketKind(peeled.packet))) {
      const why = 'no TS 102 225 command or response packet in it (no IE 70/71, CPI/RPI or valid packet header)';
      return {
        frames: u.frames,
        tree: wantTree ? node(label, `${u.what}: not an OTA secured packet`, [...unitTrees(u, peeled), node('Data', `${peeled.packet.length} octets`, undefined, { hex: toHex(peeled.packet), status: 'info', note: why })]) : undefined,
        json: wantJson ? Object.assign(itemBase(u.frames), { layers: unitNames(u, peeled), packet: null, data: toHex(peeled.packet), note: why, framing: unitFraming(u, peeled) }) : undefined,
        failures: [], notes: [],
      };
    }
    const first = minOf(u.frames);
    const kind = peeled.kind;
    const dialect = peeled.dialect;
    // The options per dialect, spread once per capture (not per item).
    let opts: ParseOpts = dialect === 'cat_tp' ? (this.cattpOpts ??= { ...o, cattp: true, request: o.request }) : (this.smsOpts ??= { ...o, cattp: false, request: o.request });
    let requestFrame: number | undefined;
    if (kind === 'response') {
      const at = clearTarAt(peeled.packet, dialect, 'response');
      const cmd = at < 0 ? undefined : this.commands.get(tarKey(dialect, peeled.packet, at));
      if (cmd) {
        // The parsed command says all a PoR needs.
        // One options object per dialect for every PoR, its request set each time (parsePacket keeps no reference to it).
        let po = this.porOpts.get(dialect);
        if (!po) this.porOpts.set(dialect, (po = { ...opts, request: undefined, requestCommand: undefined, spi: undefined, kic: undefined, kid: undefined }));
        po.requestCommand = cmd.parsed;
        opts = po;
        requestFrame = cmd.frame;
        cmd.answered = true;
      }
    }
    let res: PacketResult;
    try {
      res = parsePacket(peeled, opts, kind, this.memo.keys, wantTree ? (wantJson ? WANT_BOTH : WANT_TREE) : wantJson ? WANT_JSON : WANT_NONE);
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      return this.errorItem(u, label, e);
    }
    if (res.command) this.remember({ tar: res.command.tar, dialect, frame: first, parsed: res.command, answered: false });
    const failures = itemFailures(u.failures, peeled.failures, res.failures, label);
    const notes = u.notes?.length ? [...u.notes, ...res.notes] : res.notes.slice();
    if (requestFrame !== undefined) notes.push(`PoR checked against the command packet of frame ${requestFrame} (same TAR)`);
    const resVerified = res.verified;
    const verified = failures.length ? false : (resVerified ?? null);
    const packetName = res.kind === 'command' ? 'command packet' : 'response packet';
    let json: Record<string, unknown> | undefined;
    let text: string | undefined;
    if (wantJson && o.recordTag !== undefined && o.recordText) {
      const layers = unitNames(u, peeled);
      layers.push(packetName);
      text = recordText(o.recordTag, first, u, peeled, layers, res.json, failures.length ? false : resVerified, requestFrame);
    }
    if (wantJson && text === undefined) {
      // { ...base(), layers, ...res.json, framing, verified } in that order. One literal with a
      // spread: members added one by one through computed keys would leave the object in V8's
      // slow dictionary mode past a dozen, which JSON.stringify then walks several times slower.
      const tag = o.recordTag;
      const frames = u.frames.length > 1 ? [...new Set(u.frames)].sort((a, b) => a - b) : undefined;
      const layers = unitNames(u, peeled);
      layers.push(packetName);
      const rj = res.json;
      if (tag === undefined) json = frames ? { frame: first, frames, layers, ...rj } : { frame: first, layers, ...rj };
      else {
        // The record's tag first; the packet's own `format` (spread over it, in place) gives way to it.
        json = frames ? { format: tag, record: 'item', frame: first, frames, layers, ...rj } : { format: tag, record: 'item', frame: first, layers, ...rj };
        json.format = tag;
      }
      json.framing = unitFraming(u, peeled);
      json.verified = failures.length ? false : resVerified;
      if (requestFrame !== undefined) json.requestFrame = requestFrame;
    }
    let tree: TreeNode | undefined;
    if (wantTree) {
      const tar = toHex((res.command ?? res.response)!.tar);
      const head = `${u.what} → ${packetName}, TAR ${tar}${res.response?.status !== undefined ? `, status ${h2(res.response.status)}` : ''}`;
      const status: Status | undefined = failures.length || res.inputError ? 'fail' : verified === true ? 'ok' : 'warn';
      const kids = unitTrees(u, peeled);
      kids.push(res.tree);
      if (requestFrame !== undefined) kids.push(node('Request', `command packet of frame ${requestFrame}`, undefined, { status: 'info', note: 'its SPI, KIc, KID and TAR are used' }));
      tree = node(label, head, kids, { status, note: failures.length ? 'FAILED' : verified === true ? 'verified' : 'not verified' });
    }
    return { frames: u.frames, tree, json, text, failures, notes, error: res.inputError, kind: res.kind, verified, refusal: res.kind === 'response' ? res.refusal : undefined, unverified: res.unverified };
  }

  /** A command whose SPI asked for a PoR in every case (TS 102 225 cl. 5.1.1) and that none answered: noted. */
  private noteNoPor(c: PendingCommand, when: string): void {
    if (!c.answered && c.parsed.spi.porRequest === 'required') this.notes.push(`frame ${c.frame}: command packet (TAR ${toHex(c.tar)}) asked for a PoR; none came ${when}`);
  }

  /**
   * The next command to a TAR against the one before it: the same octets again (an SMS
   * delivered twice, a replay), or, with the same keys, a counter its SPI's counter mode
   * makes the card refuse (TS 102 225 cl. 5.1.1: "higher", "one higher"; PoR status 02
   * CNTR low, 03 CNTR high, Table 5). Counters are compared only when both are readable
   * and not from a failed check (a wrong KIc key gives any counter).
   */
  private noteCounterOrder(before: PendingCommand, c: PendingCommand): void {
    const a = before.parsed;
    const b = c.parsed;
    if (equalBytes(a.bytes, b.bytes)) {
      this.notes.pushMade(() => `frame ${c.frame}: command packet (TAR ${toHex(c.tar)}) repeats the one of frame ${before.frame} octet for octet (delivered twice, or replayed${b.spi.counter === 'higher' || b.spi.counter === 'one-higher' ? ': a card checking the counter refuses it' : ''})`);
      return;
    }
    const readable = (x: SecuredCommand) => x.counter !== undefined && x.checksum.verified !== false;
    if (a.kic !== b.kic || a.kid !== b.kid || !readable(a) || !readable(b)) return;
    const m = a.counter!;
    const n = b.counter!;
    let why: string | undefined;
    if (b.spi.counter === 'higher' && n <= m) why = 'higher than the last one (PoR status 02, CNTR low)';
    else if (b.spi.counter === 'one-higher' && n !== m + 1n) why = `exactly one higher than the last one (PoR status ${n <= m ? '02, CNTR low' : '03, CNTR high'})`;
    if (why) this.notes.pushMade(() => `frame ${c.frame}: command packet (TAR ${toHex(c.tar)}) has CNTR ${n} after CNTR ${m} of the command of frame ${before.frame} (same keys); its SPI asks for a counter ${why}, so a card that accepted the first refuses it`);
  }

  /** The latest command per TAR, for the PoRs that follow; the oldest beyond the window is dropped (noted when unanswered). */
  private remember(c: PendingCommand): void {
    const key = tarKey(c.dialect, c.tar);
    // Re-inserted to become the newest, unless it is already (a run of commands to one TAR): a
    // Map's delete leaves a hole that only its next rehash clears.
    const before = this.commands.get(key);
    if (before) {
      this.noteNoPor(before, `before the next command to that TAR (frame ${c.frame})`);
      this.noteCounterOrder(before, c);
    }
    if (key !== this.newestCommand) {
      this.commands.delete(key);
      this.newestCommand = key;
    }
    this.commands.set(key, c);
    if (this.commands.size > this.window) {
      const [k, old] = this.commands.entries().next().value!;
      this.commands.delete(k);
      if (!old.answered) this.notes.push(`frame ${old.frame}: command packet (TAR ${toHex(old.tar)}) evicted from the pairing window unanswered (more than ${this.window} TARs waiting, see --pairing-window)`);
    }
  }
}

// ------------------------------------------------------------------ whole-capture wrapper

/** What `parse --read --json` prints, built in memory (the library's `captureReport`). */
export interface CaptureResult {
  json: {
    format: string; file: string; captureFormat: string; frames: number; items: Record<string, unknown>[]; apdus: Record<string, unknown>[]; sessions: Record<string, unknown>[];
    summary: CaptureSummary['summary']; notes: string[]; verified: boolean | null; stopped?: CaptureStop;
  };
  summary: CaptureSummary;
  exitCode: number;
}

/** Where a damaged capture stopped. */
export interface CaptureStop {
  /** Absolute byte offset of the damaged record or block. */
  offset: number;
  /** The frame that could not be read (1-based): one more than the frames read. */
  frame: number;
  message: string;
}

/** The stop record of a structural error met after some frames were read. */
export function captureStop(e: OtaError, framesRead: number): CaptureStop {
  return { offset: e.offset ?? 0, frame: framesRead + 1, message: e.message };
}

/** The whole analysis of an in-memory capture (`file` names it in messages). */
export function analyseCapture(file: string, o: CaptureOptions, bytes?: Uint8Array): CaptureResult {
  const data = bytes ?? readCaptureBytes(file);
  const items: Record<string, unknown>[] = [];
  const apdus: Record<string, unknown>[] = [];
  const sessions: Record<string, unknown>[] = [];
  const a = new CaptureAnalyser(file, { ...o, tree: false, json: true }, {
    item: (i) => void items.push(i.json!),
    brief: (b) => void (b.group === 'apdu' ? apdus : sessions).push(b.json!),
  });
  const p = new CaptureParser(file);
  const onFrame = (f: CaptureFrame) => a.frame(f);
  let stopped: CaptureStop | undefined;
  try {
    p.push(data, onFrame);
    p.end(onFrame);
  } catch (e) {
    if (!(e instanceof OtaError) || p.frames === 0) throw e;
    stopped = captureStop(e, p.frames);
  }
  const s = a.finish(p.format, stopped !== undefined);
  return {
    json: {
      format: formatTag('capture'), file, captureFormat: p.format!, frames: s.frames, items, apdus, sessions, summary: s.summary, notes: s.notes, verified: s.verified,
      ...(stopped ? { stopped } : {}),
    },
    summary: s,
    exitCode: stopped ? Math.max(2, s.exitCode) : s.exitCode,
  };
}

function readCaptureBytes(path: string): Uint8Array {
  try {
    return readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    throw captureIoError(e, path);
  }
}

/** An OS error opening or reading a capture, as a one-line IoError (exit 3). */
export function captureIoError(e: unknown, path: string): IoError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
  return new IoError(`cannot read the capture: ${why}`, { layer: path });
}

// ------------------------------------------------------------------ CAT_TP

function cattpConversation(conv: string, dgrams: { frame: number; udp: UdpDatagram }[], unit: (u: Unit) => void, brief: (b: CaptureBrief) => void, note: (n: string) => void, wantJson: boolean): void {
  // Decode each first: a datagram that only looks like CAT_TP is left out.
  const ok: { frame: number; udp: UdpDatagram; d: DecodedPdu }[] = [];
  const bad: { frame: number; err: OtaError }[] = [];
  for (const g of dgrams) {
    try {
      ok.push(withMembers(g, { d: decodePdu(g.udp.payload) }));
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      bad.push({ frame: g.frame, err: e });
    }
  }
  if (!ok.some((p) => p.d.checksumOk)) {
    const cut = dgrams.filter((g) => g.udp.truncated);
    if (cut.length) {
      // Cut datagrams cannot be checked: say so, rather than let the conversation pass for something else.
      for (const g of cut) {
        unit({
          frames: [g.frame], outer: [], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP ${conv}`,
          error: new InputError(`${g.udp.cutWhy ?? "cut short by the capture's snap length"}: it looks like a CAT_TP PDU, not decoded`, { layer: 'CAT_TP' }),
        });
      }
      return;
    }
    note(`${dgrams.length} UDP datagram${dgrams.length === 1 ? '' : 's'} ${conv} (frame${dgrams.length === 1 ? '' : 's'} ${dgrams.map((g) => g.frame).join(', ')}) look like CAT_TP headers but none decodes with a good checksum: not taken as CAT_TP`);
    return;
  }
  for (const b of bad) {
    unit({ frames: [b.frame], outer: [], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP ${conv}`, error: b.err });
  }
  // A fresh SYN (not a retransmission) after other PDUs starts a new session.
  const sessions: (typeof ok)[] = [];
  let cur: typeof ok = [];
  for (const p of ok) {
    const t = p.d.pdu.type;
    if (t === 'SYN' && cur.some((q) => q.d.pdu.type !== 'SYN' || !equalBytes(q.udp.payload, p.udp.payload))) {
      sessions.push(cur);
      cur = [];
    }
    cur.push(p);
  }
  if (cur.length) sessions.push(cur);
  for (const s of sessions) cattpSession(conv, s, unit, brief, wantJson);
}

function cattpSession(conv: string, s: { frame: number; udp: UdpDatagram; d: DecodedPdu }[], unit: (u: Unit) => void, brief: (b: CaptureBrief) => void, wantJson: boolean): void {
  const frames = s.map((p) => p.frame);
  const first = frames[0];
  const last = frames[frames.length - 1];
  const rel = (msg: string) => msg.replace(/\binputs? (\d+)/g, (_m, n) => `frame ${frames[Number(n) - 1]}`);
  const failures = s.filter((p) => !p.d.checksumOk).map((p) => `frame ${p.frame}: CAT_TP checksum of ${p.d.pdu.type} seq ${p.d.pdu.seq}: 0x${h4(p.d.checksum)}, should be 0x${h4(p.d.computedChecksum)}`);
  const types = new Map<string, number>();
  for (const p of s) types.set(p.d.pdu.type, (types.get(p.d.pdu.type) ?? 0) + 1);
  const summary = [...types].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(', ');
  brief({
    frame: first, group: 'session', cat: true, name: 'CAT_TP',
    text: `CAT_TP ${conv}: ${s.length} PDU${s.length === 1 ? '' : 's'} (${summary})${first !== last ? `, frames ${first}–${last}` : ''}`,
    status: failures.length ? 'fail' : undefined,
    children: s.map((p) => node(`Frame ${p.frame}`, pduSummary(p.d), undefined, p.d.checksumOk ? {} : { status: 'fail' })),
    json: wantJson ? { frame: first, frames, layers: ['UDP', 'CAT_TP'], conversation: conv, pdus: s.map((p) => ({ frame: p.frame, summary: pduSummary(p.d), checksumOk: p.d.checksumOk })) } : undefined,
  });
  // The SYN / SYN-ACK gives each side's initial sequence number: data PDUs
  // (and NULs) from ISN + 1 on must all be there, or the first SDU is partial
  // (TS 102 127: each data PDU and NUL consumes one sequence number).
  const sides = new Map<string, { isn?: number; consumed: Set<number>; data: number[] }>();
  for (const p of s) {
    const k = `${p.d.pdu.srcPort} → ${p.d.pdu.dstPort}`;
    const e = sides.get(k) ?? { consumed: new Set<number>(), data: [] };
    sides.set(k, e);
    if (p.d.pdu.type === 'SYN' || p.d.pdu.type === 'SYN/ACK') e.isn = p.d.pdu.seq;
    else if (p.d.pdu.data.length || p.d.pdu.type === 'NUL') {
      e.consumed.add(p.d.pdu.seq);
      if (p.d.pdu.data.length) e.data.push(p.d.pdu.seq);
    }
  }
  const startGaps = new Map<string, { firstSeq: number; text: string }>();
  for (const [k, e] of sides) {
    if (e.isn === undefined || !e.data.length) continue;
    const isn = e.isn;
    const firstRel = Math.min(...e.data.map((q) => (q - isn) & 0xffff));
    const missing: number[] = [];
    for (let r = 1; r < firstRel && missing.length < 9; r++) if (!e.consumed.has((isn + r) & 0xffff)) missing.push((isn + r) & 0xffff);
    if (missing.length) {
      const shown = missing.length > 8 ? `${missing.slice(0, 8).join(', ')}, …` : missing.join(', ');
      startGaps.set(k, { firstSeq: (isn + firstRel) & 0xffff, text: `PDU${missing.length > 1 ? 's' : ''} with sequence number${missing.length > 1 ? 's' : ''} ${shown} missing (${k}, initial sequence number ${isn})` });
    }
  }
  let pe;
  try {
    pe = peelCattpPdus(s.map((p) => p.udp.payload));
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    const Cls = e.constructor as new (m: string, w: object) => OtaError;
    unit({ frames, outer: [], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP session ${conv}`, error: new Cls(rel(e.detail), { ...e.where, layer: e.where.layer ? rel(e.where.layer) : undefined }) });
    return;
  }
  if (!pe) return;
  const notes = pe.notes.map(rel);
  pe.sdus.forEach((sdu) => {
    const fr = sdu.inputs.map((i) => frames[i]);
    const u0 = s[sdu.inputs[0]].udp;
    const udpLayer: Layer = {
      name: 'UDP',
      tree: node(frameLabel(fr), `UDP ${endpoint(u0.src, u0.sport)} → ${endpoint(u0.dst, u0.dport)}, CAT_TP ${sdu.srcPort} → ${sdu.dstPort}`),
      json: { layer: 'UDP', frames: fr, src: endpoint(u0.src, u0.sport), dst: endpoint(u0.dst, u0.dport) },
    };
    const pduLayers: Layer[] = sdu.inputs.map((i) => ({ name: 'CAT_TP', tree: { ...pe.pdus[i].tree, name: `CAT_TP (frame ${frames[i]})` }, json: { layer: 'CAT_TP', frame: frames[i], ...pe.pdus[i].json } }));
    const peeled: Peeled = { layers: [], packet: sdu.data, dialect: 'cat_tp', kind: sdu.kind, offset: 0, failures: [], inputs: [sdu.data], outer: 'cattp' };
    const own = failures.filter((f) => fr.some((x) => f.startsWith(`frame ${x}:`)));
    // PDUs missing before the first one of this side: fatal unless the SDU is a whole packet by its own BER length.
    const gap = startGaps.get(`${sdu.srcPort} → ${sdu.dstPort}`);
    if (gap && gap.firstSeq === sdu.firstSeq) {
      if (!sdu.kind) {
        unit({ frames: fr, outer: [udpLayer], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP data (${sdu.srcPort} → ${sdu.dstPort})`, error: new InputError(`data ${gap.text}: the SDU starting at sequence number ${sdu.firstSeq} lacks its start`, { layer: 'CAT_TP', field: 'sequence number' }) });
        return;
      }
      notes.push(`${gap.text}; the SDU at sequence number ${sdu.firstSeq} is nevertheless a whole packet by its BER length`);
    }
    unit({
      frames: fr, outer: [udpLayer, ...pduLayers], outerNames: ['UDP', 'CAT_TP'], peeled,
      failures: own, notes: notes.splice(0), what: `CAT_TP data (${sdu.srcPort} → ${sdu.dstPort}, seq ${sdu.firstSeq}${sdu.lastSeq !== sdu.firstSeq ? `–${sdu.lastSeq}` : ''})`,
    });
  });
  // Checksum failures of PDUs that carry no SDU still count.
  const inSdu = new Set(pe.sdus.flatMap((x) => x.inputs.map((i) => frames[i])));
  const rest = failures.filter((f) => ![...inSdu].some((x) => f.startsWith(`frame ${x}:`)));
  if (rest.length) unit({ frames, outer: [], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP session ${conv}`, failures: rest });
}

