/**
 * `parse`: recognise what the input is, peel every layer (outermost first),
 * decipher and verify the secured packet inside, print a tree or JSON.
 * Exit 1 when a check failed (the failing check is named on stderr too).
 */
import { InputError } from '../../util/errors.js';
import { hexInputs } from '../input.js';
import { outcomeNodes, printJson, printTree, verdictNode, type OutputOptions } from '../output.js';
import type { ParseOpts as PacketOptions, ParseMode, PacketResult } from '../../api/packet.js';
import type { Parsed } from '../../api/parse.js';

export { outcomeNodes };

export interface ParseOpts extends PacketOptions, OutputOptions {}
export type { ParseMode, PacketResult };

export async function parseAuto(args: string[], o: ParseOpts, mode: ParseMode): Promise<void> {
  if (o.expanded && o.compact) throw new InputError('give --expanded or --compact, not both', { field: '--compact' });
  if (o.read !== undefined) {
    const { parseCapture } = await import('./read.js');
    return parseCapture(o.read, args, o, mode);
  }
  readOnlyOptions(o);
  if ((o as { threads?: string }).threads !== undefined) throw new InputError('it goes with --each', { field: '--threads' });
  const inputs = hexInputs(args);
  const { parseInputs } = await import('../../api/parse.js');
  const r = await parseInputs(inputs, o, mode, { tree: !o.json });
  return renderParsed(r, o, inputs);
}

/** A parse result on stdout (tree or JSON), its pcap, and its outcome on stderr with the exit code (parse, send smpp). */
export async function renderParsed(r: Parsed, o: ParseOpts, inputs: Uint8Array[]): Promise<void> {
  if (r.cattp) {
    // CAT_TP PDUs (cattp.ts renders them and writes their pcap).
    const { renderCattpParse } = await import('./cattp.js');
    return renderCattpParse(r, inputs, o);
  }
  if (o.json) printJson(r.json);
  else await printTree([...r.tree, await verdictNode(r.failures, r.notes, r.checksumType), ...outcomeNodes(r.refusals)], o);
  if (o.pcap) {
    const { writeParsedPcap } = await import('./pcap-out.js');
    writeParsedPcap(o.pcap, r.peeled!);
  }
  if (r.inputError) {
    process.stderr.write(`uicc-ota: ${r.inputError.message}\n`);
    process.exitCode = r.inputError.exitCode;
  } else {
    const unverified = o.requireVerified && !r.failures.length ? r.unverified : [];
    if (r.failures.length) process.stderr.write(`uicc-ota: verification failed: ${r.failures.join('; ')}\n`);
    if (unverified.length) process.stderr.write(`uicc-ota: not verified (--require-verified): ${unverified.join('; ')}\n`);
    for (const x of r.refusals) process.stderr.write(`uicc-ota: ${x}\n`);
    if (r.failures.length || r.refusals.length || unverified.length) process.exitCode = 1;
  }
}

/** Options that only mean something with --read are refused without it, not ignored. */
function readOnlyOptions(o: ParseOpts & { ndjson?: boolean; pairingWindow?: string; follow?: boolean }): void {
  if (o.follow) throw new InputError('it goes with --read FILE (a capture still being written)', { field: '--follow' });
  if (o.ndjson) throw new InputError('it goes with --read (one record per line of a capture); for hex inputs use --json (with --each: one object per line)', { field: '--ndjson' });
  if (o.pairingWindow !== undefined) throw new InputError('it goes with --read', { field: '--pairing-window' });
}

/**
 * `parse --each`: batch mode (src/api/batch.ts). Every input line is an
 * independent packet; one output line per input line (NDJSON with --json),
 * written as soon as the line is read; exit 1 if any check failed, 2 if any
 * input was malformed (the worst line's code) — the rest of the batch still runs.
 */
export async function parseEach(args: string[], o: ParseOpts & { threads?: string; crypto?: string }, mode: ParseMode): Promise<void> {
  readOnlyOptions(o);
  const { cliStream } = await import('../batch-run.js');
  const { streamParseBatch } = await import('../../api/batch.js');
  const s = await cliStream(o, args.length && !(args.length === 1 && args[0] === '-') ? args : undefined);
  const r = await streamParseBatch(o as Parameters<typeof streamParseBatch>[0], mode, s);
  if (r.exitCode) process.exitCode = r.exitCode;
}
