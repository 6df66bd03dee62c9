/**
 * Vector kinds for the SMS-PP framing (issue 3): `sms` frames a command packet
 * as user data, SMS-DELIVER TPDUs or ENVELOPEs (one output per segment of a
 * concatenated SMS); `por` frames a response packet as user data, SMS-SUBMIT,
 * SMS-DELIVER-REPORT or SEND SHORT MESSAGE. Build goes through the same glue
 * as `build sms|por --format` (frameCommand / framePor); parse is what
 * `uicc-ota parse --json` prints for all the outputs given together, plus
 * `segments` (each output decoded on its own).
 *
 * The layouts walk the octets leniently (no checks), so a corrupted field is
 * still named: "TP-UDL", "UDH concatenation IE", "ENVELOPE Lc", "TP-SCTS"...
 */
import { fromHex, toHex, hex2 } from '../util/hex.js';
import { parseCommandHeader } from '../secured/command.js';
import { peelSmsPp, type SmsLayerKind } from '../smspp/build.js';
import type { Direction } from '../smspp/tpdu.js';
import { frameCommand, type SmsFrameOpts } from '../api/frame.js';
import { framePor, type PorFrameOpts } from '../api/frame-por.js';
import { peel } from '../layers/peel.js';
import { commandKind, dialectOf, registerKind, responseKind, type CaseContext, type FieldSpan, type Inputs, type Layout, type VectorKind } from './kinds.js';
import { hexOf, str } from './inputs.js';


// ------------------------------------------------------------ packet side

/** The secured packet: `inputs.packet`, or built by the command/response kind from the secured-packet inputs. */
export function packetOf(kind: VectorKind, i: Inputs, ctx: CaseContext): Uint8Array {
  return str(i, 'packet') !== undefined ? hexOf(i, 'packet') : kind.build(i, ctx)[0];
}

/** A command packet given as `packet`: its KIc/KID octets name the keys, as they do for `parse`. */
export function commandInputsFor(i: Inputs, packet: Uint8Array, ctx: CaseContext): Inputs {
  if (str(i, 'packet') === undefined) return i;
  const c = parseCommandHeader(dialectOf(ctx), packet);
  return { ...i, kic: hex2(c.kic), kid: hex2(c.kid) };
}

/** Clear-text spans of a partial packet (only its start is in this output): header fields, then one span for the rest. */
function partialPacketSpans(b: Uint8Array, base: number, kind: 'command' | 'response', porCiphered: boolean, cattp: boolean): FieldSpan[] {
  const s: FieldSpan[] = [];
  let o = base;
  const take = (name: string, n: number) => {
    if (o < b.length && n > 0) s.push({ name, start: o, end: Math.min(b.length, o + n) });
    o += n;
  };
  // SMS-PP: 2-octet CPL/RPL; CAT_TP: CPI/RPI and a BER length (TS 102 225 CAT_TP dialect)
  const len = (name: string) => {
    if (!cattp) return take(name, 2);
    take(kind === 'command' ? 'CPI' : 'RPI', 1);
    const first = b[o] ?? 0;
    take(name, first < 0x80 ? 1 : 1 + (first & 0x7f));
  };
  if (kind === 'command') {
    len('CPL');
    const chl = b[o] ?? 13;
    take('CHL', 1);
    const ciphered = ((b[o] ?? 0) & 0x04) !== 0;
    take('SPI', 2);
    take('KIc', 1);
    take('KID', 1);
    take('TAR', 3);
    if (ciphered) take('ciphered CNTR…padding', b.length);
    else {
      take('CNTR', 5);
      take('PCNTR', 1);
      take('RC/CC/DS', chl - 13);
      take('secured data', b.length);
    }
  } else {
    len('RPL');
    const rhl = b[o] ?? 10;
    take('RHL', 1);
    take('TAR', 3);
    if (porCiphered) take('ciphered CNTR…padding', b.length);
    else {
      take('CNTR', 5);
      take('PCNTR', 1);
      take('status', 1);
      take('RC/CC/DS', rhl - 10);
      take('additional response data', b.length);
    }
  }
  return s;
}

