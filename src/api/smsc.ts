/**
 * `smsc` as a library call: an SMSC emulator (SMPP 3.4 server) in front of a
 * card (the simulator on a CARD.json, or a card in a PC/SC reader). Each
 * submit_sm goes to the card as an ENVELOPE (SMS-PP DOWNLOAD, TS 31.111
 * cl. 7.1.1); its PoR / SMS-SUBMIT comes back as deliver_sm. Shaped like
 * node's net.Server: `start()`, `address()`, events, `close()`. The engine is
 * src/transport/smpp/smsc.ts; nothing here writes to stdout/stderr.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { InputError, IoError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { intOption } from '../util/options.js';
import { node, type TreeNode } from '../render/tree.js';
import type { CardSide } from '../transport/smpp/card-side.js';
import type { PduLog } from '../transport/smpp/session.js';
import type { SmscMessage, SmscServer } from '../transport/smpp/smsc.js';
import { password, systemId } from './smpp-options.js';
import { preparePcsc } from './pcsc-options.js';

export type { SmscMessage };

/** `smsc` options: the commands' long option names in camelCase. */
export interface SmscOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** TCP port (0: a free port; see `address()`). */
  port: string | number;
  /** The system_id ESMEs must bind with (at most 15 characters). */
  systemId: string;
  /** Their password (at most 8 characters), @file, or env UICC_OTA_SMPP_PASSWORD. */
  password?: string;
  /** The card simulator (path of a CARD.json). */
  card?: string;
  /** A card in a PC/SC reader (true: the first reader with a card; or a reader index / name part). */
  pcsc?: string | boolean;
  reader?: string;
  timeout?: string | number;
  terminalProfile?: string;
  selectAdf?: string | boolean;
  cla?: string;
  proactiveResult?: string;
  /** With `card`: the card's counters in this file. */
  state?: string;
  /** With `card`: do not store the card's counters. */
  dryRun?: boolean;
  /** Stops the server (as close()). */
  signal?: AbortSignal;
}

/** A PDU sent or received (event `pdu`). */
export interface SmscPdu extends PduLog {
  session: number;
}

/**
 * The SMSC. Events: `log` (TreeNode: every event as the command logs it on
 * stderr: connections, PDUs, card exchanges, refusals), `pdu` (SmscPdu),
 * `message` (SmscMessage, each submit_sm once the card has answered).
 * `start()` checks the options (InputError, exit 2), connects the card
 * (PC/SC: TERMINAL PROFILE) and listens; `done` resolves once closed.
 */
export class Smsc extends EventEmitter {
  /** What answers: "card simulator CARD.json" or the PC/SC reader and ATR. */
  card?: string;
  /** PC/SC: the steps of connecting (TERMINAL PROFILE, SELECT), as "step: C-APDU → R-APDU". */
  steps: string[] = [];
  readonly done: Promise<void>;
  private server?: SmscServer;
  private cardSide?: CardSide;
  private addr?: { address: string; port: number };
  private resolveDone!: () => void;
  private closing?: Promise<void>;

