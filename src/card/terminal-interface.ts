/**
 * The card simulator behind an ISO 7816 / ETSI TS 102 221 terminal interface:
 * the C-APDUs a terminal (a phone, or `send pcsc` through a PC/SC reader)
 * sends to a UICC for OTA over SMS-PP, answered as a T=0 card does.
 *
 *   SELECT (A4)            MF 3F00, DF 7F10/7F20/7FFF, ADF by AID (P1 04): 61xx
 *                          (9Fxx for class A0) with the FCP, or 90 00 with P2 0C
 *   STATUS (F2)            the FCP of the current DF (6Cxx when Le is wrong)
 *   TERMINAL PROFILE (10)  stored; 90 00
 *   ENVELOPE (C2) D1       SMS-PP DOWNLOAD (TS 31.111 cl. 7.1.1.2): the SMS-DELIVER's
 *                          user data is a command packet, or a segment of one (the card
 *                          reassembles, TS 31.115 cl. 4); the packet goes to the
 *                          simulator (simulator.ts). PoR via SMS-DELIVER-REPORT
 *                          (SPI2 b6 = 0): response data 61xx/9Fxx; via SMS-SUBMIT
 *                          (b6 = 1): 91xx, a SEND SHORT MESSAGE to FETCH
 *   GET RESPONSE (C0)      pending response data (61xx when Le is shorter, 6Cxx longer)
 *   FETCH (12)             the pending proactive command (TS 102 221 cl. 10.1)
 *   TERMINAL RESPONSE (14) ends the proactive command; 91xx when another is pending
 * Any command answered while a proactive command is pending ends in 91xx
 * instead of 90 00 (TS 102 221 cl. 7.4.2.2 / 14.7).
 *
 * The processing of the packet itself (and keeping the counters) is given as
 * a function, so the same terminal interface serves a CARD.json file, a test,
 * or a library user's own store.
 */
import { OtaError } from '../util/errors.js';
import { concat, toHex, hex2 } from '../util/hex.js';
import { envelope, TAG_SMS_PP_DOWNLOAD } from '../smspp/envelope.js';
import { udh, findConcat } from '../smspp/udh.js';
import { reassemble } from '../smspp/concat.js';
import { buildSmsSubmit, smsSubmit } from '../smspp/tpdu.js';
import { makeAddress, type SmsAddress } from '../smspp/address.js';
import { buildSendShortMessage } from '../smspp/proactive.js';
import type { ProcessResult } from './simulator.js';

/** TS 102 221 / ISO 7816-4 status words used here. */
export const SW = {
  OK: 0x9000,
  WRONG_LENGTH: 0x6700,
  TECHNICAL_PROBLEM: 0x6f00,
  CONDITIONS: 0x6985,
  WRONG_DATA: 0x6a80,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6b00,
  INS_UNKNOWN: 0x6d00,
  CLA_UNKNOWN: 0x6e00,
} as const;

/**
 * Default ATR: T=0 (TD1 80), then T=15 global bytes (TD2 1F) announcing class A/B/C
 * (TA3 C7), 15 historical octets, TCK. TS 102 221 cl. 6.3 cards answer T=0.
 */
export function defaultAtr(): Uint8Array {
  const body = Uint8Array.from([0x3b, 0x9f, 0x96, 0x80, 0x1f, 0xc7, 0x80, 0x31, 0xa0, 0x73, 0xbe, 0x21, 0x13, 0x67, 0x43, 0x20, 0x07, 0x18, 0x00, 0x00, 0x01]);
  let tck = 0;
  for (let i = 1; i < body.length; i++) tck ^= body[i];
  return concat(body, Uint8Array.of(tck));
}

/** What the card does with one complete command packet (CPL…end); returns what the simulator decided. */
export type PacketProcessor = (packet: Uint8Array) => Promise<ProcessResult>;

export interface VirtualCardOptions {
  process: PacketProcessor;
  atr?: Uint8Array;
  /** One line per event (for the `card vpcd` log). */
  log?: (line: string) => void;
  /** TP-DA of the SMS-SUBMIT carrying a PoR (default: the command's TP-OA). */
  porDestination?: string;
}

interface Pending {
  data: Uint8Array;
}

const USIM_AID_PREFIX = 'A0000000871002';
const KNOWN_FIDS = new Set(['3F00', '7FFF', '7F10', '7F20', '7F21']);

/** The virtual UICC: feed it C-APDUs, it answers R-APDUs. One instance per card (its state is the session). */
export class VirtualCard {
  readonly atr: Uint8Array;
  private response?: Pending;
  private proactive: Uint8Array[] = [];
  private proactiveOut?: Uint8Array;
  private segments = new Map<string, Uint8Array[]>();
  private currentDf = '3F00';
  /** TERMINAL PROFILE as last received. */
  terminalProfile?: Uint8Array;
  /** Results of the packets processed since the card was created. */
  readonly results: ProcessResult[] = [];

