/**
 * `send smpp` (ESME: submit the secured SMS to an SMSC, collect the PoR):
 * options in, src/api/send-smpp.ts (sendSmpp, sendSmppEach; protocol logic in
 * src/transport/smpp/), render out. The npm package `smpp` is loaded by those
 * modules only. `smsc` is in smsc.ts (src/api/smsc.ts).
 */
import type { TreeNode } from '../../render/tree.js';
import type { SecurityOpts } from '../../api/secured-options.js';
import type { SendSmppOptions } from '../../api/send-smpp.js';
import type { ParseOpts } from './parse.js';
import { writeOut, type OutputOptions } from '../output.js';

export interface SmppConnOpts {
  host: string;
  port: string;
  systemId: string;
  password: string;
  systemType?: string;
}

export interface SendSmppCliOpts extends SecurityOpts, SmppConnOpts, OutputOptions {
  dest: string;
  destTon?: string;
  destNpi?: string;
  source?: string;
  sourceTon?: string;
  sourceNpi?: string;
  bind: 'transceiver' | 'transmitter';
  pid: string;
  dcs: string;
  registeredDelivery: string;
  timeout: string;
  wait: boolean;
  trace?: boolean;
  each?: boolean;
  concatRef: string;
  concat16?: boolean;
  compact?: boolean;
  expectStatus?: string;
}

/** --trace: every SMPP PDU as a tree on stderr. */
export async function stderrTrees(o: OutputOptions): Promise<(t: TreeNode) => void> {
  const color = o.color !== false && !(process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') && (Boolean(process.stderr.isTTY) || Boolean(process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0'));
  const { renderTree } = await import('../../render/text.js');
  const chalk = color ? (await import('chalk')).default : undefined;
  return (t) => {
    const s = renderTree([t], { color, bits: o.bits }, chalk);
    process.stderr.write(s.endsWith('\n') ? s : s + '\n');
  };
}


export async function sendSmppCommand(o: SendSmppCliOpts): Promise<void> {
  const api = await import('../../api/send-smpp.js');
  const trace = o.trace ? await stderrTrees(o) : undefined;
  const { pduTree } = trace ? await import('../../transport/smpp/index.js') : { pduTree: undefined };
  const opts: SendSmppOptions = {
    ...(o as unknown as SendSmppOptions),
    onPdu: trace ? (l) => trace(pduTree!(l.pdu, l.direction, l.session)) : undefined,
    onOther: o.trace ? (n) => process.stderr.write(`uicc-ota: note: ${n}\n`) : undefined,
  };
  if (o.each) return sendSmppEach(o, opts);
  const r = await api.runSendSmpp(opts);
  if (r.submitted) {
    const s = r.submitted;
    writeOut(o.json ? JSON.stringify(s) : `${s.line} SUBMITTED tar=${s.tar} cntr=${s.counter ?? '?'} message_id=${s.messageIds.join(',')}`);
    return;
  }
  for (const n of r.notes) process.stderr.write(`uicc-ota: note: ${n}\n`);
  // Rendered as parse por renders it.
  const { renderParsed } = await import('./parse.js');
  await renderParsed(r.parsed!, o as unknown as ParseOpts, r.run.built.messages[0].uds);
  if (r.statusLine) {
    process.stderr.write(`uicc-ota: ${r.statusLine}\n`);
    process.exitCode = 1;
  }
}

/** --each: streamSendSmpp, stdin to stdout, a line per input line as its PoR comes (pass-through lines kept: text as is, --json empty). */
async function sendSmppEach(o: SendSmppCliOpts, opts: SendSmppOptions): Promise<void> {
  const { streamSendSmpp } = await import('../../api/send-smpp.js');
  const { cliStream } = await import('../batch-run.js');
  const r = await streamSendSmpp(opts, await cliStream({ json: o.json }));
  if (!r.exitCode) return;
  if (o.wait) process.stderr.write(`uicc-ota: ${r.failed} of ${r.commands} commands failed\n`);
  process.exitCode = r.exitCode;
}