/** Spans of the packet (or packet part) at b[base…]: the whole packet gets the full layout (deciphered fields too). */
export function packetLayout(
  b: Uint8Array, base: number, whole: boolean, kind: 'command' | 'response', i: Inputs, ctx: CaseContext, partOffset: number,
): Layout {
  const body = b.subarray(base);
  const porCiphered = kind === 'response' && i.unsecured !== true && str(i, 'spi') !== undefined && (fromHex(String(i.spi))[1] & 0x10) !== 0;
  if (whole) {
    let inner: Layout | undefined;
    try {
      inner = kind === 'command' ? commandKind.layout!(body, 0, commandInputsFor(i, body, ctx), ctx) : responseKind.layout!(body, 0, i, ctx);
    } catch {
      inner = undefined;
    }
    if (inner) {
      const spans = inner.spans.map((s) => ({ ...s, start: s.start + base, end: s.end + base }));
      const c = inner.ciphered;
      return c ? { spans, ciphered: { start: c.start + base, decipher: (x) => c.decipher(x.subarray(base)), spans: c.spans } } : { spans };
    }
  }
  if (partOffset === 0) return { spans: partialPacketSpans(b, base, kind, porCiphered, ctx.dialect === 'cat_tp') };
  return { spans: [{ name: `${kind} packet octets ${partOffset}–${partOffset + body.length - 1} (continued)`, start: base, end: b.length }] };
}

// ------------------------------------------------------------ lenient framing walkers

class Walk {
  spans: FieldSpan[] = [];
  constructor(readonly b: Uint8Array, public o = 0) {}
  take(name: string, n: number): number {
    const start = this.o;
    if (start < this.b.length && n > 0) this.spans.push({ name, start, end: Math.min(this.b.length, start + n) });
    this.o += Math.max(0, n);
    return start;
  }
  get at(): number {
    return this.b[this.o] ?? 0;
  }
}

const IE_NAMES: Record<number, string> = {
  0x00: 'UDH concatenation IE',
  0x08: 'UDH concatenation IE',
  0x70: 'UDH command packet IE (70)',
  0x71: 'UDH response packet IE (71)',
};

/** UDHL, the IEs, then the packet (part). Returns where the packet starts and its part number from the concatenation IE. */
function walkUd(w: Walk, end: number): { base: number; part: number; total: number } {
  const udhl = w.at;
  w.take('UDHL', 1);
  const hEnd = w.o + udhl;
  let part = 1;
  let total = 1;
  while (w.o < hEnd && w.o < end) {
    const iei = w.at;
    const len = w.b[w.o + 1] ?? 0;
    if (iei === 0x00 && len === 3) [total, part] = [w.b[w.o + 3], w.b[w.o + 4]];
    if (iei === 0x08 && len === 4) [total, part] = [w.b[w.o + 4], w.b[w.o + 5]];
    w.take(IE_NAMES[iei] ?? `UDH IE ${hex2(iei)}`, 2 + len);
  }
  return { base: w.o, part, total };
}

function walkAddress(w: Walk, tp: string): void {
  const digits = w.at;
  w.take(`${tp} length`, 1);
  w.take(`${tp} type of address`, 1);
  w.take(`${tp} digits`, (digits + 1) >> 1);
}

/** SMS-DELIVER (TS 23.040 clause 9.2.2.1). */
function walkDeliver(w: Walk): void {
  w.take('SMS-DELIVER first octet (TP-MTI, TP-MMS, TP-UDHI…)', 1);
  walkAddress(w, 'TP-OA');
  w.take('TP-PID', 1);
  w.take('TP-DCS', 1);
  w.take('TP-SCTS', 7);
  w.take('TP-UDL', 1);
}

