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
import { InputError, IoError, shiftOffset } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { updateJsonFile, writeFileAtomic } from '../../keys/state.js';
import { smsDialect } from '../../smspp/dialect.js';
import { cattpDialect } from '../../cattp/dialect.js';
import { responseTree } from '../../secured/view.js';
import { responseJson as remoteResponseJson, decodeResponse } from '../../remote/index.js';
import {
  CARD_STATE_FORMAT, exampleCard, parseCardText, validateCard, validateState, withCounter, type Card,
} from '../../card/card.js';
import { processPacket as simulate, type ProcessResult } from '../../card/simulator.js';
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
    const statePath = o.state;
    return updateJsonFile<unknown, ProcessResult>(statePath, { format: CARD_STATE_FORMAT, counters: {} }, 'card state file', (raw) => {
      const counters = validateState(raw, statePath);
      const r = processPacket(withStateCounters(first.card, counters), packet, dialect);
      if (r.counterUpdate === undefined || !r.app) return { result: r };
      const old = (raw as { counters: Record<string, string> }).counters;
      const next: Record<string, string> = {};
      for (const [k, v] of Object.entries(old)) next[k.toUpperCase()] = v;
      next[r.app.tarHex] = r.counterUpdate.toString();
      return { value: { format: CARD_STATE_FORMAT, counters: next }, result: r };
    });
  }
  return updateJsonFile<unknown, ProcessResult>(o.card, undefined, 'card file', (raw) => {
    const r = processPacket(validateCard(raw, o.card), packet, dialect);
    if (r.counterUpdate === undefined || !r.app) return { result: r };
    return { value: withCounter(raw, r.app.tarHex, r.counterUpdate), result: r };
  });
}

function withStateCounters(card: Card, counters: Record<string, bigint>): Card {
  return {
    ...card,
    applications: card.applications.map((a) => (counters[a.tarHex] !== undefined ? { ...a, counter: counters[a.tarHex] } : a)),
  };
}

const hx = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
const num = (c: bigint | undefined) => (c === undefined ? null : Number(c));

/** The `--json` report (documented in the man page, CARD FILES). */
export function processJson(r: ProcessResult, stored: boolean): Record<string, unknown> {
  let response: unknown = null;
  if (r.responseData && r.responseData.length) {
    try {
      response = remoteResponseJson(decodeResponse(r.responseData));
    } catch {
      response = null;
    }
  }
  return {
    status: { code: hx(r.status), name: r.statusName },
    tar: toHex(r.tar),
    application: r.app ? r.app.name ?? null : null,
    por: r.por ? toHex(r.por) : null,
    porSecured: r.porSecured,
    porVia: r.por ? r.porVia : null,
    counter: {
      mode: r.counterMode,
      command: num(r.commandCounter),
      before: num(r.counterBefore),
      after: num(r.counterUpdate ?? r.counterBefore),
      stored: stored && r.counterUpdate !== undefined,
    },
    executed: r.executed.map((x) => ({ apdu: toHex(x.apdu), sw: hex4(x.sw), data: toHex(x.data) })),
    response,
    trace: r.trace,
  };
}

/**
 * `inputs`: hex arguments, or stdin lines when none or "-": one packet, SMS
 * user data, TPDU or ENVELOPE, or every segment of a concatenated SMS.
 */
export async function cardProcess(inputs: string[] | string | undefined, o: CardProcessOpts): Promise<void> {
  if (!o.card) throw new InputError('missing (give --card CARD.json)', { field: '--card' });
  const args = inputs === undefined ? [] : Array.isArray(inputs) ? inputs : [inputs];
  const p = peel(hexInputs(args, 'PACKET'), 'auto');
  if (p.kind === 'response') throw new InputError('this is a response packet (PoR); card process answers command packets', { field: 'PACKET', offset: p.offset });
  const dialect = p.dialect === 'cat_tp' ? cattpDialect : smsDialect;
  const r = await processWithState(o, p.packet, dialect, p.offset);
  if (o.json) {
    printJson(processJson(r, !o.dryRun));
  } else if (o.show) {
    const nodes: TreeNode[] = [
      node('Card', `status ${hx(r.status)} ${r.statusName}`, r.trace.map((t) => node(t)), { status: r.status === 0 ? 'ok' : 'warn' }),
    ];
    if (r.response) {
      const view = r.response.data && r.response.data.length ? responseView(r.response.data) : { tree: undefined };
      nodes.push(responseTree(r.response, view.tree ? [view.tree] : undefined));
    }
    await printTree(nodes, o);
  } else if (r.por) {
    writeOut(toHex(r.por));
  }
  if (!r.por) {
    const why = r.spi.porRequest === 'none' ? 'SPI2 asks for no PoR' : r.spi.porRequest === 'on-error' ? 'SPI2 asks for a PoR only on error' : 'no PoR after failed authentication (options.porOnAuthFailure)';
    process.stderr.write(`uicc-ota: card: no PoR (status ${hx(r.status)} ${r.statusName}; ${why})\n`);
  }
  else if (r.status !== 0 && !o.json) process.stderr.write(`uicc-ota: card: status ${hx(r.status)} (${r.statusName})\n`);
}