  constructor(private readonly opts: VirtualCardOptions) {
    this.atr = opts.atr ?? defaultAtr();
  }

  /** Power on / reset: forget pending data, proactive commands and half-received concatenated SMS. */
  reset(): void {
    this.response = undefined;
    this.proactive = [];
    this.proactiveOut = undefined;
    this.segments.clear();
    this.currentDf = '3F00';
  }

  private log(s: string): void {
    this.opts.log?.(s);
  }

  /** Status word after a successful command: 91xx while a proactive command waits (TS 102 221 cl. 14.7). */
  private normal(): number {
    const next = this.proactiveOut ? undefined : this.proactive[0];
    return next ? 0x9100 | (next.length & 0xff) : SW.OK;
  }

  /** Response data of a case-4 command under T=0: 61xx (UICC) / 9Fxx (SIM class A0), fetched by GET RESPONSE. */
  private withData(cla: number, data: Uint8Array): Uint8Array {
    if (!data.length) return sw(this.normal());
    this.response = { data };
    return sw(((cla === 0xa0 ? 0x9f : 0x61) << 8) | (data.length & 0xff));
  }

  /** Answer one C-APDU. Never throws for anything a terminal can send. */
  async transmit(capdu: Uint8Array): Promise<Uint8Array> {
    try {
      return await this.dispatch(capdu);
    } catch (e) {
      this.log(`internal error: ${(e as Error).message}: 6F00`);
      return sw(SW.TECHNICAL_PROBLEM);
    }
  }

  private async dispatch(c: Uint8Array): Promise<Uint8Array> {
    if (c.length < 4) return sw(SW.WRONG_LENGTH);
    const [cla, ins, p1, p2] = c;
    const p3 = c.length > 4 ? c[4] : 0;
    const body = c.subarray(5);
    if (cla !== 0xa0 && (cla & 0xf0) !== 0x00 && (cla & 0xf0) !== 0x80) return sw(SW.CLA_UNKNOWN);
    // A case-3 command whose data is not exactly Lc octets (a case-4 Le octet is tolerated).
    const data = body.length === p3 + 1 ? body.subarray(0, p3) : body;
    const lcOk = (n: number) => n === p3 && data.length === p3;
    if (ins !== 0xc0) this.response = undefined; // response data is only for the next command (ISO 7816-3)
    switch (ins) {
      case 0xa4: {
        if (!lcOk(data.length) || !data.length) return sw(SW.WRONG_LENGTH);
        const id = toHex(data);
        let ok = false;
        if (p1 === 0x04) ok = id.startsWith(USIM_AID_PREFIX) || id.startsWith('A000000087');
        else ok = KNOWN_FIDS.has(id) || (data.length === 4 && KNOWN_FIDS.has(id.slice(0, 4)));
        if (!ok) {
          this.log(`SELECT ${id}: file not found (6A82)`);
          return sw(SW.FILE_NOT_FOUND);
        }
        this.currentDf = p1 === 0x04 ? '7FFF' : id.slice(-4);
        if ((p2 & 0x0c) === 0x0c) return sw(this.normal());
        return this.withData(cla, this.fcp());
      }
      case 0xf2: {
        if (p2 === 0x0c) return sw(this.normal());
        const fcp = this.fcp();
        if (p3 !== fcp.length) return sw(0x6c00 | fcp.length);
        return concat(fcp, sw(this.normal()));
      }
      case 0x10: {
        if (!lcOk(data.length)) return sw(SW.WRONG_LENGTH);
        this.terminalProfile = Uint8Array.from(data);
        this.log(`TERMINAL PROFILE ${toHex(data)}`);
        return sw(this.normal());
      }
      case 0xc0: {
        const r = this.response;
        if (!r) return sw(SW.CONDITIONS);
        const le = p3 === 0 ? 256 : p3;
        if (le > r.data.length) return sw(0x6c00 | r.data.length);
        const out = r.data.subarray(0, le);
        const rest = r.data.subarray(le);
        this.response = rest.length ? { data: rest } : undefined;
        return concat(out, sw(rest.length ? 0x6100 | rest.length : this.normal()));
      }
      case 0x12: {
        const cmd = this.proactiveOut ?? this.proactive[0];
        if (!cmd) return sw(SW.CONDITIONS);
        if (p3 !== cmd.length) return sw(0x6c00 | cmd.length);
        if (!this.proactiveOut) this.proactiveOut = this.proactive.shift();
        this.log(`FETCH: ${toHex(cmd)}`);
        return concat(cmd, sw(SW.OK));
      }
      case 0x14: {
        if (!lcOk(data.length)) return sw(SW.WRONG_LENGTH);
        if (!this.proactiveOut) return sw(SW.CONDITIONS);
        this.proactiveOut = undefined;
        const res = findResult(data);
        this.log(`TERMINAL RESPONSE ${toHex(data)}${res === undefined ? '' : ` (general result ${hex2(res)})`}`);
        return sw(this.normal());
      }
      case 0xc2: {
        if (!lcOk(data.length)) return sw(SW.WRONG_LENGTH);
        return this.envelopeCommand(cla, data);
      }
      default:
        return sw(SW.INS_UNKNOWN);
    }
  }