/** SMS-SUBMIT (TS 23.040 clause 9.2.2.2). */
function walkSubmit(w: Walk): void {
  const vpf = (w.at >> 3) & 3;
  w.take('SMS-SUBMIT first octet (TP-MTI, TP-VPF, TP-UDHI…)', 1);
  w.take('TP-MR', 1);
  walkAddress(w, 'TP-DA');
  w.take('TP-PID', 1);
  w.take('TP-DCS', 1);
  w.take('TP-VP', vpf === 0 ? 0 : vpf === 2 ? 1 : 7);
  w.take('TP-UDL', 1);
}

/** SMS-DELIVER-REPORT (TS 23.040 clause 9.2.2.1a). */
function walkDeliverReport(w: Walk): void {
  w.take('SMS-DELIVER-REPORT first octet', 1);
  if (w.at >= 0x80) w.take('TP-FCS', 1);
  const pi = w.at;
  w.take('TP-PI', 1);
  if (pi & 1) w.take('TP-PID', 1);
  if (pi & 2) w.take('TP-DCS', 1);
  if (pi & 4) w.take('TP-UDL', 1);
}

function tlvLength(w: Walk, name: string): number {
  if (w.at === 0x81) {
    const n = w.b[w.o + 1] ?? 0;
    w.take(name, 2);
    return n;
  }
  const n = w.at;
  w.take(name, 1);
  return n;
}

const CTLV_NAMES: Record<number, string> = { 1: 'command details', 2: 'device identities', 5: 'alpha identifier', 6: 'address', 0x0b: 'SMS TPDU' };

/** COMPREHENSION-TLVs up to the SMS TPDU object (whose value is left for the caller). */
function walkCtlvs(w: Walk, owner: string): boolean {
  while (w.o < w.b.length) {
    const tag = w.at & 0x7f;
    const name = CTLV_NAMES[tag] ?? `object ${hex2(w.at)}`;
    w.take(`${name} tag`, 1);
    const n = tlvLength(w, `${name} length`);
    if (tag === 0x0b) return true;
    w.take(`${owner} ${name}`, n);
  }
  return false;
}

export type SmsFormat = 'ud' | 'tpdu' | 'envelope';
export type PorFormat = 'ud' | 'submit' | 'deliver-report' | 'proactive';

/** Where the user data starts in one output, with the spans of the layers above it. */
function frameSpans(b: Uint8Array, format: SmsFormat | PorFormat): { w: Walk; ok: boolean } {
  const w = new Walk(b);
  if (format === 'ud') return { w, ok: true };
  if (format === 'envelope') {
    w.take('ENVELOPE CLA', 1);
    w.take('ENVELOPE INS', 1);
    w.take('ENVELOPE P1', 1);
    w.take('ENVELOPE P2', 1);
    w.take('ENVELOPE Lc', 1);
    w.take('SMS-PP download tag (D1)', 1);
    tlvLength(w, 'SMS-PP download length');
    if (!walkCtlvs(w, 'ENVELOPE')) return { w, ok: false };
    walkDeliver(w);
    return { w, ok: true };
  }
  if (format === 'proactive') {
    w.take('proactive command tag (D0)', 1);
    tlvLength(w, 'proactive command length');
    if (!walkCtlvs(w, 'SEND SHORT MESSAGE')) return { w, ok: false };
    walkSubmit(w);
    return { w, ok: true };
  }
  if (format === 'tpdu') walkDeliver(w);
  else if (format === 'submit') walkSubmit(w);
  else walkDeliverReport(w);
  return { w, ok: true };
}

/** UD octets per SM (TS 31.115 clause 4, TS 23.040 clause 9.2.3.24.1): first segment after its 8/9-octet UDH, the others after 6/7. */
function partOffset(part: number, ref16: boolean): number {
  const first = 140 - (ref16 ? 9 : 8);
  const other = 140 - (ref16 ? 7 : 6);
  return part <= 1 ? 0 : first + (part - 2) * other;
}

function framedLayout(b: Uint8Array, format: SmsFormat | PorFormat, kind: 'command' | 'response', i: Inputs, ctx: CaseContext): Layout {
  const { w, ok } = frameSpans(b, format);
  if (!ok || w.o >= b.length) return { spans: w.spans };
  const { base, part, total } = walkUd(w, b.length);
  const p = packetLayout(b, base, total === 1, kind, i, ctx, partOffset(part, i.concat16 === true));
  return { spans: [...w.spans, ...p.spans], ciphered: p.ciphered };
}

