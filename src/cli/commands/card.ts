/**
 * `card init` (write an example CARD.json) and `card process` (answer a
 * command packet as the card described by CARD.json would, printing the PoR).
 *
 * The RE counter lives in CARD.json (applications[].counter) and is updated
 * there under a lock, read-modify-write atomically (src/keys/state.ts), so
 * concurrent runs never lose an update and a kill never leaves a half-written
 * file. With `--state FILE` the counters live in FILE instead
 * ({"format":"uicc-ota-card-state/1","counters":{"B00010":"5"}}, overriding
 * CARD.json's values) and CARD.json is only read.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InputError, IoError, OtaError, VerifyError, shiftOffset, type ErrorWhere } from '../../util/errors.js';
import { toHex, hex2 } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { readJsonFile, updateJsonFile, withFileLock, writeFileAtomic } from '../../keys/state.js';
import { withContent } from '../../card/content.js';
import { smsDialect } from '../../smspp/dialect.js';
import { cattpDialect } from '../../cattp/dialect.js';
import { responseTree } from '../../secured/view.js';
import { responseJson as remoteResponseJson, decodeResponse } from '../../remote/index.js';
import {
  CARD_STATE_FORMAT, exampleCard, parseCardText, validateCard, validateState, withCounter, type Card,
} from '../../card/card.js';
import { LAYER, processPacket as simulate, type ProcessResult, type SentPor } from '../../card/simulator.js';
import { peelCattpPdus } from '../../cattp/peel.js';
import type { Dialect } from '../../secured/dialect.js';
import { hexInputs } from '../input.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { responseView } from '../../remote/view.js';
import { peel } from './peel.js';

export interface CardInitOpts {
  out?: string;
  force?: boolean;
}

/** Write `text` to a new file: temp file + hard link, so an existing file is never replaced and never half written. */
function writeNewFile(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new IoError('exists; give --force to replace it', { field: path });
    throw new IoError(`cannot write: ${code ?? (e as Error).message}`, { field: path });
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
  }
}

export async function cardInit(o: CardInitOpts): Promise<void> {
  const text = JSON.stringify(exampleCard(), null, 2) + '\n';
  const path = o.out ?? 'CARD.json';
  if (path === '-') {
    writeOut(text);
    return;
  }
  if (o.force) writeFileAtomic(path, text);
  else writeNewFile(path, text);
  process.stderr.write(`uicc-ota: wrote ${path}\n`);
}

export interface CardProcessOpts extends OutputOptions {
  card: string;
  state?: string;
  show?: boolean;
  dryRun?: boolean;
}

