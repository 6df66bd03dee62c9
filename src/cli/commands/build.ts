/** `build sms`, `build por` (src/api/build.ts builds; this renders). */
import { InputError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import type { SecurityOpts } from '../../api/secured-options.js';
import type { BuildSmsOptions, BuildPorOptions } from '../../api/build.js';

export interface BuildSmsOpts extends SecurityOpts, OutputOptions {
  format: 'packet' | 'ud' | 'tpdu' | 'envelope';
  oa: string;
  oaTon: string;
  oaNpi: string;
  pid: string;
  dcs: string;
  scts?: string;
  smsc?: string;
  concatRef: string;
  concat16?: boolean;
  pcap?: string;
  show?: boolean;
}

export type BuildPorOpts = BuildPorOptions & OutputOptions & { show?: boolean };

const notes = (ws: string[]) => {
  for (const w of ws) process.stderr.write(`uicc-ota: note: ${w}\n`);
};

export async function buildSms(o: BuildSmsOpts): Promise<void> {
  if ((o as { threads?: string }).threads !== undefined) throw new InputError('it goes with --each', { field: '--threads' });
  if (o.json) {
    const api = await import('../../api/build.js');
    const r = await api.buildSms(o as BuildSmsOptions);
    notes(r.warnings);
    printJson(api.jsonOf(r));
    return;
  }
  // Hex only (the usual case): src/api/build-units.ts, without the views --json and --show decode.
  const { cmd, units, warnings } = await (await import('../../api/build-units.js')).buildSmsUnits(o as BuildSmsOptions);
  notes(warnings);
  if (o.show) {
    const api = await import('../../api/build.js');
    const { commandTree } = await import('../../secured/view.js');
    const { scriptView } = await import('../../remote/view.js');
    const script = scriptView(cmd.data!, o.expanded ? 'expanded' : 'compact');
    const outer = o.format === 'packet' ? { trees: [] } : api.builtLayers(units);
    await printTree([...outer.trees, commandTree(cmd, script.tree ? [script.tree] : undefined, true), ...cmd.notes.map((n) => ({ name: 'Note', value: n, status: 'warn' as const }))], o);
    return;
  }
  writeOut(units.map(toHex).join('\n'));
}

/** `build por`: a response packet secured as the command's SPI octet 2 asks (TS 102 225 cl. 5.2). */
export async function buildPor(o: BuildPorOpts): Promise<void> {
  const api = await import('../../api/build.js');
  if (o.json) {
    const j = await api.buildPor(o);
    notes(j.warnings);
    printJson(api.jsonOf(j));
    return;
  }
  const { response: r, units } = await api.buildPorUnits(o);
  notes(r.notes);
  if (o.show) {
    const { responseTree } = await import('../../secured/view.js');
    const { responseView } = await import('../../remote/view.js');
    const view = responseView(r.data!);
    const outer = o.format === 'packet' || o.format === 'pdu' ? { trees: [] } : api.builtLayers(units);
    await printTree([...outer.trees, responseTree(r, view.tree ? [view.tree] : undefined, true), ...r.notes.map((n) => ({ name: 'Note', value: n, status: 'warn' as const }))], o);
    return;
  }
  writeOut(units.map(toHex).join('\n'));
}

/**
 * `build sms --each`: batch mode (src/api/batch.ts). Each stdin line is the
 * secured data (hex) of one packet; the counter advances by one per packet
 * from --counter (with `--counter next`, counters are reserved in the state
 * file as lines arrive). One output line per input line, written as soon as
 * the line is read; several SMS of a long packet share their line, separated
 * by spaces.
 */
export async function buildSmsEach(o: BuildSmsOpts & { threads?: string; crypto?: string }): Promise<void> {
  if (o.apdu.length || (o.data !== undefined && o.data !== '') || o.expanded) {
    throw new InputError('with --each the secured data comes from stdin, one hex line per packet: drop --apdu/--data/--expanded', { field: '--each' });
  }
  if (o.show) throw new InputError('it prints one packet\'s trees; with --each each line gives hex (or a JSON object with --json)', { field: '--show' });
  const { cliStream } = await import('../batch-run.js');
  const { streamSmsBatch } = await import('../../api/batch.js');
  const s = await cliStream(o);
  const r = await streamSmsBatch(o as unknown as Parameters<typeof streamSmsBatch>[0], { ...s, onNote: notes });
  if (r.exitCode) process.exitCode = r.exitCode;
}
