/** `build sms`, `build por` (src/api/build.ts builds; this renders). */
import { InputError } from '../../util/errors.js';
import { toHex } from '../../util/hex.js';
import { buildCommand } from '../../secured/command.js';
import { commandJson } from '../../secured/view.js';
import { smsDialect } from '../../smspp/dialect.js';
import { printJson, printTree, writeOut, type OutputOptions } from '../output.js';
import { prepareBatch, type SecurityOpts } from '../../api/secured-options.js';
import { frameCommand } from '../../api/frame.js';
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
  const api = await import('../../api/build.js');
  if (o.json) {
    const r = await api.buildSms(o as BuildSmsOptions);
    notes(r.warnings);
    printJson(api.jsonOf(r));
    return;
  }
  const { cmd, units, warnings } = await api.buildSmsUnits(o as BuildSmsOptions);
  notes(warnings);
  if (o.show) {
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
 * `build sms --each`: batch mode. Each stdin line is the secured data (hex) of
 * one packet; the counter advances by one per line from --counter (with
 * `--counter next` the whole block is reserved at once in the state file).
 * One output line per packet (per SMS segment for long packets).
 */
export async function buildSmsEach(o: BuildSmsOpts): Promise<void> {
  if (o.apdu.length || (o.data !== undefined && o.data !== '') || o.expanded) {
    throw new InputError('with --each the secured data comes from stdin, one hex line per packet: drop --apdu/--data/--expanded', { field: '--each' });
  }
  const { readStdin } = await import('../input.js');
  const { fromHex } = await import('../../util/hex.js');
  const lines = readStdin().split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#'));
  if (!lines.length) return;
  const datas = lines.map((l, i) => fromHex(l, `stdin line ${i + 1}`));
  const first = await prepareBatch(o, datas.length);
  const counter = first.input.counter;
  const out: string[] = [];
  for (let i = 0; i < datas.length; i++) {
    const cmd = buildCommand(smsDialect, { ...first.input, data: datas[i], counter: counter + BigInt(i) }, first.keys);
    const frames = frameCommand(cmd.bytes, o);
    if (o.json) out.push(JSON.stringify({ line: i + 1, ...commandJson(cmd), output: frames.map(toHex) }));
    else for (const f of frames) out.push(toHex(f));
  }
  process.stdout.write(out.join('\n') + '\n');
}

