/**
 * `card process` below the CLI: run the simulator (src/card/simulator.ts) on
 * what the user gave (bare packet, SMS layers, or CAT_TP data PDUs), with the
 * RE counters read and written under the lock of the file that holds them
 * (src/keys/state.ts), and the `--json` report.
 *
 * The RE counter lives in CARD.json (applications[].counter) and is updated
 * there under a lock, read-modify-write atomically, so concurrent runs never
 * lose an update and a kill never leaves a half-written file. With a state
 * file the counters live there instead
 * ({"format":"uicc-ota-card-state/1","counters":{"B00010":"5"}}, overriding
 * CARD.json's values) and CARD.json is only read.
 */
import { formatTag } from '../util/json-format.js';
import { existsSync } from 'node:fs';
import { loadJsonFile } from '../util/json-text.js';
import { InputError, OtaError, VerifyError, shiftOffset, type ErrorWhere } from '../util/errors.js';
import { hex2, hex4, toHex } from '../util/hex.js';
import type { TreeNode } from '../render/tree.js';
import { readJsonFile, updateJsonFile, withFileLock, writeFileAtomic } from '../keys/state.js';
import { withContent } from './content.js';
import { smsDialect } from '../smspp/dialect.js';
import { cattpDialect } from '../cattp/dialect.js';
import { responseJson as remoteResponseJson, decodeResponse } from '../remote/index.js';
import { CARD_STATE_FORMAT, validateCard, validateState, withCounter, type Card } from './card.js';
import { LAYER, processPacket as simulate, type ProcessResult } from './simulator.js';
import { peelCattpPdus } from '../cattp/peel.js';
import type { Dialect } from '../secured/dialect.js';
import { peel } from '../layers/peel.js';
import { statusOutcome } from '../secured/expect-status.js';

/** Options of `card process` (camelCase), minus the output ones. */
export interface CardProcessOpts {
  /** Path of the CARD.json, or an in-memory card (its counters kept in `raw`). */
  card: string | InMemoryCard;
  /** Keep the RE counters in this file instead (CARD.json is then only read). */
  state?: string;
  /** Do not store the counter. */
  dryRun?: boolean;
  /** Statuses that are the expected outcome (--expect-status "02" / "02,0A"; default 00): sets `statusOk`. */
  expectStatus?: string | readonly (string | number)[];
}

function readCard(path: string): { raw: unknown; card: Card } {
  const raw = loadJsonFile(path, 'card file');
  return { raw, card: validateCard(raw, path) };
}

/** A CARD.json held by the library user (no file): the RE counters are updated in `raw`. */
export interface InMemoryCard {
  raw: unknown;
  /** Name in error messages. */
  name: string;
}

/** Run the simulator with the counters read and written under the lock of the file that holds them. */
export async function processWithState(o: CardProcessOpts, packet: Uint8Array, dialect: Dialect, offset = 0): Promise<ProcessResult> {
  // Offsets in errors count from the start of what the user gave (e.g. the UDH).
  const processPacket = (c: Card, b: Uint8Array, d: Dialect) => shiftOffset(offset, undefined, () => simulate(c, b, d));
  if (typeof o.card !== 'string') {
    const mem = o.card;
    const r = processPacket(validateCard(mem.raw, mem.name), packet, dialect);
    if (!o.dryRun && r.counterUpdate !== undefined && r.app) mem.raw = withCounter(mem.raw, r.app.tarHex, r.counterUpdate);
    if (!o.dryRun && r.changes) mem.raw = withContent(mem.raw, r.changes);
    return r;
  }
  const cardPath = o.card;
  const first = readCard(cardPath); // clear errors (exit 2) before taking any lock
  if (o.dryRun) {
    let card = first.card;
    if (o.state) {
      let st: unknown = { format: CARD_STATE_FORMAT, counters: {} };
      if (existsSync(o.state)) st = loadJsonFile(o.state, 'card state file');
      card = withStateCounters(card, validateState(st, o.state));
    }
    return processPacket(card, packet, dialect);
  }
  if (o.state) {
    // Counters in the state file, content (files, registry, keys) in CARD.json: lock the state file, then the card file.
    const statePath = o.state;
    return withFileLock(statePath, () => updateJsonFile<unknown, ProcessResult>(cardPath, undefined, 'card file', (rawCard) => {
      const raw = readJsonFile<unknown>(statePath, { format: CARD_STATE_FORMAT, counters: {} }, 'card state file');
      const counters = validateState(raw, statePath);
      const r = processPacket(withStateCounters(validateCard(rawCard, cardPath), counters), packet, dialect);
      if (r.counterUpdate !== undefined && r.app) {
        const old = (raw as { counters: Record<string, string | number> }).counters;
        const next: Record<string, string | number> = {};
        for (const [k, v] of Object.entries(old)) next[k.toUpperCase()] = v;
        next[r.app.tarHex] = Number(r.counterUpdate);
        writeFileAtomic(statePath, JSON.stringify({ format: CARD_STATE_FORMAT, counters: next }, null, 2) + '\n');
      }
      return { value: r.changes ? withContent(rawCard, r.changes) : undefined, result: r };
    }));
  }
  return updateJsonFile<unknown, ProcessResult>(cardPath, undefined, 'card file', (raw) => {
    const r = processPacket(validateCard(raw, cardPath), packet, dialect);
    if ((r.counterUpdate === undefined || !r.app) && !r.changes) return { result: r };
    const counted = r.counterUpdate !== undefined && r.app ? withCounter(raw, r.app.tarHex, r.counterUpdate) : raw;
    return { value: r.changes ? withContent(counted, r.changes) : counted, result: r };
  });
}

