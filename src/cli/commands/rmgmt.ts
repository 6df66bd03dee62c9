/**
 * `rfm read|update|select` and `ram load|install|delete|status|put-key`:
 * options in, src/api/rmgmt-run.ts called, its result rendered (the --json
 * object, the tree, or the hex lines). The scripts (TS 102 226), their
 * securing (TS 102 225) and every mode (--por, --card, --send, --format
 * scp81-scripts) live in the API.
 */
import { VerifyError } from '../../util/errors.js';
import { readStdin } from '../input.js';
import { printJson, printTree, useColor, writeOut, type OutputOptions } from '../output.js';
import { DEFAULT_TARS, type RmgmtOptions } from '../../api/rmgmt.js';
import type { RmgmtHooks } from '../../api/rmgmt-run.js';
import type { ApduExchange } from '../../transport/pcsc/send.js';
import type { TreeNode } from '../../render/tree.js';
import { traceTree } from './send-pcsc.js';

export interface RmgmtOpts extends RmgmtOptions, OutputOptions {
  counter: string;
  paddingByte: string;
}

export { DEFAULT_TARS };

export async function rfmCommand(op: 'read' | 'update' | 'select', o: RmgmtOpts): Promise<void> {
  await run('rfm', op, o);
}

export async function ramCommand(op: 'load' | 'install' | 'delete' | 'status' | 'put-key', o: RmgmtOpts): Promise<void> {
  await run('ram', op, o);
}

async function run(kind: 'rfm' | 'ram', op: string, o: RmgmtOpts): Promise<void> {
  const { runRmgmt } = await import('../../api/rmgmt-run.js');
  const hooks: RmgmtHooks = {};
  if (o.send === 'cattp') {
    // The card must know where to connect: say it before waiting.
    hooks.listening = (a) => process.stderr.write(`uicc-ota: listening on UDP ${a.address}:${a.port} for the card's CAT_TP connection\n`);
    const ac = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
    hooks.signal = ac.signal;
  }
  const apdus: ApduExchange[] = [];
  if (o.trace) await traceHooks(o, hooks, apdus);
  let r;
  try {
    r = await runRmgmt(kind, op, { ...o, por: o.por === '-' ? readStdin() : o.por }, hooks);
  } finally {
    // As send pcsc --trace: the APDU exchange as one tree, also when it failed.
    if (apdus.length) await stderrTree(traceTree(apdus), o);
  }
  if (o.json) printJson(r.json);
  else if (r.tree) await printTree(r.tree, o);
  else if (r.text !== undefined) writeOut(r.text);
  if (r.error) throw r.error;
  if (r.failures.length) throw new VerifyError(r.failures.join('; '));
}

async function stderrTree(t: TreeNode, o: OutputOptions): Promise<void> {
  const { renderTree } = await import('../../render/text.js');
  const color = useColor(o) && Boolean(process.stderr.isTTY);
  const chalk = color ? (await import('chalk')).default : undefined;
  process.stderr.write(renderTree([t], { color, bits: o.bits }, chalk) + '\n');
}

/** --trace: APDUs collected (one tree at the end, as send pcsc), SMPP PDUs as trees, CAT_TP PDUs as one line each. */
async function traceHooks(o: RmgmtOpts, hooks: RmgmtHooks, apdus: ApduExchange[]): Promise<void> {
  if (o.send === 'pcsc') hooks.apdu = (x) => apdus.push(x);
  else if (o.send === 'smpp') {
    const { pduTree } = await import('../../transport/smpp/index.js');
    hooks.smppPdu = (l) => void stderrTree(pduTree(l.pdu, l.direction, l.session), o);
  } else if (o.send === 'cattp') {
    const { pduSummary } = await import('../../cattp/pdu.js');
    const t0 = Date.now();
    hooks.pdu = (e) => {
      const what = e.decoded ? pduSummary(e.decoded) : `malformed datagram (${e.bytes.length} octets): ${e.error?.message ?? '?'}`;
      process.stderr.write(`+${((e.timeMs - t0) / 1000).toFixed(3)}s ${e.dir === 'sent' ? '→' : '←'} ${e.remote.address}:${e.remote.port} ${what} [${e.state}]${e.note ? ` (${e.note})` : ''}\n`);
    };
    hooks.trace = (m) => {
      if (!m.startsWith('listening on')) process.stderr.write(`# ${m}\n`);
    };
  }
}