function readCard(path: string): { raw: unknown; card: Card } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new IoError(`cannot read card file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { field: path });
  }
  return parseCardText(text, path);
}

/** Run the simulator with the counters read and written under the lock of the file that holds them. */
export async function processWithState(o: CardProcessOpts, packet: Uint8Array, dialect: Dialect, offset = 0): Promise<ProcessResult> {
  const first = readCard(o.card); // clear errors (exit 2) before taking any lock
  // Offsets in errors count from the start of what the user gave (e.g. the UDH).
  const processPacket = (c: Card, b: Uint8Array, d: Dialect) => shiftOffset(offset, undefined, () => simulate(c, b, d));
  if (o.dryRun) {
    let card = first.card;
    if (o.state) {
      let st: unknown = { format: CARD_STATE_FORMAT, counters: {} };
      try {
        st = JSON.parse(readFileSync(o.state, 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new InputError(`not readable JSON: ${(e as Error).message}`, { layer: `card state file ${o.state}` });
      }
      card = withStateCounters(card, validateState(st, o.state));
    }
    return processPacket(card, packet, dialect);
  }
  if (o.state) {
    // Counters in the state file, content (files, registry, keys) in CARD.json: lock the state file, then the card file.
    const statePath = o.state;
    return withFileLock(statePath, () => updateJsonFile<unknown, ProcessResult>(o.card, undefined, 'card file', (rawCard) => {
      const raw = readJsonFile<unknown>(statePath, { format: CARD_STATE_FORMAT, counters: {} }, 'card state file');
      const counters = validateState(raw, statePath);
      const r = processPacket(withStateCounters(validateCard(rawCard, o.card), counters), packet, dialect);
      if (r.counterUpdate !== undefined && r.app) {
        const old = (raw as { counters: Record<string, string> }).counters;
        const next: Record<string, string> = {};
        for (const [k, v] of Object.entries(old)) next[k.toUpperCase()] = v;
        next[r.app.tarHex] = r.counterUpdate.toString();
        writeFileAtomic(statePath, JSON.stringify({ format: CARD_STATE_FORMAT, counters: next }, null, 2) + '\n');
      }
      return { value: r.changes ? withContent(rawCard, r.changes) : undefined, result: r };
    }));
  }
  return updateJsonFile<unknown, ProcessResult>(o.card, undefined, 'card file', (raw) => {
    const r = processPacket(validateCard(raw, o.card), packet, dialect);
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

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
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
export function processJson(r: ProcessResult, stored: boolean, cattp?: CattpOrigin): Record<string, unknown> {
  let response: unknown = null;
  if (r.responseData && r.responseData.length) {
    try {
      response = remoteResponseJson(decodeResponse(r.responseData));
    } catch {
      response = null;
    }
  }
  return {
    status: { code: hex2(r.status), name: r.statusName },
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

interface CattpCommand {
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
function cattpCommand(inputs: Uint8Array[]): CattpCommand | undefined {
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
async function relabel<T>(layer: string, fn: () => Promise<T>): Promise<T> {
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
function stderrNote(r: ProcessResult, cat: CattpCommand | undefined): string | undefined {
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

/**
 * `inputs`: hex arguments, or stdin lines when none or "-": one packet, SMS
 * user data, TPDU or ENVELOPE, every segment of a concatenated SMS, or the
 * CAT_TP data PDU(s) of one command packet.
 */
export async function cardProcess(inputs: string[] | string | undefined, o: CardProcessOpts): Promise<void> {
  if (!o.card) throw new InputError('missing (give --card CARD.json)', { field: '--card' });
  const args = inputs === undefined ? [] : Array.isArray(inputs) ? inputs : [inputs];
  const bytes = hexInputs(args, 'PACKET');
  const cat = cattpCommand(bytes);
  let r: ProcessResult;
  if (cat) {
    r = await relabel(cat.layer, () => processWithState(o, cat.packet, cattpDialect, cat.offset));
  } else {
    const p = peel(bytes, 'auto');
    if (p.kind === 'response') throw new InputError('this is a response packet (PoR); card process answers command packets', { field: 'PACKET', offset: p.offset });
    const dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
    r = await processWithState(o, p.packet, dialect, p.offset);
  }
  if (o.json) {
    printJson(processJson(r, !o.dryRun, cat?.origin));
  } else if (o.show) {
    const card = node('Card', `status ${hex2(r.status)} ${r.statusName}`, r.trace.map((t) => node(t)), { status: r.status === 0 ? 'ok' : 'warn' });
    const porTree = (p: SentPor) => {
      const data = p.response.data;
      const view = data && data.length ? responseView(data) : { tree: undefined };
      return responseTree(p.response, view.tree ? [view.tree] : undefined);
    };
    const label: Record<SentPor['via'], string> = { 'deliver-report': 'ENVELOPE response (SMS-DELIVER-REPORT)', submit: 'SMS-SUBMIT', cat_tp: 'CAT_TP' };
    const pors = r.pors.length === 1 && r.pors[0].messages.length === 1
      ? [porTree(r.pors[0])]
      : r.pors.map((p) => node(label[p.via], `${p.messages.length} message${p.messages.length > 1 ? 's' : ''}`, [porTree(p)]));
    await printTree([...(cat?.trees ?? []), card, ...pors], o);
  } else {
    const lines = r.pors.flatMap((p) => p.messages).map(toHex);
    if (lines.length) writeOut(lines.join('\n'));
  }
  // The note maps hex lines; with --json or --show only the "no PoR" note (the report says the rest).
  const note = !o.json && !o.show ? stderrNote(r, cat) : r.pors.length ? undefined : stderrNote(r, undefined);
  if (note) process.stderr.write(note);
}
