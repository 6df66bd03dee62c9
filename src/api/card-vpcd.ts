/**
 * `card vpcd` as a library call: the card simulator (CARD.json) as a virtual
 * card in a vsmartcard vpcd reader, so that any PC/SC client can talk to it
 * through pcscd. Reconnects whenever the reader driver closes the
 * connection, until stopped. Logic: src/card/terminal-interface.ts (ISO 7816
 * commands, ETSI TS 102 221 / 3GPP TS 31.111), src/transport/vpcd.ts (the
 * socket protocol).
 */
import { EventEmitter } from 'node:events';
import { loadJsonFile } from '../util/json-text.js';
import { fromHex, toHex } from '../util/hex.js';
import { intOption } from '../util/options.js';
import { validateCard } from '../card/card.js';
import type { ProcessResult } from '../card/simulator.js';

export interface CardVpcdOptions {
  /** The card (CARD.json path); its RE counters are updated in place (unless `state`). */
  card: string;
  /** Keep the RE counters in this file instead (as `card process --state`); CARD.json is then only read for them. */
  state?: string;
  /** Host of the vpcd reader driver (default 127.0.0.1). */
  host?: string;
  /** TCP port of the vpcd reader (default 35963, "Virtual PCD 00 00"). */
  port?: string | number;
  /** ATR to answer (hex; default a T=0 UICC ATR). */
  atr?: string;
  /** Do not store the counters. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/**
 * A running virtual card. Events: `log` (one line: connected, disconnected,
 * control codes, packets processed), `apdu` (C-APDU, R-APDU), `packet`
 * (ProcessResult of each command packet the card processed). `done` resolves
 * once stopped (stop() or the signal).
 */
export class CardVpcdSession extends EventEmitter {
  readonly done: Promise<void>;
  private readonly ac = new AbortController();

  constructor(private readonly o: CardVpcdOptions & { port: number; atrBytes?: Uint8Array }) {
    super();
    o.signal?.addEventListener('abort', () => this.ac.abort(), { once: true });
    // Started on the next tick, so that listeners attached right after the call see every event.
    this.done = Promise.resolve().then(() => this.run());
  }

  stop(): void {
    this.ac.abort();
  }

  private async run(): Promise<void> {
    const { VirtualCard } = await import('../card/terminal-interface.js');
    const { processWithCardFile } = await import('../card/store.js');
    const { runVpcdCard } = await import('../transport/vpcd.js');
    const { smsDialect } = await import('../smspp/dialect.js');
    const o = this.o;
    const log = (s: string) => this.emit('log', s);
    const process = async (pkt: Uint8Array): Promise<ProcessResult> => {
      const r = await processWithCardFile(o.card, pkt, smsDialect, { dryRun: o.dryRun, state: o.state });
      this.emit('packet', r);
      return r;
    };
    const card = new VirtualCard({ process, atr: o.atrBytes, log });
    const host = o.host ?? '127.0.0.1';
    log(`ATR ${toHex(card.atr)}; connecting to the vpcd reader at ${host}:${o.port} (Ctrl-C ends)`);
    await runVpcdCard({ card, host, port: o.port, signal: this.ac.signal, log, onApdu: (c, r) => this.emit('apdu', c, r) });
    log('stopped');
  }
}

/** Start `card vpcd`: the card file and options are checked at once (typed errors), then it runs (see CardVpcdSession). */
export function cardVpcd(o: CardVpcdOptions): CardVpcdSession {
  // The card file is checked once before connecting (exit 2/3), then read again for every packet.
  validateCard(loadJsonFile(o.card, 'card file'), o.card);
  const port = intOption(o.port ?? 35963, '--port', 1, 65535);
  const atrBytes = o.atr === undefined ? undefined : fromHex(o.atr, '--atr');
  return new CardVpcdSession({ ...o, port, atrBytes });
}
