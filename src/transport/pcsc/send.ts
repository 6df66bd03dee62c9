/**
 * Library entry points of the PC/SC transport: list readers, and run the
 * SMS-PP download exchange of a set of ENVELOPEs with the card in a reader
 * (terminal.ts does the exchange; binding.ts talks to the PC/SC service).
 */
import { openContext, pickReader, type ReaderInfo } from './binding.js';
import { Terminal, type SmsPpExchange, type TerminalOptions, type Transmit } from './terminal.js';

export type { ReaderInfo } from './binding.js';
export { Terminal, DEFAULT_TERMINAL_PROFILE, USIM_AID, swMeaning } from './terminal.js';
export type { ApduExchange, ProactiveSeen, SmsPpExchange, TerminalOptions, Transmit } from './terminal.js';

export const DEFAULT_TIMEOUT_MS = 5000;

export interface SendPcscOptions extends TerminalOptions {
  /** ENVELOPE (SMS-PP DOWNLOAD) C-APDUs, one per SMS segment, in order. */
  envelopes: readonly Uint8Array[];
  /** Reader index (0-based), exact name or a unique part of it; default the first reader with a card. */
  reader?: string;
  /** Bound on connecting and on each APDU (default 5000 ms). */
  timeoutMs?: number;
}

export interface SendPcscResult extends SmsPpExchange {
  reader: string;
  atr?: Uint8Array;
  protocol: string;
}

/** The readers the PC/SC service knows, with card presence and ATR. */
export async function listPcscReaders(): Promise<ReaderInfo[]> {
  const ctx = await openContext();
  try {
    return ctx.readers;
  } finally {
    ctx.close();
  }
}

/**
 * Run the exchange over a transmit function (the card simulator's
 * VirtualCard.transmit, or anything else): TERMINAL PROFILE, [SELECT ADF],
 * the ENVELOPEs, GET RESPONSE / FETCH / TERMINAL RESPONSE as the card asks.
 */
export function exchangeSmsPp(transmit: Transmit, envelopes: readonly Uint8Array[], opts: TerminalOptions = {}): Promise<SmsPpExchange> {
  return new Terminal(transmit, opts).smsPpDownload(envelopes);
}

/**
 * Send the ENVELOPEs to the card in a PC/SC reader. Rejects with a
 * NetworkError naming the step (no service, no reader, no card, card removed,
 * unexpected SW, no answer within timeoutMs); `onApdu` has seen every APDU
 * exchanged before the failure.
 */
export async function sendPcsc(o: SendPcscOptions): Promise<SendPcscResult> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ctx = await openContext();
  try {
    const info = pickReader(ctx.readers, o.reader);
    const card = await ctx.connect(info, timeoutMs);
    try {
      const ex = await exchangeSmsPp(card.transmit, o.envelopes, o);
      return { ...ex, reader: card.reader, atr: card.atr, protocol: card.protocol };
    } finally {
      await card.close();
    }
  } finally {
    ctx.close();
  }
}
