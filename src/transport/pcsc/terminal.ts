/**
 * The terminal (ME) side of OTA over SMS-PP towards a card, over any
 * "transmit one C-APDU, get the R-APDU" function (a PC/SC reader, the card
 * simulator in memory, a test double): the exchange a phone runs when an
 * SMS-PP data download arrives (3GPP TS 31.111 cl. 7.1.1, TS 102 221 cl. 7.4
 * and 10, TS 102 223 cl. 6).
 *
 *   [TERMINAL PROFILE]  80 10 00 00 Lc (TS 102 221 cl. 11.2.1)
 *   [SELECT ADF]        00 A4 04 04 Lc AID (partial AID of the USIM by default)
 *   ENVELOPE i/n        80 C2 00 00 Lc D1… per SMS segment, in order
 *     90 00             done (T=1 cards may return data with it)
 *     61 xx / 9F xx     GET RESPONSE 00/A0 C0 00 00 xx: the data is the PoR user data
 *                       (PoR via SMS-DELIVER-REPORT, SPI2 b6 = 0)
 *     91 xx             FETCH 80 12 00 00 xx: a proactive command; SEND SHORT
 *                       MESSAGE carries the PoR as SMS-SUBMIT (SPI2 b6 = 1);
 *                       TERMINAL RESPONSE 80 14 00 00 … answers it, and may end
 *                       in 91 xx again
 *     62 xx / 63 xx     warnings: data (if any) taken as with 90 00, noted
 *     93 00, 6F xx, …   errors: the exchange stops with "STEP: SW xxxx (meaning)"
 * Every failure is a NetworkError (exit 4) naming the step.
 */
import { swMeaning as swTableMeaning } from '../../remote/sw.js';
import { NetworkError, OtaError } from '../../util/errors.js';
import { concat, hex2, hex4, toHex } from '../../util/hex.js';
import { proactiveCommand, terminalResponseApdu, TYPE_SEND_SHORT_MESSAGE, COMMAND_TYPE_NAMES } from '../../smspp/proactive.js';

/** Send one C-APDU, resolve to the R-APDU (data ‖ SW1 SW2). */
export type Transmit = (capdu: Uint8Array) => Promise<Uint8Array>;

/**
 * Default TERMINAL PROFILE (TS 102 223 cl. 5.2): byte 1 b1 profile download,
 * b2 SMS-PP data download; byte 2 b1 command result; byte 4 b2 proactive
 * SEND SHORT MESSAGE.
 */
export const DEFAULT_TERMINAL_PROFILE = Uint8Array.from([0x03, 0x01, 0x00, 0x02]);
/** Partial AID of a USIM application (TS 101 220 Annex E: RID A000000087, application 1002). */
export const USIM_AID = Uint8Array.from([0xa0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x02]);

export interface TerminalOptions {
  /**
   * Class of the card family: 0x00 (UICC, TS 102 221: GET RESPONSE 00 C0, SELECT 00 A4,
   * ENVELOPE/FETCH/TERMINAL RESPONSE/TERMINAL PROFILE 80) or 0xA0 (2G SIM, TS 51.011/51.014: A0 for all).
   */
  cla?: 0x00 | 0xa0;
  /** TERMINAL PROFILE to send first; null: none (default DEFAULT_TERMINAL_PROFILE). */
  terminalProfile?: Uint8Array | null;
  /** SELECT this ADF (by DF name, P1 04) before the ENVELOPEs. */
  selectAdf?: Uint8Array;
  /** General result for proactive commands other than SEND SHORT MESSAGE (TS 102 223 cl. 8.12; default 00). */
  proactiveResult?: number;
  /** Every APDU exchanged, with the step it belongs to. */
  onApdu?: (x: ApduExchange) => void;
  /** Most proactive commands fetched in one run before giving up (default 32). */
  maxProactive?: number;
}

export interface ApduExchange {
  step: string;
  command: Uint8Array;
  response: Uint8Array;
  sw: number;
}

export interface ProactiveSeen {
  number: number;
  type: number;
  name: string;
  qualifier: number;
  data: Uint8Array;
  /** General result sent in the TERMINAL RESPONSE. */
  result: number;
  /** SEND SHORT MESSAGE: the SMS-SUBMIT TPDU and its user data. */
  tpdu?: Uint8Array;
  ud?: Uint8Array;
}

export interface EnvelopeOutcome {
  /** SW of the ENVELOPE itself. */
  sw: number;
  /** Response data (T=1 data with 90 00, or what GET RESPONSE returned). */
  data: Uint8Array;
  /** SW that ended the data retrieval (90 00, or 91 xx / 62 xx …). */
  finalSw: number;
}

export interface SmsPpExchange {
  steps: ApduExchange[];
  envelopes: EnvelopeOutcome[];
  /** PoR user data returned in an ENVELOPE response (for the SMS-DELIVER-REPORT), if any. */
  deliverReportUd?: Uint8Array;
  /** PoR user data sent by SEND SHORT MESSAGE (SMS-SUBMIT), in order (segments of a concatenated PoR). */
  submitUds: Uint8Array[];
  proactive: ProactiveSeen[];
  /** Status-word warnings (62 xx / 63 xx) met on the way. */
  warnings: string[];
}

