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
import { InputError, OtaError } from '../util/errors.js';
import { toHex, equalBytes } from '../util/hex.js';
import { node, type TreeNode, type Status } from '../render/tree.js';
import { readCaptureFile, readCapture as decodeCapture, decodeFrame, decodeGsmtap, GSMTAP_UDP_PORT, GSMTAP_TYPE_SIM, GSMTAP_SIM, type UdpDatagram } from '../pcap/read.js';
import { peel, smsPeel, type Layer, type Peeled } from '../layers/peel.js';
import { parsePacket, statusOutcome, type ParseOpts, type PacketResult } from '../api/packet.js';
import { looksLikeCattpPdu, peelCattpPdus, cattpPacketKind } from '../cattp/peel.js';
import { decodePdu, pduSummary, type DecodedPdu } from '../cattp/pdu.js';
import { decodeBerLength } from '../cattp/dialect.js';
import { udh, findConcat } from '../smspp/udh.js';
import { COMMAND_TYPE_NAMES } from '../smspp/proactive.js';

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

const h2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
const h4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

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
}

/** One GSMTAP SIM APDU frame: header ‖ (command data | response data by the instruction's T=0 case) ‖ SW. */
function splitApdu(p: Uint8Array, frame: number, udp: UdpDatagram): Apdu | string {
  if (p.length < 7) return `${p.length} octets, an APDU frame needs a 5-octet header and a status word`;
  const body = p.subarray(5, p.length - 2);
  const ins = p[1];
  const base = { frames: [frame], cla: p[0], ins, p1: p[2], p2: p[3], p3: p[4], sw: (p[p.length - 2] << 8) | p[p.length - 1], udp };
  if (OUTGOING.has(ins)) return { ...base, command: new Uint8Array(0), response: body };
  return { ...base, command: body.subarray(0, p[4]), response: body.subarray(Math.min(p[4], body.length)) };
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
  /** Frame at which the unit became complete (processing order). */
  done: number;
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

interface Item {
  frames: number[];
  tree: TreeNode;
  json: Record<string, unknown>;
  failures: string[];
  notes: string[];
  error?: OtaError;
  kind?: 'command' | 'response';
  verified?: boolean | null;
  /** A PoR whose status is not the expected outcome. */
  refusal?: string;
}

/** Brief entries (APDUs, CAT_TP sessions) for the listing. */
interface Brief {
  frame: number;
  /** Listed individually (CAT flow) or counted in a run. */
  cat: boolean;
  name: string;
  text: string;
  status?: Status;
  children?: TreeNode[];
  json: Record<string, unknown>;
}

const frameLabel = (frames: number[]) => {
  const u = [...new Set(frames)].sort((a, b) => a - b);
  return u.length === 1 ? `Frame ${u[0]}` : `Frames ${u.join(', ')}`;
};

const endpoint = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function gsmtapLayer(a: Apdu, subType: string): Layer {
  const u = a.udp;
  const f = a.frames;
  return {
    name: 'GSMTAP SIM',
    tree: node(frameLabel(f), `UDP ${endpoint(u.src, u.sport)} → ${endpoint(u.dst, u.dport)}, GSMTAP SIM ${subType}`, [
      node('APDU', `${INS_NAMES[a.ins] ?? `INS ${h2(a.ins)}`} (${h2(a.cla)} ${h2(a.ins)} ${h2(a.p1)} ${h2(a.p2)} P3=${a.p3})`),
      node('Status word', swText(a.sw)),
    ]),
    json: { layer: 'GSMTAP SIM', frames: f, src: endpoint(u.src, u.sport), dst: endpoint(u.dst, u.dport), subType, apdu: apduHex(a), response: a.response.length ? toHex(a.response) : null, sw: a.sw === undefined ? null : h4(a.sw) },
  };
}

/** TAR in clear: SMS-PP after CPL(2) CHL SPI(2) KIc KID / RPL(2) RHL; CAT_TP after CPI/RPI, BER length and CHL/RHL. */
export function clearTar(packet: Uint8Array, dialect: 'sms-pp' | 'cat_tp', kind: 'command' | 'response'): Uint8Array | undefined {
  let o: number;
  if (dialect === 'sms-pp') o = kind === 'command' ? 7 : 3;
  else {
    try {
      o = 1 + decodeBerLength(packet, 1, 'length').size + 1 + (kind === 'command' ? 4 : 0);
    } catch {
      return undefined;
    }
  }
  return packet.length >= o + 3 ? packet.slice(o, o + 3) : undefined;
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

/** Concatenation info of an SMS-carrying input, or undefined for a single SM (or anything peel will explain). */
function segmentInfo(b: Uint8Array): { key: string; ref: number; refBits: number; total: number; seq: number } | undefined {
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

// ------------------------------------------------------------------ the command

/** What `parse --read` shows: the JSON object, the tree (without the closing verdict) and the outcome. */
export interface CaptureResult {
  /** The object `parse --read FILE --json` prints. */
  json: {
    file: string; format: string; frames: number; items: Record<string, unknown>[]; apdus: Record<string, unknown>[]; sessions: Record<string, unknown>[];
    summary: { commands: number; responses: number; verified: number; failed: number; errors: number; apdus: number; otherFrames: number };
    notes: string[]; verified: boolean | null;
  };
  /** Tree entries in frame order, then the summary. */
  tree: TreeNode[];
  /** No OTA item at all. */
  nothing: boolean;
  failures: string[];
  notes: string[];
  /** PoR statuses that are not the expected outcome (--expect-status, default 00), one line each, naming the frame. */
  refusals: string[];
  /** Malformed items: one message line each (file, frames, error). */
  errors: { frames: number[]; error: OtaError; message: string }[];
  /** 2 when an item is malformed, else 1 when a check failed, else 0. */
  exitCode: number;
}

/** Everything OTA-related in a capture (`parse --read`); `file` names it in messages, `bytes` gives its octets instead of reading it. */
export function analyseCapture(file: string, o: ParseOpts, bytes?: Uint8Array): CaptureResult {
  const cap = bytes ? decodeCapture(bytes, file) : readCaptureFile(file);

  const units: Unit[] = [];
  const briefs: Brief[] = [];
  const notes: string[] = [];
  let ignored = 0;
  const ignoredWhy = new Map<string, number>();
  const ignore = (why: string) => {
    ignored++;
    ignoredWhy.set(why, (ignoredWhy.get(why) ?? 0) + 1);
  };

  // --- SMS segments (ENVELOPE, FETCH, exported TPDUs) grouped by concatenation reference
  const groups = new Map<string, SmsGroup>();
  const closeGroup = (g: SmsGroup, why: string) => {
    groups.delete(g.key);
    const missing: number[] = [];
    for (let s = 1; s <= g.total; s++) if (!g.parts.has(s)) missing.push(s);
    const frames = [...g.parts.values()].flatMap((p) => p.frames);
    units.push({
      frames, done: Math.max(...frames), outer: [...g.parts.values()].map((p) => p.layer), outerNames: [g.outerName], what: `concatenated SMS (${g.refBits}-bit reference ${g.ref})`,
      error: new InputError(`part${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${g.total} missing (${why}); the parts present are in frame${frames.length > 1 ? 's' : ''} ${frames.join(', ')}`, { layer: `concatenated SMS (${g.refBits}-bit reference ${g.ref})`, field: 'Message part number' }),
    });
  };
  /** An SMS-carrying input: a single SM becomes a unit now, a segment waits for its group. */
  const smsInput = (bytes: Uint8Array, fr: number[], layer: Layer, outerName: string, what: string, peelMode: 'auto' | 'sms') => {
    const frame = fr[0];
    const done = Math.max(...fr);
    const seg = segmentInfo(bytes);
    if (!seg) {
      units.push({ frames: fr, done, outer: [layer], outerNames: [outerName], inputs: [bytes], peelMode, what });
      return;
    }
    let g = groups.get(seg.key);
    const prev = g?.parts.get(seg.seq);
    if (g && prev) {
      if (equalBytes(prev.bytes, bytes)) {
        g.notes.push(`frame ${frame} repeats part ${seg.seq} of frame ${prev.frame} (ignored)`);
        return;
      }
      closeGroup(g, `frame ${frame} starts another message with the same reference`);
      g = undefined;
    }
    if (!g) {
      g = { key: seg.key, total: seg.total, ref: seg.ref, refBits: seg.refBits, parts: new Map(), outerName, notes: [] };
      groups.set(seg.key, g);
    }
    g.parts.set(seg.seq, { bytes, frame, frames: fr, layer });
    if (g.parts.size === g.total) {
      groups.delete(g.key);
      const parts = [...g.parts.values()].sort((a, b) => a.frame - b.frame);
      const frames = parts.flatMap((p) => p.frames);
      units.push({
        frames, done, outer: parts.map((p) => p.layer), outerNames: [outerName], inputs: parts.map((p) => p.bytes), peelMode,
        notes: g.notes, what: `${what}, ${g.total} segments`,
      });
    }
  };

  // --- APDUs in order
  let pendingEnvelope: { frame: number; sw: number } | undefined;
  const tpduParts = new Map<string, { frames: number[]; hdr?: Uint8Array; cmd?: Uint8Array; rsp?: Uint8Array; udp: UdpDatagram }>();
  const onApdu = (a: Apdu, subType: string) => {
    const frame = a.frames[0];
    const name = INS_NAMES[a.ins] ?? `INS ${h2(a.ins)}`;
    const layer = gsmtapLayer(a, subType);
    const brief = (text: string, status?: Status, cat = CAT_INS.has(a.ins)) =>
      briefs.push({ frame, cat, name, text, status, json: { frame, layers: ['GSMTAP SIM', name], apdu: apduHex(a), response: a.response.length ? toHex(a.response) : null, sw: a.sw === undefined ? null : h4(a.sw), summary: text } });
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
        brief(`ENVELOPE (${tagName}${extra}), ${swText(a.sw)}`);
        pendingEnvelope = undefined;
        return;
      }
      if (a.sw === 0x9300) {
        brief(`ENVELOPE (SMS-PP download), ${swText(a.sw)}: not accepted by the card (the ME retries it)`, 'warn');
        return;
      }
      const cmd = Uint8Array.of(a.cla, a.ins, a.p1, a.p2, a.p3, ...a.command);
      smsInput(cmd, a.frames, layer, 'GSMTAP SIM', 'ENVELOPE (SMS-PP DOWNLOAD)', 'sms');
      if (a.response.length) {
        const rl: Layer = { name: 'ENVELOPE response', tree: node('ENVELOPE response data', `${a.response.length} octets, ${swText(a.sw)}`, undefined, { hex: toHex(a.response) }), json: { layer: 'ENVELOPE response', sw: a.sw === undefined ? null : h4(a.sw), length: a.response.length } };
        units.push({ frames: a.frames, done: Math.max(...a.frames), outer: [layer, rl], outerNames: ['GSMTAP SIM', 'ENVELOPE response'], inputs: [a.response], peelMode: 'sms', what: 'ENVELOPE response data' });
      }
      pendingEnvelope = sw1 === 0x61 || sw1 === 0x9f || sw1 === 0x9e ? { frame, sw: a.sw! } : undefined;
      return;
    }
    if (a.ins === 0xc0 && pendingEnvelope && a.response.length) {
      const env = pendingEnvelope;
      pendingEnvelope = undefined;
      const err = env.sw >> 8 === 0x9e ? ' (data download error data)' : '';
      const rl: Layer = { name: 'GET RESPONSE', tree: node('GET RESPONSE data', `${a.response.length} octets${err}, answering the ENVELOPE of frame ${env.frame} (SW ${h4(env.sw)})`, undefined, { hex: toHex(a.response) }), json: { layer: 'GET RESPONSE', envelopeFrame: env.frame, envelopeSw: h4(env.sw), sw: a.sw === undefined ? null : h4(a.sw), length: a.response.length } };
      units.push({ frames: a.frames, done: Math.max(...a.frames), outer: [layer, rl], outerNames: ['GSMTAP SIM', 'GET RESPONSE'], inputs: [a.response], peelMode: 'sms', what: 'GET RESPONSE after ENVELOPE' });
      return;
    }
    if (a.ins === 0xc0 && pendingEnvelope && sw1 === 0x6c) {
      brief(`GET RESPONSE, ${swText(a.sw)}`);
      return;
    }
    pendingEnvelope = undefined;
    if (a.ins === 0x12) {
      if (a.response[0] !== 0xd0) {
        brief(`FETCH, ${a.response.length ? `response data starts ${h2(a.response[0])}, not D0` : 'no proactive command'}, ${swText(a.sw)}`);
        return;
      }
      const cd = ctlv(berValue(a.response) ?? new Uint8Array(0), 0x01);
      if (cd && cd.length === 3 && cd[1] === 0x13) {
        // SEND SHORT MESSAGE: the D0 TLV (and its SW) as FETCH response data.
        smsInput(a.response, a.frames, layer, 'GSMTAP SIM', 'FETCH: SEND SHORT MESSAGE', 'sms');
        return;
      }
      brief(`FETCH: ${cd && cd.length === 3 ? `${proactiveName(cd[1])} (number ${cd[0]}, qualifier ${h2(cd[2])})` : 'proactive command without command details'}, ${swText(a.sw)}`);
      return;
    }
    if (a.ins === 0x14) {
      const cd = ctlv(a.command, 0x01);
      const res = ctlv(a.command, 0x03);
      const what = cd && cd.length === 3 ? proactiveName(cd[1]) : 'unknown command';
      const r = res?.length ? `result ${h2(res[0])} (${RESULTS[res[0]] ?? 'see TS 102 223 cl. 8.12'})` : 'no result';
      brief(`TERMINAL RESPONSE to ${what}: ${r}, ${swText(a.sw)}`, res?.length && res[0] >= 0x20 ? 'warn' : undefined);
      return;
    }
    brief(`${name}${a.command.length ? `, ${a.command.length} octets of data` : ''}${a.response.length ? `, ${a.response.length} octets returned` : ''}, ${swText(a.sw)}`);
  };

  // --- CAT_TP datagrams per UDP conversation
  interface Dgram { frame: number; udp: UdpDatagram }
  const conversations = new Map<string, Dgram[]>();

  for (const f of cap.frames) {
    const d = decodeFrame(f);
    if (d.kind === 'other') {
      ignore(d.why);
      continue;
    }
    if (d.kind === 'exported') {
      if (d.proto !== 'gsm_sms' || !d.pdu.length) {
        ignore(`exported PDU for ${d.proto || 'no dissector'}`);
        continue;
      }
      const dir = d.direction === 1 ? 'MS → SC' : d.direction === 0 ? 'SC → MS' : 'direction not given';
      const layer: Layer = { name: 'exported PDU', tree: node(`Frame ${f.number}`, `exported PDU for gsm_sms (${dir})`), json: { layer: 'exported PDU', frame: f.number, proto: d.proto, direction: d.direction ?? null } };
      smsInput(d.pdu, [f.number], layer, 'exported PDU', 'SMS TPDU (exported PDU)', 'auto');
      continue;
    }
    const u = d.udp;
    if (u.sport === GSMTAP_UDP_PORT || u.dport === GSMTAP_UDP_PORT) {
      const g = decodeGsmtap(u.payload);
      if ('error' in g) {
        ignore(`GSMTAP: ${g.error}`);
        continue;
      }
      if (g.type !== GSMTAP_TYPE_SIM) {
        ignore(`GSMTAP type ${g.type} (not SIM)`);
        continue;
      }
      if (u.truncated) notes.push(`frame ${f.number}: cut short by the capture's snap length`);
      const k = `${u.src}|${u.sport}|${u.dst}|${u.dport}`;
      switch (g.subType) {
        case GSMTAP_SIM.APDU: {
          const a = splitApdu(g.payload, f.number, u);
          if (typeof a === 'string') briefs.push({ frame: f.number, cat: true, name: 'APDU', text: `malformed GSMTAP SIM APDU frame: ${a}`, status: 'warn', json: { frame: f.number, layers: ['GSMTAP SIM'], error: a } });
          else onApdu(a, 'APDU');
          break;
        }
        case GSMTAP_SIM.ATR:
          briefs.push({ frame: f.number, cat: true, name: 'ATR', text: `ATR ${toHex(g.payload)}`, json: { frame: f.number, layers: ['GSMTAP SIM', 'ATR'], atr: toHex(g.payload) } });
          pendingEnvelope = undefined;
          break;
        case GSMTAP_SIM.TPDU_HDR:
          tpduParts.set(k, { frames: [f.number], hdr: g.payload, udp: u });
          break;
        case GSMTAP_SIM.TPDU_CMD:
        case GSMTAP_SIM.TPDU_RSP:
        case GSMTAP_SIM.TPDU_SW: {
          const t = tpduParts.get(k);
          if (!t?.hdr || t.hdr.length < 5) {
            ignore('GSMTAP SIM TPDU part without its header');
            break;
          }
          t.frames.push(f.number);
          if (g.subType === GSMTAP_SIM.TPDU_CMD) t.cmd = g.payload;
          else if (g.subType === GSMTAP_SIM.TPDU_RSP) t.rsp = g.payload;
          else {
            tpduParts.delete(k);
            const hd = t.hdr;
            const sw = g.payload.length >= 2 ? (g.payload[0] << 8) | g.payload[1] : undefined;
            onApdu({ frames: t.frames, cla: hd[0], ins: hd[1], p1: hd[2], p2: hd[3], p3: hd[4], command: t.cmd ?? new Uint8Array(0), response: t.rsp ?? new Uint8Array(0), sw, udp: t.udp }, 'TPDU');
          }
          break;
        }
        default:
          ignore(`GSMTAP SIM sub-type ${g.subType}`);
      }
      continue;
    }
    if (looksLikeCattpPdu(u.payload)) {
      const a = endpoint(u.src, u.sport);
      const b = endpoint(u.dst, u.dport);
      const key = a < b ? `${a} ↔ ${b}` : `${b} ↔ ${a}`;
      if (!conversations.has(key)) conversations.set(key, []);
      conversations.get(key)!.push({ frame: f.number, udp: u });
      continue;
    }
    ignore(`UDP ${u.sport} → ${u.dport}, not GSMTAP or CAT_TP`);
  }
  for (const g of [...groups.values()]) closeGroup(g, 'not in the capture');
  for (const t of tpduParts.values()) notes.push(`frame ${t.frames[0]}: TPDU header without its status word (capture ends)`);

  // --- CAT_TP sessions
  for (const [conv, dgrams] of conversations) cattpConversation(conv, dgrams, units, briefs, notes);

  // --- parse every unit in the order it completed, pairing PoRs with earlier commands
  units.sort((a, b) => a.done - b.done || a.frames[0] - b.frames[0]);
  const commands: { tar: Uint8Array; dialect: string; packet: Uint8Array; frame: number }[] = [];
  const items: Item[] = units.map((u) => parseUnit(u, o, commands));

  // --- output
  const failures = items.flatMap((i) => i.failures);
  const allNotes = [...notes, ...items.flatMap((i) => i.notes)];
  const errors = items.filter((i) => i.error);
  const count = (k: string) => items.filter((i) => i.kind === k).length;
  const summary = {
    commands: count('command'),
    responses: count('response'),
    verified: items.filter((i) => i.verified === true).length,
    failed: items.filter((i) => i.failures.length).length,
    errors: errors.length,
    apdus: briefs.filter((b) => b.json.layers && (b.json.layers as string[])[0] === 'GSMTAP SIM').length,
    otherFrames: ignored,
  };
  const nothing = !items.length;
  if (nothing) {
    allNotes.push(`nothing OTA-related in ${cap.frames.length} frame${cap.frames.length === 1 ? '' : 's'}: no ENVELOPE (SMS-PP DOWNLOAD), SEND SHORT MESSAGE, SMS TPDU or CAT_TP PDU`);
  }
  const verifiedAll = failures.length ? false : items.some((i) => i.verified === null || i.error) ? null : items.length ? true : null;
  const json = {
    format: formatTag('capture'), file, captureFormat: cap.format, frames: cap.frames.length,
    items: items.map((i) => i.json),
    apdus: briefs.filter((b) => (b.json.layers as string[])[0] === 'GSMTAP SIM').map((b) => b.json),
    sessions: briefs.filter((b) => (b.json.layers as string[])[0] === 'UDP').map((b) => b.json),
    summary,
    notes: allNotes,
    verified: verifiedAll,
  };
  // In frame order; consecutive APDUs outside the CAT flow are counted, not listed.
  type Entry = { frame: number; tree?: TreeNode; brief?: Brief };
  const all: Entry[] = [...items.map((i) => ({ frame: Math.min(...i.frames), tree: i.tree })), ...briefs.map((b) => ({ frame: b.frame, brief: b }))];
  all.sort((a, b) => a.frame - b.frame);
  const entries: TreeNode[] = [];
  let run: Brief[] = [];
  const flush = () => {
    if (!run.length) return;
    const byName = new Map<string, number>();
    for (const r of run) byName.set(r.name, (byName.get(r.name) ?? 0) + 1);
    const list = [...byName].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
    const a = run[0].frame;
    const z = run[run.length - 1].frame;
    entries.push(node(a === z ? `Frame ${a}` : `Frames ${a}–${z}`, run.length === 1 ? run[0].text : `${run.length} other APDUs (${list})`));
    run = [];
  };
  for (const e of all) {
    if (e.brief && !e.brief.cat) {
      run.push(e.brief);
      continue;
    }
    flush();
    entries.push(e.tree ?? node(`Frame ${e.brief!.frame}`, e.brief!.text, e.brief!.children, { status: e.brief!.status }));
  }
  flush();
  const sumText = `${cap.frames.length} frame${cap.frames.length === 1 ? '' : 's'} (${cap.format}): ${summary.commands} command packet${summary.commands === 1 ? '' : 's'}, ${summary.responses} response packet${summary.responses === 1 ? '' : 's'}, ${summary.verified} verified, ${summary.failed} failed, ${summary.errors} malformed; ${summary.apdus} other APDU${summary.apdus === 1 ? '' : 's'}; ${ignored} frame${ignored === 1 ? '' : 's'} not OTA-related`;
  const ignoredKids = [...ignoredWhy].map(([w, n]) => node(w, `${n} frame${n === 1 ? '' : 's'}`));
  const noteKids = allNotes.map((n) => node('Note', n));
  const refusals = items.filter((i) => i.refusal).map((i) => `${file} ${frameLabel(i.frames).toLowerCase()}: ${i.refusal}`);
  if (o.expectStatus !== undefined && !items.some((i) => i.kind === 'response')) {
    const none = statusOutcome(undefined, o, false);
    if (none.refusal) refusals.push(`${file}: ${none.refusal}`);
  }
  const worst = Math.max(0, ...errors.map((e) => e.error!.exitCode), failures.length || refusals.length ? 1 : 0);
  return {
    json,
    tree: [...entries, node('Summary', sumText, [...ignoredKids, ...noteKids])],
    nothing,
    failures,
    notes: allNotes,
    refusals,
    errors: errors.map((e) => ({ frames: e.frames, error: e.error!, message: `${file} ${frameLabel(e.frames).toLowerCase()}: ${e.error!.message}` })),
    exitCode: worst,
  };
}

// ------------------------------------------------------------------ CAT_TP

function cattpConversation(conv: string, dgrams: { frame: number; udp: UdpDatagram }[], units: Unit[], briefs: Brief[], notes: string[]): void {
  // Decode each first: a datagram that only looks like CAT_TP is left out.
  const ok: { frame: number; udp: UdpDatagram; d: DecodedPdu }[] = [];
  const bad: { frame: number; err: OtaError }[] = [];
  for (const g of dgrams) {
    try {
      ok.push({ ...g, d: decodePdu(g.udp.payload) });
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      bad.push({ frame: g.frame, err: e });
    }
  }
  if (!ok.some((p) => p.d.checksumOk)) {
    notes.push(`${dgrams.length} UDP datagram${dgrams.length === 1 ? '' : 's'} ${conv} (frame${dgrams.length === 1 ? '' : 's'} ${dgrams.map((g) => g.frame).join(', ')}) look like CAT_TP headers but none decodes with a good checksum: not taken as CAT_TP`);
    return;
  }
  for (const b of bad) {
    units.push({ frames: [b.frame], done: b.frame, outer: [], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP ${conv}`, error: b.err });
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
  for (const s of sessions) cattpSession(conv, s, units, briefs);
}

function cattpSession(conv: string, s: { frame: number; udp: UdpDatagram; d: DecodedPdu }[], units: Unit[], briefs: Brief[]): void {
  const frames = s.map((p) => p.frame);
  const first = frames[0];
  const last = frames[frames.length - 1];
  const rel = (msg: string) => msg.replace(/\binputs? (\d+)/g, (_m, n) => `frame ${frames[Number(n) - 1]}`);
  const failures = s.filter((p) => !p.d.checksumOk).map((p) => `frame ${p.frame}: CAT_TP checksum of ${p.d.pdu.type} seq ${p.d.pdu.seq}: 0x${h4(p.d.checksum)}, should be 0x${h4(p.d.computedChecksum)}`);
  const types = new Map<string, number>();
  for (const p of s) types.set(p.d.pdu.type, (types.get(p.d.pdu.type) ?? 0) + 1);
  const summary = [...types].map(([t, n]) => (n > 1 ? `${t} ×${n}` : t)).join(', ');
  briefs.push({
    frame: first, cat: true, name: 'CAT_TP',
    text: `CAT_TP ${conv}: ${s.length} PDU${s.length === 1 ? '' : 's'} (${summary})${first !== last ? `, frames ${first}–${last}` : ''}`,
    status: failures.length ? 'fail' : undefined,
    children: s.map((p) => node(`Frame ${p.frame}`, pduSummary(p.d), undefined, p.d.checksumOk ? {} : { status: 'fail' })),
    json: { frame: first, frames, layers: ['UDP', 'CAT_TP'], conversation: conv, pdus: s.map((p) => ({ frame: p.frame, summary: pduSummary(p.d), checksumOk: p.d.checksumOk })) },
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
    units.push({ frames, done: last, outer: [], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP session ${conv}`, error: new Cls(rel(e.detail), { ...e.where, layer: e.where.layer ? rel(e.where.layer) : undefined }) });
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
        units.push({ frames: fr, done: Math.max(...fr), outer: [udpLayer], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP data (${sdu.srcPort} → ${sdu.dstPort})`, error: new InputError(`data ${gap.text}: the SDU starting at sequence number ${sdu.firstSeq} lacks its start`, { layer: 'CAT_TP', field: 'sequence number' }) });
        return;
      }
      notes.push(`${gap.text}; the SDU at sequence number ${sdu.firstSeq} is nevertheless a whole packet by its BER length`);
    }
    units.push({
      frames: fr, done: Math.max(...fr), outer: [udpLayer, ...pduLayers], outerNames: ['UDP', 'CAT_TP'], peeled,
      failures: own, notes: notes.splice(0), what: `CAT_TP data (${sdu.srcPort} → ${sdu.dstPort}, seq ${sdu.firstSeq}${sdu.lastSeq !== sdu.firstSeq ? `–${sdu.lastSeq}` : ''})`,
    });
  });
  // Checksum failures of PDUs that carry no SDU still count.
  const inSdu = new Set(pe.sdus.flatMap((x) => x.inputs.map((i) => frames[i])));
  const rest = failures.filter((f) => ![...inSdu].some((x) => f.startsWith(`frame ${x}:`)));
  if (rest.length) units.push({ frames, done: last, outer: [], outerNames: ['UDP', 'CAT_TP'], what: `CAT_TP session ${conv}`, failures: rest });
}

// ------------------------------------------------------------------ one unit → one item

function parseUnit(u: Unit, o: ParseOpts, commands: { tar: Uint8Array; dialect: string; packet: Uint8Array; frame: number }[]): Item {
  const label = frameLabel(u.frames);
  const first = Math.min(...u.frames);
  const base = { frame: first, ...(u.frames.length > 1 ? { frames: [...new Set(u.frames)].sort((a, b) => a - b) } : {}) };
  const itemFailures = (u.failures ?? []).slice();
  const itemNotes = (u.notes ?? []).slice();
  const errorItem = (e: OtaError, extraTrees: TreeNode[] = []): Item => ({
    frames: u.frames,
    tree: node(label, u.what, [...u.outer.map((l) => l.tree), ...extraTrees, node('Error', e.message, undefined, { status: 'fail' })], { status: 'fail' }),
    json: { ...base, layers: u.outerNames, error: e.message, exitCode: e.exitCode, framing: u.outer.map((l) => l.json) },
    failures: itemFailures, notes: itemNotes, error: e,
  });
  if (u.error) return errorItem(u.error);
  if (!u.peeled && !u.inputs) {
    // Only failures (CAT_TP checksums of PDUs without data).
    return { frames: u.frames, tree: node(label, u.what, [node('Verification', 'FAILED', undefined, { status: 'fail', note: itemFailures.join('; ') })], { status: 'fail' }), json: { ...base, layers: u.outerNames, failures: itemFailures, verified: false }, failures: itemFailures, notes: itemNotes, verified: false };
  }
  let peeled: Peeled;
  try {
    peeled = u.peeled ?? peel(u.inputs!, u.peelMode ?? 'auto');
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    return errorItem(e);
  }
  const names = [...u.outerNames, ...(peeled.layerNames ?? peeled.layers.map((l) => l.name))];
  // Segments of a concatenated SMS: each frame shows its own ENVELOPE / TPDU under it.
  const segTree = (i: number): TreeNode[] => {
    if (!u.inputs || u.inputs.length < 2) return [];
    try {
      return smsPeel(u.inputs[i]).tree;
    } catch {
      return [];
    }
  };
  const outerTrees = [...u.outer.map((l, i) => ({ ...l.tree, children: [...(l.tree.children ?? []), ...segTree(i)] })), ...peeled.layers.map((l) => l.tree)];
  const framing = [...u.outer.map((l) => l.json), ...peeled.layers.map((l) => l.json)];
  if (!peeled.kind || (peeled.dialect === 'cat_tp' && !cattpPacketKind(peeled.packet))) {
    const why = 'no TS 102 225 command or response packet in it (no IE 70/71, CPI/RPI or valid packet header)';
    return {
      frames: u.frames,
      tree: node(label, `${u.what}: not an OTA secured packet`, [...outerTrees, node('Data', `${peeled.packet.length} octets`, undefined, { hex: toHex(peeled.packet), status: 'info', note: why })]),
      json: { ...base, layers: names, packet: null, data: toHex(peeled.packet), note: why, framing },
      failures: [], notes: [],
    };
  }
  const kind = peeled.kind;
  const dialect = peeled.dialect;
  let opts: ParseOpts = { ...o, cattp: dialect === 'cat_tp', request: o.request };
  let requestFrame: number | undefined;
  if (kind === 'response') {
    const tar = clearTar(peeled.packet, dialect, 'response');
    const cmd = tar && [...commands].reverse().find((c) => c.dialect === dialect && equalBytes(c.tar, tar));
    if (cmd) {
      opts = { ...opts, request: toHex(cmd.packet), spi: undefined, kic: undefined, kid: undefined };
      requestFrame = cmd.frame;
    }
  }
  let res: PacketResult;
  try {
    res = parsePacket(peeled, opts, kind);
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    return errorItem(e);
  }
  if (res.command) commands.push({ tar: res.command.tar, dialect, packet: peeled.packet, frame: first });
  const failures = [...itemFailures, ...peeled.failures, ...res.failures].map((f) => (f.startsWith('frame ') ? f : `${label.toLowerCase()}: ${f}`));
  const notes = [...itemNotes, ...res.notes];
  if (requestFrame !== undefined) notes.push(`PoR checked against the command packet of frame ${requestFrame} (same TAR)`);
  const json: Record<string, unknown> = { ...base, layers: [...names, `${res.kind} packet`], ...res.json, framing, verified: failures.length ? false : res.json.verified };
  if (requestFrame !== undefined) json.requestFrame = requestFrame;
  const tar = toHex((res.command ?? res.response)!.tar);
  const verified = json.verified as boolean | null | undefined;
  const head = `${u.what} → ${res.kind} packet, TAR ${tar}${res.response?.status !== undefined ? `, status ${h2(res.response.status)}` : ''}`;
  const status: Status | undefined = failures.length || res.inputError ? 'fail' : verified === true ? 'ok' : 'warn';
  const kids = [...outerTrees, res.tree];
  if (requestFrame !== undefined) kids.push(node('Request', `command packet of frame ${requestFrame}`, undefined, { status: 'info', note: 'its SPI, KIc, KID and TAR are used' }));
  const tree = node(label, head, kids, { status, note: failures.length ? 'FAILED' : verified === true ? 'verified' : 'not verified' });
  return { frames: u.frames, tree, json, failures, notes, error: res.inputError, kind: res.kind, verified: failures.length ? false : (verified ?? null), refusal: res.kind === 'response' ? res.refusal : undefined };
}
