/**
 * `send pcsc`: options in, src/api/send-pcsc.ts (build the ENVELOPE(s) as
 * `build sms --format envelope` does, run the SMS-PP download exchange with
 * the card in a PC/SC reader, decode and verify the PoR as `parse por
 * --request` would), render out. Exit 0 PoR verified with status 00 (or no
 * PoR asked for); 1 a check failed, the PoR status is not 00, or no PoR came;
 * 2 bad options; 3 no PC/SC binding installed; 4 PC/SC or card failure (the
 * step is named).
 */
import { hex4, toHex } from '../../util/hex.js';
import { node, type TreeNode } from '../../render/tree.js';
import { printJson, printTree, useColor, writeOut } from '../output.js';
import type { BuildSmsOpts } from './build.js';
import type { ApduExchange, SendPcscOptions } from '../../api/send-pcsc.js';
import type { SmsPpExchange } from '../../transport/pcsc/send.js';

export interface SendPcscOpts extends BuildSmsOpts {
  reader?: string;
  list?: boolean;
  terminalProfile?: string;
  selectAdf?: string | boolean;
  cla: string;
  proactiveResult?: string;
  trace?: boolean;
  each?: boolean;
  timeout?: string;
  expectStatus?: string;
}


/** The exchange as a tree (for --trace): one node per APDU with its step, C-APDU and R-APDU. */
export function traceTree(steps: readonly ApduExchange[], reader?: string): TreeNode {
  return node('APDU exchange', reader ? `reader "${reader}"` : undefined, steps.map((s, i) => {
    return node(`${i + 1} ${s.step}`, `SW ${hex4(s.sw)}`, [
      node('C-APDU', undefined, undefined, { hex: toHex(s.command) }),
      node('R-APDU', undefined, undefined, { hex: toHex(s.response) }),
    ], { status: s.sw === 0x9000 || s.sw >> 8 === 0x61 || s.sw >> 8 === 0x91 || s.sw >> 8 === 0x9f ? 'ok' : 'warn' });
  }));
}

async function writeTrace(steps: readonly ApduExchange[], o: SendPcscOpts, reader?: string): Promise<void> {
  const { renderTree } = await import('../../render/text.js');
  const color = useColor(o) && Boolean(process.stderr.isTTY);
  const chalk = color ? (await import('chalk')).default : undefined;
  process.stderr.write(renderTree([traceTree(steps, reader)], { color, bits: o.bits }, chalk) + '\n');
}

export async function sendPcscList(o: SendPcscOpts): Promise<void> {
  const { pcscReaders } = await import('../../api/send-pcsc.js');
  const r = await pcscReaders();
  if (o.json) {
    printJson(r);
    return;
  }
  if (!r.readers.length) {
    process.stderr.write('uicc-ota: the PC/SC service lists no reader\n');
    return;
  }
  writeOut(r.readers.map((x) => `${x.index}: ${x.name}: ${x.card ? `card, ATR ${x.atr ?? '(none)'}` : 'no card'}`).join('\n'));
}

export async function sendPcscCommand(o: SendPcscOpts): Promise<void> {
  if (o.list) return sendPcscList(o);
  const api = await import('../../api/send-pcsc.js');
  const steps: ApduExchange[] = [];
  const opts: SendPcscOptions = { ...(o as unknown as SendPcscOptions), onApdu: (x: ApduExchange) => steps.push(x) };
  if (o.each) return sendEach(o, opts, steps);
  const out = await api.runSendPcsc({ ...opts, onExchanged: o.trace ? (all, reader) => writeTrace(all, o, reader) : undefined });
  if (o.json) printJson(out.json);
  else await printTree(out.tree, o);
  if (out.message) process.stderr.write(`uicc-ota: ${out.message}\n`);
  if (out.exitCode) process.exitCode = out.exitCode;
}

/** --each: the campaign of src/api/send-pcsc.ts (streamSendPcsc), stdin to stdout; the trace of every exchange at the end. */
async function sendEach(o: SendPcscOpts, opts: SendPcscOptions, steps: ApduExchange[]): Promise<void> {
  const { streamSendPcsc } = await import('../../api/send-pcsc.js');
  const { cliStream } = await import('../batch-run.js');
  const summary = await streamSendPcsc(opts, await cliStream({ json: o.json }));
  if (o.trace) await writeTrace(steps, o);
  if (summary.exitCode) process.exitCode = summary.exitCode;
}

export type { SmsPpExchange };