/** Meaning of a status word, for error lines (the one table, src/remote/sw.ts). */
export function swMeaning(sw: number): string {
  return swTableMeaning(sw) ?? 'unexpected status';
}

const swText = (sw: number) => `SW ${hex4(sw)} (${swMeaning(sw)})`;

/**
 * One terminal session over `transmit`. Failures are NetworkErrors naming the
 * step (`ENVELOPE 2/3: SW 6F00 (technical problem, …)`).
 */
export class Terminal {
  readonly steps: ApduExchange[] = [];
  private readonly cla: 0x00 | 0xa0;
  private readonly proCla: number;

  constructor(private readonly transmit: Transmit, private readonly opts: TerminalOptions = {}) {
    this.cla = opts.cla ?? 0x00;
    this.proCla = this.cla === 0xa0 ? 0xa0 : 0x80;
  }

  /** Send one APDU; the R-APDU split in data and SW. */
  async send(step: string, command: Uint8Array): Promise<{ data: Uint8Array; sw: number }> {
    let r: Uint8Array;
    try {
      r = await this.transmit(command);
    } catch (e) {
      // The step is the context a user needs ("ENVELOPE 2/3: …"); the layer name would only repeat it.
      throw new NetworkError(`${step}: ${e instanceof OtaError ? e.detail : (e as Error).message}`);
    }
    if (r.length < 2) throw new NetworkError(`${step}: the card answered ${r.length} octets, no status word`);
    const sw = (r[r.length - 2] << 8) | r[r.length - 1];
    const x = { step, command, response: r, sw };
    this.steps.push(x);
    this.opts.onApdu?.(x);
    return { data: r.subarray(0, r.length - 2), sw };
  }

  private fail(step: string, sw: number, why = ''): never {
    throw new NetworkError(`${step}: ${swText(sw)}${why}`);
  }

  /**
   * Collect response data after `sw` (61xx/9Fxx → GET RESPONSE, 6Cxx → repeat
   * with the exact Le). Returns the data and the last SW.
   */
  private async collect(step: string, first: { data: Uint8Array; sw: number }, resend?: (le: number) => Uint8Array): Promise<{ data: Uint8Array; sw: number }> {
    let data = first.data;
    let sw = first.sw;
    for (let guard = 0; guard < 64; guard++) {
      const s1 = sw >> 8;
      if (s1 === 0x6c && resend) {
        const again = await this.send(step, resend(sw & 0xff));
        data = concat(data, again.data);
        sw = again.sw;
        resend = undefined;
        continue;
      }
      if (s1 === 0x61 || s1 === 0x9f) {
        const le = sw & 0xff;
        const get = (n: number) => Uint8Array.of(this.cla, 0xc0, 0x00, 0x00, n);
        let r = await this.send(`${step} GET RESPONSE`, get(le));
        if (r.sw >> 8 === 0x6c) r = await this.send(`${step} GET RESPONSE`, get(r.sw & 0xff));
        data = concat(data, r.data);
        sw = r.sw;
        if (!(sw === 0x9000 || sw >> 8 === 0x91 || sw >> 8 === 0x61 || sw >> 8 === 0x9f || sw >> 8 === 0x62 || sw >> 8 === 0x63)) this.fail(`${step} GET RESPONSE`, sw);
        continue;
      }
      return { data, sw };
    }
    throw new NetworkError(`${step}: the card keeps announcing more response data (64 GET RESPONSE)`);
  }

  /** TERMINAL PROFILE (TS 102 221 cl. 11.2.1); proactive commands it triggers are fetched and answered. */
  async terminalProfile(profile: Uint8Array, ex: SmsPpExchange): Promise<void> {
    const step = 'TERMINAL PROFILE';
    const r = await this.send(step, concat(Uint8Array.of(this.proCla, 0x10, 0x00, 0x00, profile.length), profile));
    if (r.sw >> 8 === 0x91) return this.proactiveLoop(r.sw, ex);
    if (r.sw !== 0x9000) this.fail(step, r.sw);
  }

  /** SELECT by DF name (AID) with the FCP asked for (P2 04), as a terminal selects the USIM. */
  async selectAdf(aid: Uint8Array): Promise<void> {
    const step = `SELECT ADF ${toHex(aid)}`;
    const cmd = concat(Uint8Array.of(this.cla === 0xa0 ? 0x00 : this.cla, 0xa4, 0x04, 0x04, aid.length), aid);
    const r = await this.collect(step, await this.send(step, cmd));
    if (r.sw !== 0x9000 && r.sw >> 8 !== 0x91) this.fail(step, r.sw);
  }