function withStateCounters(card: Card, counters: Record<string, bigint>): Card {
  return {
    ...card,
    applications: card.applications.map((a) => (counters[a.tarHex] !== undefined ? { ...a, counter: counters[a.tarHex] } : a)),
  };
}

const num = (c: bigint | undefined) => (c === undefined ? null : Number(c));

/** Where a command packet given as CAT_TP data PDUs came from (for the report). */
export interface CattpOrigin {
  pdus: number;
  srcPort: number;
  dstPort: number;
  firstSeq: number;
  lastSeq: number;
}

/** The `--json` report (documented in the man page, CARD SIMULATOR). */
export function processJson(r: ProcessResult, stored: boolean, cattp?: CattpOrigin, expectStatus?: CardProcessOpts['expectStatus']): Record<string, unknown> {
  let response: unknown = null;
  if (r.responseData && r.responseData.length) {
    try {
      response = remoteResponseJson(decodeResponse(r.responseData));
    } catch {
      response = null;
    }
  }
  return {
    format: formatTag('card-process'),
    status: { code: hex2(r.status), name: r.statusName },
    ...statusOutcome(r.status, { expectStatus }, true).json,
    tar: toHex(r.tar),
    application: r.app ? r.app.name ?? null : null,
    por: r.por ? toHex(r.por) : null,
    porSecured: r.porSecured,
    porVia: r.pors.length ? r.porVia : null,
    porSubmit: r.porSubmit.map(toHex),
    counter: {
      mode: r.counterMode,
      command: num(r.commandCounter),
      before: num(r.counterBefore),
      after: num(r.counterUpdate ?? r.counterBefore),
      stored: stored && r.counterUpdate !== undefined,
    },
    executed: r.executed.map((x) => ({ apdu: toHex(x.apdu), sw: hex4(x.sw), data: toHex(x.data) })),
    response,
    ...(cattp ? { cattp } : {}),
    trace: r.trace,
  };
}

export interface CattpCommand {
  packet: Uint8Array;
  /** Offset of the packet in the (single) input PDU, 0 for a reassembled SDU. */
  offset: number;
  /** Layer name for errors inside the packet. */
  layer: string;
  origin: CattpOrigin;
  trees: TreeNode[];
}

/**
 * CAT_TP data PDUs (one UDP payload per input) carrying a command packet:
 * decoded and reassembled (cattp-peel); undefined when the inputs are not
 * CAT_TP PDUs. Anything else in PDUs is refused in one line.
 */
