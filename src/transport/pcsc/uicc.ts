/**
 * A card in a PC/SC reader behind the SMSC emulator (`smsc --pcsc`): the
 * `CardSide` of src/transport/smpp/ over `send pcsc`'s machinery (binding.ts
 * for the reader, terminal.ts for the terminal side of SMS-PP data download).
 *
 * Like a phone, it connects once, sends TERMINAL PROFILE (and SELECT ADF when
 * asked) at power-up, then runs one SMS-PP download per SMS-DELIVER the SMSC
 * hands it (3GPP TS 31.111 cl. 7.1.1): ENVELOPE; 61xx/9Fxx/9Exx → GET
 * RESPONSE, whose data is the user data of the SMS-DELIVER-REPORT (the PoR,
 * SPI2 b6 = 0); 91xx → FETCH, and each SEND SHORT MESSAGE's SMS-SUBMIT TPDU
 * is passed on (the PoR by SMS-SUBMIT, SPI2 b6 = 1), answered by TERMINAL
 * RESPONSE "performed successfully". A concatenated SMS is one ENVELOPE per
 * segment; the card reassembles.
 *
 * A failed exchange (an error status word, no answer within the timeout, the
 * card removed) is reported in the answer's trace and the connection is
 * dropped: the next SMS connects again (with TERMINAL PROFILE), so one
 * misbehaving exchange never stops the SMSC.
 */
import { OtaError } from '../../util/errors.js';
import { hex4, toHex } from '../../util/hex.js';
import type { CardAnswer, CardSide } from '../smpp/card-side.js';
import { openContext, pickReader, type CardSession, type PcscContext } from './binding.js';
import { DEFAULT_TERMINAL_PROFILE, Terminal, swMeaning, type ApduExchange, type SmsPpExchange, type TerminalOptions } from './terminal.js';
import { DEFAULT_TIMEOUT_MS, type SendPcscResult } from './send.js';

export interface PcscUiccOptions extends Omit<TerminalOptions, 'onApdu'> {
  /** Reader index (0-based), exact name or a unique part of it; default the first reader with a card. */
  reader?: string;
  /** Bound on connecting and on each APDU (default 5000 ms). */
  timeoutMs?: number;
  /** Every APDU exchanged, with its step. */
  onApdu?: (x: ApduExchange) => void;
}

export interface PcscCardInfo {
  reader: string;
  atr?: Uint8Array;
  protocol: string;
}


export class PcscUicc implements CardSide {
  private ctx?: PcscContext;
  private session?: CardSession;
  /** The reader and card of the current connection. */
  info?: PcscCardInfo;

  constructor(private readonly o: PcscUiccOptions = {}) {}

  /**
   * Connect to the card and run the power-up exchange (TERMINAL PROFILE,
   * SELECT ADF). Rejects with a NetworkError naming the step (no service, no
   * reader, no card, an error status word).
   */
  async open(): Promise<PcscCardInfo & { steps: ApduExchange[] }> {
    const ex = await this.powerUp();
    return { ...this.info!, steps: ex.steps };
  }

  /** open(), with the whole power-up exchange (its steps, warnings, proactive commands). */
  private async powerUp(): Promise<SmsPpExchange> {
    this.drop();
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const ctx = await openContext();
    try {
      const r = pickReader(ctx.readers, this.o.reader);
      const session = await ctx.connect(r, timeoutMs);
      const t = this.terminal(session, this.o);
      const ex: SmsPpExchange = { steps: t.steps, envelopes: [], submitUds: [], proactive: [], warnings: [] };
      if (this.o.terminalProfile !== null) await t.terminalProfile(this.o.terminalProfile ?? DEFAULT_TERMINAL_PROFILE, ex);
      if (this.o.selectAdf) await t.selectAdf(this.o.selectAdf);
      this.ctx = ctx;
      this.session = session;
      this.info = { reader: session.reader, atr: session.atr, protocol: session.protocol };
      return ex;
    } catch (e) {
      ctx.close();
      throw e;
    }
  }

