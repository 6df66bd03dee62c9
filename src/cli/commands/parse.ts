/**
 * `parse`: recognise what the input is, peel every layer (outermost first),
 * decipher and verify the secured packet inside, print a tree or JSON.
 * Exit 1 when a check failed (the failing check is named on stderr too).
 */
import { formatTag } from '../../util/json-format.js';
import { InputError } from '../../util/errors.js';
import { fromHex } from '../../util/hex.js';
import { hexInputs } from '../input.js';
import { outcomeNodes, printJson, printTree, verdictNode, type OutputOptions } from '../output.js';

export { outcomeNodes };
import { peel } from '../../layers/peel.js';
import { parsePacket, type ParseOpts as PacketOptions, type ParseMode, type PacketResult } from '../../api/packet.js';
import { looksLikeCattpPdu, peelCattpPdus, sduPeeled } from '../../cattp/peel.js';

export interface ParseOpts extends PacketOptions, OutputOptions {}
export type { ParseMode, PacketResult };

export async function parseAuto(args: string[], o: ParseOpts, mode: ParseMode): Promise<void> {
  if (o.expanded && o.compact) throw new InputError('give --expanded or --compact, not both', { field: '--compact' });
  if (o.read !== undefined) {
    const { parseCapture } = await import('./read.js');
    return parseCapture(o.read, args, o, mode);
  }
  const inputs = hexInputs(args);
  const { parseInputs } = await import('../../api/parse.js');
  const r = await parseInputs(inputs, o, mode);
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
    if (r.failures.length) process.stderr.write(`uicc-ota: verification failed: ${r.failures.join('; ')}\n`);
    for (const x of r.refusals) process.stderr.write(`uicc-ota: ${x}\n`);
    if (r.failures.length || r.refusals.length) process.exitCode = 1;
  }
}

/** The tree line saying the PoR status is not the expected outcome. */
/**
 * `parse --each`: batch mode. Every input line is an independent packet;
 * one output line per input (NDJSON with --json), exit 1 if any check failed,
 * 2 if any input was malformed — the rest of the batch still runs.
 */
export async function parseEach(args: string[], o: ParseOpts, mode: ParseMode): Promise<void> {
  const { OtaError: OtaErr } = await import('../../util/errors.js');
  const { readStdin } = await import('../input.js');
  const lines = args.length && !(args.length === 1 && args[0] === '-') ? args : readStdin().split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'));
  const out: string[] = [];
  let worst = 0;
  lines.forEach((line, i) => {
    try {
      const b = fromHex(line, `line ${i + 1}`);
      // A CAT_TP data PDU per line: its SDU must be whole (one PDU) to be parsed alone.
      const pe = looksLikeCattpPdu(b) && mode !== 'sms' ? peelCattpPdus([b]) : undefined;
      if (pe) {
        const sdu = pe.sdus[0];
        if (!sdu || !sdu.kind) {
          const d = pe.pdus[0].json;
          if (pe.failures.length) worst = Math.max(worst, 1);
          const verdict = pe.failures.length ? 'FAIL' : 'OK';
          out.push(o.json ? JSON.stringify({ format: formatTag('cattp-pdus'), line: i + 1, layers: ['CAT_TP'], type: 'cattp-pdus', dialect: 'cat_tp', hex: null, pdu: d, verified: pe.failures.length ? false : true, failures: pe.failures, notes: pe.notes })
            : `${i + 1} ${verdict} CAT_TP ${d.type} seq=${d.seq}${pe.failures.length ? ': ' + pe.failures.join('; ') : ''}`);
          return;
        }
      }
      const peeled = pe ? sduPeeled(pe, pe.sdus[0], [b]) : peel([b], o.cattp ? 'cattp' : mode === 'auto' ? 'auto' : 'sms');
      const hint = mode === 'por' ? 'response' : mode === 'sms' && peeled.kind === undefined ? 'command' : undefined;
      const res = parsePacket(peeled, o, hint);
      const failures = [...peeled.failures, ...res.failures];
      if (res.inputError) throw res.inputError;
      if (failures.length || res.refusal) worst = Math.max(worst, 1);
      if (o.json) out.push(JSON.stringify({ line: i + 1, layers: [...(peeled.layerNames ?? peeled.layers.map((l) => l.name)), `${res.kind} packet`], ...res.json, verified: failures.length ? false : res.json.verified }));
      else {
        const j = res.json as { tar: string; status?: { code: string } | null; checksum: { type: string; verified: boolean | null } };
        const verdict = failures.length || res.refusal ? 'FAIL' : j.checksum.verified === true ? 'OK' : 'UNCHECKED';
        const why = [...failures, ...(res.refusal ? [res.refusal] : [])];
        out.push(`${i + 1} ${verdict} ${res.kind} tar=${j.tar}${j.status ? ` status=${j.status.code}` : ''} ${j.checksum.type}${why.length ? ': ' + why.join('; ') : ''}`);
      }
    } catch (e) {
      if (!(e instanceof OtaErr)) throw e;
      worst = Math.max(worst, e.exitCode);
      out.push(o.json ? JSON.stringify({ format: formatTag('error'), line: i + 1, error: e.message, exitCode: e.exitCode }) : `${i + 1} ERROR ${e.message}`);
    }
  });
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
  if (worst) process.exitCode = worst;
}
