/**
 * `rfm read|update|select` and `ram load|install|delete|status|put-key`:
 * options in, src/api/rmgmt-run.ts called, its result rendered (the --json
 * object, the tree, or the hex lines). The scripts (TS 102 226), their
 * securing (TS 102 225) and every mode (--por, --card, --send, --format
 * scp81-scripts) live in the API.
 */
import { VerifyError } from '../../util/errors.js';
import { readStdin } from '../input.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { DEFAULT_TARS, type RmgmtOptions } from '../../api/rmgmt.js';
import type { RmgmtHooks } from '../../api/rmgmt-run.js';

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
  const r = await runRmgmt(kind, op, { ...o, por: o.por === '-' ? readStdin() : o.por }, hooks);
  if (o.json) printJson(r.json);
  else if (r.tree) await printTree(r.tree, o);
  else if (r.text !== undefined) writeOut(r.text);
  if (r.error) throw r.error;
  if (r.failures.length) throw new VerifyError(r.failures.join('; '));
}