export function cattpCommand(inputs: Uint8Array[]): CattpCommand | undefined {
  const pe = peelCattpPdus(inputs);
  if (!pe) return undefined;
  if (pe.failures.length) {
    // TS 102 127: a PDU whose checksum fails is discarded, so the card has nothing to answer.
    throw new VerifyError(`${pe.failures.join('; ')}: a card discards such a PDU, so there is no PoR`);
  }
  const takes = 'card process takes the secured command packet (CPI 01, BER length), bare or as the data of CAT_TP data PDUs';
  if (!pe.sdus.length) {
    const types = [...new Set(pe.pdus.map((p) => p.decoded.pdu.type))].join(', ');
    throw new InputError(`${types} PDU${pe.pdus.length > 1 ? 's' : ''} without data: ${takes} (connection set-up is cattp serve / cattp send)`, { layer: 'CAT_TP', field: 'data' });
  }
  if (pe.sdus.length > 1) throw new InputError(`the PDUs carry ${pe.sdus.length} SDUs: give the data PDUs of one command packet`, { layer: 'CAT_TP', field: 'SDU' });
  const sdu = pe.sdus[0];
  const d = sdu.data;
  if (sdu.kind === 'response') throw new InputError('the CAT_TP data is a response packet (RPI 02, a PoR); card process answers command packets (CPI 01)', { layer: 'CAT_TP', field: 'data' });
  if (sdu.kind !== 'command') {
    const why = d[0] === 1 ? 'its BER length does not match the octets present' : `first octet ${hex2(d[0])} is not CPI 01`;
    throw new InputError(`not a TS 102 225 command packet (${why}); ${takes}`, { layer: 'CAT_TP', field: 'data' });
  }
  const single = sdu.inputs.length === 1;
  return {
    packet: d,
    offset: single ? pe.pdus[sdu.inputs[0]].decoded.hlen : 0,
    layer: single ? `${LAYER} in CAT_TP data` : `${LAYER} in the SDU reassembled from CAT_TP seq ${sdu.firstSeq}–${sdu.lastSeq} (offsets within the SDU)`,
    origin: { pdus: sdu.inputs.length, srcPort: sdu.srcPort, dstPort: sdu.dstPort, firstSeq: sdu.firstSeq, lastSeq: sdu.lastSeq },
    trees: pe.layers.map((l) => l.tree),
  };
}

/** Errors inside the packet name the CAT_TP data they came in. */
export async function relabel<T>(layer: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof OtaError && e.where.layer === LAYER) {
      const Cls = e.constructor as new (m: string, w: ErrorWhere) => OtaError;
      throw new Cls(e.detail, { ...e.where, layer });
    }
    throw e;
  }
}

const lineRange = (a: number, b: number) => (a === b ? `line ${a}` : `lines ${a}–${b}`);

/** The one-line stderr note: which output line is which, and why there is none. */
export function stderrNote(r: ProcessResult, cat: CattpCommand | undefined): string | undefined {
  const parts: string[] = [];
  if (cat) {
    const o = cat.origin;
    parts.push(`command packet of ${cat.packet.length} octets from ${o.pdus} CAT_TP data PDU${o.pdus > 1 ? 's' : ''} (seq ${o.firstSeq}${o.lastSeq !== o.firstSeq ? `–${o.lastSeq}` : ''}, port ${o.srcPort} → ${o.dstPort})` +
      (r.pors.length ? '; printed: the response packet, for the data PDU(s) back' : ''));
  }
  if (!r.pors.length) {
    const why = r.spi.porRequest === 'none' ? 'SPI2 asks for no PoR' : r.spi.porRequest === 'on-error' ? 'SPI2 asks for a PoR only on error' : 'no PoR after failed authentication (options.porOnAuthFailure)';
    parts.push(`no PoR (status ${hex2(r.status)} ${r.statusName}; ${why})`);
  } else if (r.status === 0x0b) {
    const n = r.porSubmit.length;
    parts.push(`status 0B (${r.statusName}): line 1 is the PoR in the ENVELOPE response (SMS-DELIVER-REPORT), ${lineRange(2, 1 + n)} the complete PoR (status 00) as SMS-SUBMIT user data${n > 1 ? ` (${n} concatenated SMS)` : ''}`);
  } else {
    if (r.status !== 0) parts.push(`status ${hex2(r.status)} (${r.statusName})`);
    if (r.porSubmit.length > 1) parts.push(`PoR via SMS-SUBMIT in ${r.porSubmit.length} concatenated SMS, one line each`);
  }
  return parts.length ? `uicc-ota: card: ${parts.join('; ')}\n` : undefined;
}

/** What `card process` does with its inputs (one packet, SMS layers, every SMS segment, or CAT_TP data PDUs). */
export async function processInputs(bytes: Uint8Array[], o: CardProcessOpts): Promise<{ result: ProcessResult; cattp?: CattpCommand }> {
  const cat = cattpCommand(bytes);
  if (cat) return { result: await relabel(cat.layer, () => processWithState(o, cat.packet, cattpDialect, cat.offset)), cattp: cat };
  const p = peel(bytes, 'auto');
  if (p.kind === 'response') throw new InputError('this is a response packet (PoR); card process answers command packets', { field: 'PACKET', offset: p.offset });
  const dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
  return { result: await processWithState(o, p.packet, dialect, p.offset) };
}
