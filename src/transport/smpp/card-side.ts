/**
 * The card behind the SMSC emulator. The SMSC hands each SMS-DELIVER to the
 * card as an ENVELOPE (SMS-PP DOWNLOAD, TS 31.111 cl. 7.1.1.2), one per
 * segment as a phone does, and gets back what the phone would send on:
 * the ENVELOPE response data (the user data of the SMS-DELIVER-REPORT in the
 * RP-ACK) and the SMS-SUBMITs of proactive SEND SHORT MESSAGE commands.
 *
 * `CardSide` is what a card in a PC/SC reader implements too (ENVELOPE, GET
 * RESPONSE on 61xx, FETCH + TERMINAL RESPONSE on 91xx); `SimulatedUicc` is
 * the card simulator of src/card/ behind the same interface.
 */
import { OtaError } from '../../util/errors.js';
import { toHex, hex2 } from '../../util/hex.js';
import { envelope as envelopeCodec } from '../../smspp/envelope.js';
import { buildSmsSubmit, decodeTpdu, smsSubmit, type DecodedSmsDeliver } from '../../smspp/tpdu.js';
import { findConcat, findSecurityIe, udh } from '../../smspp/udh.js';
import { reassemble } from '../../smspp/concat.js';
import type { ProcessResult } from '../../card/simulator.js';

export interface CardAnswer {
  /** ENVELOPE response data: the TP-UD of the SMS-DELIVER-REPORT (empty: none). */
  response: Uint8Array;
  /** Status word that ended the ENVELOPE exchange. */
  sw: number;
  /** SMS-SUBMIT TPDUs the card sent by proactive SEND SHORT MESSAGE, in order. */
  submits: Uint8Array[];
  /** What the card did, for the log. */
  trace: string[];
}

export interface CardSide {
  /** One ENVELOPE (SMS-PP DOWNLOAD) C-APDU in, the card's answer out. */
  deliver(envelope: Uint8Array): Promise<CardAnswer>;
  close?(): Promise<void>;
}

/** Runs the card simulator on a reassembled command packet (counters stored by the caller). */
export type ProcessFn = (packet: Uint8Array) => Promise<ProcessResult>;

interface Pending {
  uds: Uint8Array[];
  seen: Set<number>;
  total: number;
  at: number;
}

/** How long the simulated card keeps the first segments of an incomplete concatenated SMS. */
const SEGMENT_TTL_MS = 10 * 60_000;

export class SimulatedUicc implements CardSide {
  private pending = new Map<string, Pending>();

  constructor(private readonly process: ProcessFn) {}

  async deliver(apdu: Uint8Array): Promise<CardAnswer> {
    const trace: string[] = [];
    const none = (sw: number): CardAnswer => ({ response: new Uint8Array(0), sw, submits: [], trace });
    let sms: DecodedSmsDeliver;
    try {
      const env = envelopeCodec.decode(apdu, 0, { decodeTpdu: false });
      const d = decodeTpdu(env.tpdu, 'sc-to-ms');
      if (d.type !== 'SMS-DELIVER') throw new Error(`the ENVELOPE carries an ${d.type}`);
      sms = d as DecodedSmsDeliver;
    } catch (e) {
      trace.push(`ENVELOPE refused: ${(e as Error).message}`);
      return none(0x6f00);
    }
    const ud = sms.ud ?? new Uint8Array(0);
    let ies;
    try {
      ies = sms.udhi ? udh.decode(ud, 0).ies : [];
    } catch (e) {
      trace.push(`user data header unreadable: ${(e as Error).message}`);
      return none(0x6f00);
    }
    const cat = findConcat(ies);
    let uds = [ud];
    if (cat) {
      // TS 31.115 cl. 4: the card reassembles the segments of a concatenated command.
      this.expire();
      const key = `${sms.oa.ton}/${sms.oa.digits}/${cat.refBits}/${cat.ref}/${cat.total}`;
      const p = this.pending.get(key) ?? { uds: [], seen: new Set<number>(), total: cat.total, at: Date.now() };
      if (!p.seen.has(cat.seq)) {
        p.seen.add(cat.seq);
        p.uds.push(ud);
      }
      this.pending.set(key, p);
      if (p.seen.size < p.total) {
        trace.push(`segment ${cat.seq} of ${cat.total} (reference ${cat.ref}) stored; ${p.total - p.seen.size} to come`);
        return none(0x9000);
      }
      this.pending.delete(key);
      uds = p.uds;
      trace.push(`segment ${cat.seq} of ${cat.total} completes the command (reference ${cat.ref})`);
    } else if (findSecurityIe(ies) !== 0x70) {
      trace.push('no command packet (the UDH has no IE 70): nothing to do');
      return none(0x9000);
    }
    let r: ProcessResult;
    try {
      r = await this.process(reassemble(uds).packet);
    } catch (e) {
      if (!(e instanceof OtaError)) throw e;
      trace.push(`card: ${e.message}`);
      return none(0x6f00);
    }
    trace.push(...r.trace.map((t) => `card: ${t}`));
    let response = new Uint8Array(0);
    const submits: Uint8Array[] = [];
    for (const p of r.pors) {
      if (p.via === 'deliver-report') response = Uint8Array.from(p.messages[0]);
      else if (p.via === 'submit') {
        // The PoR goes back to the address the command came from (as in the real traces, TS 31.115 cl. 5).
        for (const m of p.messages) submits.push(smsSubmit.encode(buildSmsSubmit({ ud: m, da: { digits: sms.oa.digits, ton: sms.oa.ton, npi: sms.oa.npi } })));
      }
    }
    const sw = submits.length ? 0x9100 | Math.min(0xff, submits[0].length + 20) : 0x9000;
    trace.push(`status ${hex2(r.status)} (${r.statusName}); ENVELOPE response ${response.length ? toHex(response) : '(none)'} SW ${sw.toString(16).toUpperCase()}` +
      (submits.length ? `; ${submits.length} SEND SHORT MESSAGE` : ''));
    return { response, sw, submits, trace };
  }

  private expire(): void {
    const now = Date.now();
    for (const [k, p] of this.pending) if (now - p.at > SEGMENT_TTL_MS) this.pending.delete(k);
  }
}