  constructor(private readonly options: SmscOptions) {
    super();
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Check the options, connect the card, listen; resolves to the bound address. */
  async start(): Promise<{ address: string; port: number }> {
    const o = this.options;
    const port = intOption(o.port, '--port', 0, 65535);
    const sid = systemId(o.systemId);
    const pw = password(o.password);
    if (o.card && o.pcsc) throw new InputError('give --card or --pcsc, not both', { field: '--pcsc' });
    if (!o.card && !o.pcsc) throw new InputError('missing: give --card CARD.json (the card simulator) or --pcsc [READER]', { field: '--card' });
    if (o.card) {
      for (const [k, v] of [['--reader', o.reader], ['--timeout', o.timeout], ['--terminal-profile', o.terminalProfile], ['--select-adf', o.selectAdf], ['--cla', o.cla], ['--proactive-result', o.proactiveResult]] as const) {
        if (v !== undefined) throw new InputError('only with --pcsc (a card in a PC/SC reader)', { field: k });
      }
    } else {
      for (const [k, v] of [['--state', o.state], ['--dry-run', o.dryRun]] as const) if (v !== undefined) throw new InputError('only with --card (the card simulator)', { field: k });
    }
    const { SmscServer, loadSmpp } = await import('../transport/smpp/index.js');
    loadSmpp();
    const { card, what, steps } = o.card ? await simulatedCard(o.card, o) : await pcscCard(o);
    this.cardSide = card;
    this.card = what;
    this.steps = steps ?? [];
    if (this.steps.length) this.emit('log', node('card', `connected: ${what}`, this.steps.map((s) => node(s))));
    const server = new SmscServer({
      host: o.host, port, systemId: sid, password: pw, card,
      log: (t: TreeNode) => this.emit('log', t),
      onPdu: (session, l) => this.emit('pdu', { session, ...l } satisfies SmscPdu),
      onMessage: (m) => this.emit('message', m),
    });
    try {
      this.addr = await server.listen();
    } catch (e) {
      await card.close?.();
      throw e;
    }
    this.server = server;
    o.signal?.addEventListener('abort', () => void this.close(), { once: true });
    return this.addr;
  }

  /** The bound address (after start()). */
  address(): { address: string; port: number } | undefined {
    return this.addr;
  }

  /** Stop listening, drop the sessions, release the card; resolves as `done`. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.server?.close();
      await this.cardSide?.close?.();
      this.resolveDone();
    })();
    return this.closing;
  }
}

/** Start `smsc`: a listening Smsc (see Smsc). */
export async function smscServe(options: SmscOptions): Promise<Smsc> {
  const s = new Smsc(options);
  await s.start();
  return s;
}

/** --card: the card simulator on CARD.json. */
async function simulatedCard(file: string, o: SmscOptions): Promise<{ card: CardSide; what: string; steps?: string[] }> {
  const { SimulatedUicc } = await import('../transport/smpp/index.js');
  const { processWithState } = await import('../card/process.js');
  const { smsDialect } = await import('../smspp/dialect.js');
  const { parseCardText } = await import('../card/card.js');
  // The card file must be readable and valid before we listen (exit 2/3 at once).
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new IoError(`cannot read card file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: file });
  }
  parseCardText(text, file);
  const cardOpts = { card: file, state: o.state, dryRun: o.dryRun };
  return { card: new SimulatedUicc((packet) => processWithState(cardOpts, packet, smsDialect)), what: `card simulator ${file}` };
}

/** --pcsc [READER]: a card in a PC/SC reader, through send pcsc's terminal; connected (TERMINAL PROFILE) before we listen. */
async function pcscCard(o: SmscOptions): Promise<{ card: CardSide; what: string; steps?: string[] }> {
  const named = typeof o.pcsc === 'string' ? o.pcsc : undefined;
  if (named !== undefined && o.reader !== undefined && named !== o.reader) throw new InputError(`names another reader than --pcsc "${named}"`, { field: '--reader' });
  const p = await preparePcsc({ cla: o.cla ?? '00', timeout: o.timeout, terminalProfile: o.terminalProfile, selectAdf: o.selectAdf, proactiveResult: o.proactiveResult });
  // A missing binding: exit 3 with what to install, before anything else.
  const { loadBinding } = await import('../transport/pcsc/binding.js');
  loadBinding();
  const { PcscUicc } = await import('../transport/pcsc/uicc.js');
  const card = new PcscUicc({ reader: named ?? o.reader, timeoutMs: p.timeoutMs, cla: p.cla, terminalProfile: p.terminalProfile, selectAdf: p.selectAdf, proactiveResult: p.proactiveResult });
  const info = await card.open();
  return {
    card,
    what: `card in PC/SC reader "${info.reader}" (${info.protocol}${info.atr ? `, ATR ${toHex(info.atr)}` : ''})`,
    steps: info.steps.map((s) => `${s.step}: ${toHex(s.command)} → ${toHex(s.response)}`),
  };
}