  /** FCP template (TS 102 221 cl. 11.1.1.3) of the current DF: descriptor DF, FID, life cycle "operational". */
  private fcp(): Uint8Array {
    const fid = this.currentDf;
    return Uint8Array.from([0x62, 0x0e, 0x82, 0x02, 0x78, 0x21, 0x83, 0x02, parseInt(fid.slice(0, 2), 16), parseInt(fid.slice(2), 16), 0x8a, 0x01, 0x05, 0xc6, 0x01, 0x00]);
  }

  private async envelopeCommand(cla: number, data: Uint8Array): Promise<Uint8Array> {
    if (data[0] !== TAG_SMS_PP_DOWNLOAD) {
      this.log(`ENVELOPE with BER tag ${hex2(data[0] ?? 0)}: not SMS-PP DOWNLOAD, answered 90 00`);
      return sw(this.normal());
    }
    let ud: Uint8Array;
    let oa: SmsAddress | undefined;
    try {
      const e = envelope.decode(data);
      const t = e.sms;
      if (!t || t.type !== 'SMS-DELIVER' || !t.ud || !t.udhi) throw new Error(`the SMS TPDU is ${t?.type ?? 'not decodable'}${t && !t.udhi ? ' without a user data header' : ''}`);
      ud = t.ud;
      oa = t.oa;
    } catch (e) {
      this.log(`ENVELOPE: ${(e as Error).message}: 6F00 (no secured packet to process)`);
      return sw(SW.TECHNICAL_PROBLEM);
    }
    // Concatenated SMS: keep the segments until all parts are there (TS 31.115 cl. 4, TS 23.040 9.2.3.24.1).
    let segs: Uint8Array[] = [ud];
    try {
      const h = udh.decode(ud, 0);
      const ci = findConcat(h.ies);
      if (ci) {
        const key = `${ci.refBits}:${ci.ref}:${ci.total}`;
        const have = this.segments.get(key) ?? [];
        have.push(Uint8Array.from(ud));
        if (have.length < ci.total) {
          this.segments.set(key, have);
          this.log(`ENVELOPE: segment ${ci.seq} of ${ci.total} (reference ${ci.ref}) kept`);
          return sw(this.normal());
        }
        this.segments.delete(key);
        segs = have;
      }
    } catch (e) {
      this.log(`ENVELOPE: user data header: ${(e as Error).message}: 6F00`);
      return sw(SW.TECHNICAL_PROBLEM);
    }
    let packet: Uint8Array;
    try {
      packet = reassemble(segs).packet;
    } catch (e) {
      this.log(`ENVELOPE: reassembly: ${(e as Error).message}: 6F00`);
      return sw(SW.TECHNICAL_PROBLEM);
    }
    let r: ProcessResult;
    try {
      r = await this.opts.process(packet);
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      this.log(`command packet not processed: ${e.message}: 6F00`);
      return sw(SW.TECHNICAL_PROBLEM);
    }
    this.results.push(r);
    this.log(`command packet TAR ${toHex(r.tar)}: status ${hex2(r.status)} (${r.statusName})`);
    let reply: Uint8Array | undefined;
    for (const p of r.pors) {
      if (p.via === 'deliver-report') reply = p.messages[0];
      else if (p.via === 'submit') {
        // The PoR goes back to the sender of the command (the Gemalto trace of TS 31.115 OTA does so).
        const da = this.opts.porDestination !== undefined ? makeAddress(this.opts.porDestination, {}, 'PoR destination') : oa ?? makeAddress('12345678');
        // Command numbers 1, 2, … for the SMS of one PoR (TS 102 223 cl. 6.5.1: any value 01–FE).
        p.messages.forEach((m, k) => {
          const tpdu = smsSubmit.encode(buildSmsSubmit({ ud: m, da }));
          this.proactive.push(buildSendShortMessage(tpdu, { number: (k % 0xfe) + 1 }));
        });
      }
    }
    if (reply) return this.withData(cla, reply);
    return sw(this.normal());
  }
}

function sw(v: number): Uint8Array {
  return Uint8Array.of((v >> 8) & 0xff, v & 0xff);
}

/** The general result of a TERMINAL RESPONSE (result object 03/83, TS 102 223 cl. 8.12). */
function findResult(d: Uint8Array): number | undefined {
  let i = 0;
  while (i + 1 < d.length) {
    const tag = d[i] & 0x7f;
    let len = d[i + 1];
    let v = i + 2;
    if (len === 0x81) {
      len = d[i + 2];
      v = i + 3;
    }
    if (tag === 0x03 && len >= 1) return d[v];
    i = v + len;
  }
  return undefined;
}
