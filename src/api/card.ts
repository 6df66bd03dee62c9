/** The card simulator as a class: `new Card(cardJsonOrPath).process(input)` is `card process --json`. */

import { processInputs, processJson, stderrNote, type InMemoryCard } from '../card/process.js';
import { inputBytes, type PacketInput } from './parse.js';

export interface CardOptions {
  /** With a CARD.json path: keep the RE counters in this file instead (CARD.json is then only read). */
  state?: string;
  /** Do not store the counter. */
  dryRun?: boolean;
}

/** The object `card process --json` prints, plus the PoR units and the stderr note. */
export interface CardResult {
  status: { code: string; name: string };
  tar: string;
  application: string | null;
  por: string | null;
  porSecured: boolean;
  porVia: string | null;
  porSubmit: string[];
  counter: { mode: string; command: number | null; before: number | null; after: number | null; stored: boolean };
  executed: { apdu: string; sw: string; data: string }[];
  response: unknown;
  cattp?: { pdus: number; srcPort: number; dstPort: number; firstSeq: number; lastSeq: number };
  trace: string[];
  /** Every message the card sends back, as the command prints them (hex lines). */
  units: Uint8Array[];
  /** What the command says on stderr (which line is which, or why there is no PoR). */
  warnings: string[];
  [key: string]: unknown;
}

/**
 * A simulated card (receiving entity). Given a path, the RE counters are
 * updated in that CARD.json (or `state`) under a lock, as `card process`
 * does; given the parsed CARD.json object, they are kept in memory (`json`).
 */
export class Card {
  private readonly target: string | InMemoryCard;
  private readonly options: CardOptions;

  constructor(card: string | Record<string, unknown>, options: CardOptions = {}) {
    this.target = typeof card === 'string' ? card : { raw: card, name: '(card object)' };
    this.options = options;
  }

  /** The CARD.json as it now stands (in-memory cards: with the counters updated). */
  get json(): unknown {
    return typeof this.target === 'string' ? undefined : this.target.raw;
  }

  /** Answer a command packet (bare, SMS user data, TPDU, ENVELOPE, every SMS segment, or CAT_TP data PDUs). */
  async process(input: PacketInput): Promise<CardResult> {
    const bytes = inputBytes(input, 'PACKET');
    const { result, cattp } = await processInputs(bytes, { card: this.target, state: this.options.state, dryRun: this.options.dryRun });
    const json = processJson(result, !this.options.dryRun, cattp?.origin);
    const note = stderrNote(result, cattp);
    return {
      ...json,
      units: result.pors.flatMap((p) => p.messages),
      warnings: note ? [note.replace(/^uicc-ota: card: /, '').trimEnd()] : [],
    } as CardResult;
  }
}

