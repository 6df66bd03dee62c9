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
import { InputError } from '../../util/errors.js';
import { toHex, hex2 } from '../../util/hex.js';
import { node } from '../../render/tree.js';
import { responseTree } from '../../secured/view.js';
import { cardInit as initCard, type CardInitOptions } from '../../card/init.js';
import type { SentPor } from '../../card/simulator.js';
import { hexInputs } from '../input.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { responseView } from '../../remote/view.js';
import { processInputs, processJson, stderrNote, type CardProcessOpts as CardProcessOptions } from '../../card/process.js';

export type CardInitOpts = CardInitOptions;

export async function cardInit(o: CardInitOpts): Promise<void> {
  const r = initCard(o);
  if (r.path === null) writeOut(r.text);
  else process.stderr.write(`uicc-ota: wrote ${r.path}\n`);
}

export interface CardProcessOpts extends CardProcessOptions, OutputOptions {
  show?: boolean;
}

export { processWithState, processJson, type CattpOrigin } from '../../card/process.js';

/**
 * `inputs`: hex arguments, or stdin lines when none or "-": one packet, SMS
 * user data, TPDU or ENVELOPE, every segment of a concatenated SMS, or the
 * CAT_TP data PDU(s) of one command packet.
 */
export async function cardProcess(inputs: string[] | string | undefined, o: CardProcessOpts): Promise<void> {
  if (!o.card) throw new InputError('missing (give --card CARD.json)', { field: '--card' });
  // A bad --expect-status is bad input before the card (and its counter) is touched.
  (await import('../../secured/expect-status.js')).parseExpectStatus(o.expectStatus);
  const args = inputs === undefined ? [] : Array.isArray(inputs) ? inputs : [inputs];
  const bytes = hexInputs(args, 'PACKET');
  const { result: r, cattp: cat } = await processInputs(bytes, o);
  if (o.json) {
    printJson(processJson(r, !o.dryRun, cat?.origin, o.expectStatus));
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
  // The card's answer as an exit code (TS 102 225 Table 5): not carried out → 1, unless --expect-status names it.
  const { statusOutcome } = await import('../../secured/expect-status.js');
  const refusal = statusOutcome(r.status, o, true).refusal;
  if (refusal) {
    process.stderr.write(`uicc-ota: ${refusal}\n`);
    process.exitCode = 1;
  }
}