// ------------------------------------------------------------ parse (as `uicc-ota parse --json`)

/** `parse --json` of the outputs given together, then each output decoded alone (`segments`). */
function parseFramed(outputs: Uint8Array[], i: Inputs, ctx: CaseContext, kind: 'command' | 'response', segKind: SmsLayerKind, direction: Direction): Record<string, unknown> {
  const p = peel(outputs, 'auto');
  let json: Record<string, unknown>;
  if (kind === 'command') json = commandKind.parse([p.packet], commandInputsFor(i, p.packet, ctx), ctx);
  else json = responseKind.parse([p.packet], i, ctx);
  const failures = [...p.failures, ...((json.failures as string[] | undefined) ?? [])];
  const segments = outputs.map((b) => peelSmsPp(b, { kind: segKind, direction }).json);
  return {
    layers: [...(p.layerNames ?? p.layers.map((l) => l.name)), `${p.kind ?? kind} packet`],
    ...json,
    framing: p.layers.map((l) => l.json),
    verified: failures.length ? false : json.verified,
    segments,
  };
}

function impliedFor(kind: VectorKind, i: Inputs): Record<string, unknown> {
  const pk = str(i, 'packet');
  return pk !== undefined ? { hex: toHex(fromHex(pk, 'inputs.packet')) } : (kind.implied?.(i) ?? {});
}

// ------------------------------------------------------------ kinds

const smsFormat = (i: Inputs): SmsFormat => str(i, 'format') as SmsFormat;
const porFormat = (i: Inputs): PorFormat => str(i, 'format') as PorFormat;
const numStr = (v: unknown): string | undefined => (typeof v === 'number' ? String(v) : undefined);

export const smsKind: VectorKind = {
  name: 'sms',
  description: 'command packet framed for SMS-PP (TS 31.115 / TS 23.040 / TS 31.111): user data, SMS-DELIVER or ENVELOPE, one output per SMS',
  build(i, ctx) {
    const o: SmsFrameOpts = {
      format: smsFormat(i),
      oa: str(i, 'oa'),
      oaTon: numStr(i.ton),
      oaNpi: numStr(i.npi),
      pid: str(i, 'pid'),
      dcs: str(i, 'dcs'),
      scts: str(i, 'scts'),
      smsc: str(i, 'smsc'),
      concatRef: numStr(i.concatRef) ?? '0',
      concat16: i.concat16 === true,
    };
    return frameCommand(packetOf(commandKind, i, ctx), o);
  },
  parse(outputs, i, ctx) {
    const f = smsFormat(i);
    return parseFramed(outputs, i, ctx, 'command', f === 'ud' ? 'ud' : f, 'sc-to-ms');
  },
  implied: (i) => impliedFor(commandKind, i),
  layout: (b, _n, i, ctx) => framedLayout(b, smsFormat(i), 'command', i, ctx),
};

export const porKind: VectorKind = {
  name: 'por',
  description: 'response packet / PoR framed for SMS-PP: user data 02 71 00 …, SMS-SUBMIT, SMS-DELIVER-REPORT (RP-ACK) or SEND SHORT MESSAGE',
  build(i, ctx) {
    const o: PorFrameOpts = { format: porFormat(i), da: str(i, 'da'), concatRef: numStr(i.concatRef) };
    return framePor(packetOf(responseKind, i, ctx), 'sms-pp', o);
  },
  parse(outputs, i, ctx) {
    const f = porFormat(i);
    return parseFramed(outputs, i, ctx, 'response', f === 'ud' ? 'ud' : f === 'proactive' ? 'proactive' : 'tpdu', 'ms-to-sc');
  },
  implied: (i) => impliedFor(responseKind, i),
  layout: (b, _n, i, ctx) => framedLayout(b, porFormat(i), 'response', i, ctx),
};

registerKind(smsKind);
registerKind(porKind);