  /**
   * One SMS-PP download of a command's ENVELOPEs (one per segment), as send
   * pcsc runs it, on the connection: connected first (TERMINAL PROFILE,
   * SELECT ADF, whose steps lead this exchange's) when there is none, as a
   * phone does once at power-up, not per message. A failed exchange drops the
   * connection (the next download connects again) and rejects with the
   * step's NetworkError.
   */
  async download(envelopes: readonly Uint8Array[]): Promise<SendPcscResult> {
    const first = this.session ? undefined : await this.powerUp();
    const t = this.terminal(this.session!, { ...this.o, terminalProfile: null, selectAdf: undefined });
    let ex: SmsPpExchange;
    try {
      ex = await t.smsPpDownload(envelopes);
    } catch (e) {
      this.drop();
      throw e;
    }
    if (first) {
      ex.steps = [...first.steps, ...ex.steps];
      ex.warnings = [...first.warnings, ...ex.warnings];
      ex.proactive = [...first.proactive, ...ex.proactive];
      ex.submitUds = [...first.submitUds, ...ex.submitUds];
    }
    return { ...ex, ...this.info! };
  }

  private terminal(session: CardSession, o: TerminalOptions): Terminal {
    return new Terminal(session.transmit, { ...o, onApdu: this.o.onApdu });
  }

  async deliver(envelope: Uint8Array): Promise<CardAnswer> {
    const trace: string[] = [];
    const fail = (sw: number, e: unknown): CardAnswer => {
      if (!(e instanceof OtaError)) throw e;
      trace.push(`${e.message}; the next SMS connects to the card again`);
      this.drop();
      return { response: new Uint8Array(0), sw, submits: [], trace };
    };
    if (!this.session) {
      try {
        const o = await this.open();
        trace.push(`connected to the card in "${o.reader}" (${o.protocol}${o.atr ? `, ATR ${toHex(o.atr)}` : ''})`);
        for (const s of o.steps) trace.push(`${s.step}: ${toHex(s.command)} → SW ${hex4(s.sw)}`);
      } catch (e) {
        return fail(0, e);
      }
    }
    // TERMINAL PROFILE and SELECT ADF were sent at power-up: the download is the ENVELOPE and what it brings.
    const t = this.terminal(this.session!, { ...this.o, terminalProfile: null, selectAdf: undefined });
    let ex: SmsPpExchange;
    try {
      ex = await t.smsPpDownload([envelope]);
    } catch (e) {
      for (const s of t.steps) trace.push(`${s.step}: ${toHex(s.command)} → ${toHex(s.response)}`);
      return fail(t.steps.at(-1)?.sw ?? 0, e);
    }
    for (const s of t.steps) trace.push(`${s.step}: ${toHex(s.command)} → ${toHex(s.response)}`);
    const env = ex.envelopes[0];
    trace.push(...ex.warnings.map((w) => `warning: ${w}`));
    for (const p of ex.proactive) if (!p.tpdu) trace.push(`proactive ${p.name} (command ${p.number}) answered with general result ${p.result.toString(16).toUpperCase().padStart(2, '0')}`);
    const submits = ex.proactive.filter((p) => p.tpdu).map((p) => p.tpdu!);
    const response = ex.deliverReportUd ?? new Uint8Array(0);
    trace.push(
      `ENVELOPE SW ${hex4(env.sw)} (${swMeaning(env.sw)})` +
        (response.length ? `; ENVELOPE response (SMS-DELIVER-REPORT user data) ${toHex(response)}` : '; no ENVELOPE response data') +
        (submits.length ? `; ${submits.length} SEND SHORT MESSAGE` : ''),
    );
    // The answer's SW: that of the ENVELOPE, or 90 00 once its response data was read with GET RESPONSE.
    const sw = [0x61, 0x9f, 0x9e].includes(env.sw >> 8) ? env.finalSw : env.sw;
    return { response, sw, submits, trace };
  }

  private drop(): void {
    const s = this.session;
    this.session = undefined;
    this.info = undefined;
    if (s) void s.close().catch(() => undefined);
    this.ctx?.close();
    this.ctx = undefined;
  }

  async close(): Promise<void> {
    this.drop();
  }
}
