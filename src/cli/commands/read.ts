/** `parse --read FILE`: src/capture/read.ts does the work; this renders it. */
import { InputError } from '../../util/errors.js';
import { node } from '../../render/tree.js';
import { analyseCapture } from '../../capture/read.js';
import type { ParseMode } from '../../api/packet.js';
import type { ParseOpts as PacketOptions } from '../../api/packet.js';
import type { OutputOptions } from '../output.js';

type ParseOpts = PacketOptions & OutputOptions;
import { outcomeNodes, printJson, printTree, verdictNode } from '../output.js';

/** `parse [sms|por] --read FILE` (the mode changes nothing: a capture says what each item is). */
export async function parseCapture(file: string, args: string[], o: ParseOpts, _mode: ParseMode): Promise<void> {
  if (args.length) throw new InputError('give hex inputs or --read FILE, not both', { field: '--read' });
  if (o.pcap) throw new InputError('--pcap writes what was parsed from hex inputs; it cannot be combined with --read', { field: '--pcap' });
  const r = analyseCapture(file, o);
  if (o.json) printJson(r.json);
  else {
    const n = r.errors.length;
    const verdict = r.nothing
      ? node('Verification', 'nothing to verify', undefined, { status: 'info' })
      : n && !r.failures.length
        ? node('Verification', 'incomplete', undefined, { status: 'fail', note: `${n} malformed item${n === 1 ? '' : 's'} (see above)` })
        : await verdictNode(r.failures, r.notes);
    await printTree([...r.tree, verdict, ...outcomeNodes(r.refusals)], o);
  }
  for (const e of r.errors) process.stderr.write(`uicc-ota: ${e.message}\n`);
  if (r.failures.length) process.stderr.write(`uicc-ota: verification failed: ${r.failures.join('; ')}\n`);
  for (const x of r.refusals) process.stderr.write(`uicc-ota: ${x}\n`);
  if (r.exitCode) process.exitCode = r.exitCode;
}