  /** FETCH / TERMINAL RESPONSE until the card has no proactive command left. */
  async proactiveLoop(sw: number, ex: SmsPpExchange): Promise<void> {
    const max = this.opts.maxProactive ?? 32;
    let n = 0;
    while (sw >> 8 === 0x91) {
      if (++n > max) throw new NetworkError(`FETCH: more than ${max} proactive commands in a row`);
      const step = `FETCH ${n}`;
      const le = sw & 0xff;
      const fetch = (l: number) => Uint8Array.of(this.proCla, 0x12, 0x00, 0x00, l);
      const r = await this.collect(step, await this.send(step, fetch(le)), fetch);
      if (r.sw !== 0x9000 && r.sw >> 8 !== 0x91) this.fail(step, r.sw);
      let p: ReturnType<typeof proactiveCommand.decode> | undefined;
      let cd: { number: number; type: number; qualifier: number };
      let undecoded = false;
      try {
        p = proactiveCommand.decode(r.data);
        cd = p.commandDetails;
      } catch (e) {
        // A command we cannot read is still answered, "command data not understood by terminal"
        // (TS 102 223 cl. 8.12, result 32), when its command details can be found.
        const at = r.data.findIndex((b, k) => (b & 0x7f) === 0x01 && r.data[k + 1] === 0x03);
        if (r.data[0] !== 0xd0 || at < 0) throw new NetworkError(`${step}: the proactive command does not decode: ${(e as Error).message}`);
        cd = { number: r.data[at + 2], type: r.data[at + 3], qualifier: r.data[at + 4] };
        undecoded = true;
        ex.warnings.push(`${step}: proactive command ${toHex(r.data)} does not decode (${(e as Error).message}); answered 32`);
      }
      const isSms = !undecoded && cd.type === TYPE_SEND_SHORT_MESSAGE;
      const result = undecoded ? 0x32 : isSms ? 0x00 : this.opts.proactiveResult ?? 0x00;
      const seen: ProactiveSeen = {
        number: cd.number, type: cd.type, qualifier: cd.qualifier,
        name: COMMAND_TYPE_NAMES[cd.type] ?? `type ${hex2(cd.type)}`, data: r.data, result,
      };
      if (isSms && p?.tpdu) {
        seen.tpdu = p.tpdu;
        seen.ud = p.sms && 'ud' in p.sms ? p.sms.ud : undefined;
        if (seen.ud) ex.submitUds.push(seen.ud);
      }
      ex.proactive.push(seen);
      const trStep = `TERMINAL RESPONSE ${n} (${seen.name})`;
      const tr = await this.send(trStep, terminalResponseApdu(cd, result, this.proCla));
      if (tr.sw !== 0x9000 && tr.sw >> 8 !== 0x91) this.fail(trStep, tr.sw);
      sw = tr.sw;
    }
  }

  /** The ENVELOPEs of one (possibly concatenated) SMS-PP download, then whatever the card asks. */
  async smsPpDownload(envelopes: readonly Uint8Array[]): Promise<SmsPpExchange> {
    const ex: SmsPpExchange = { steps: this.steps, envelopes: [], submitUds: [], proactive: [], warnings: [] };
    if (this.opts.terminalProfile !== null) await this.terminalProfile(this.opts.terminalProfile ?? DEFAULT_TERMINAL_PROFILE, ex);
    if (this.opts.selectAdf) await this.selectAdf(this.opts.selectAdf);
    const total = envelopes.length;
    for (let i = 0; i < total; i++) {
      const step = `ENVELOPE ${i + 1}/${total}`;
      let env = envelopes[i];
      // The family's class: ENVELOPE is 80 on a UICC, A0 on a SIM (TS 51.014).
      if (env.length >= 5 && env[1] === 0xc2 && env[0] !== this.proCla) env = concat(Uint8Array.of(this.proCla), env.subarray(1));
      const first = await this.send(step, env);
      const s1 = first.sw >> 8;
      if (first.sw === 0x9300) this.fail(step, first.sw, ': the card is busy with another toolkit command; try again');
      if (!(first.sw === 0x9000 || s1 === 0x61 || s1 === 0x9f || s1 === 0x91 || s1 === 0x62 || s1 === 0x63 || s1 === 0x9e)) this.fail(step, first.sw);
      if (s1 === 0x62 || s1 === 0x63) ex.warnings.push(`${step}: ${swText(first.sw)}`);
      // 9E xx (SIM data download error) carries response data like 9F xx.
      const got = s1 === 0x9e ? await this.collect(step, { data: first.data, sw: 0x9f00 | (first.sw & 0xff) }) : await this.collect(step, first);
      ex.envelopes.push({ sw: first.sw, data: got.data, finalSw: got.sw });
      if (got.data.length) ex.deliverReportUd = got.data;
      if (got.sw >> 8 === 0x62 || got.sw >> 8 === 0x63) {
        if (got.sw !== first.sw) ex.warnings.push(`${step}: ${swText(got.sw)}`);
      }
      if (got.sw >> 8 === 0x91) await this.proactiveLoop(got.sw, ex);
      if (i < total - 1 && got.data.length) ex.warnings.push(`${step}: the card answered ${got.data.length} octets before the last segment`);
    }
    return ex;
  }
}
