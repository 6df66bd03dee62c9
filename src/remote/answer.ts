/**
 * A PoR's remote response decoded against what the packet asked: the EF's
 * octets after READ BINARY/RECORD, the FCP (or SIM response parameters) of
 * a selected file, the registry entries of GET STATUS.
 */
import { hex2, hex4, toHex } from '../util/hex.js';
import { OtaError } from '../util/errors.js';
import { node, type TreeNode } from '../render/tree.js';
import { decodeResponse, swName, swStatus, type RemoteResponse } from './index.js';
import { decodeFcp, decodeSimResponse, type FileInfo } from './fcp.js';
import { decodeRegistry, type RegistryEntry } from './gp/registry.js';
import type { AnswerKind, ScriptStep } from './script.js';

export interface DecodedAnswer {
  /** Index (0-based) of the step the answer belongs to. */
  step: number;
  title: string;
  sw: string;
  swMeaning?: string;
  ok: boolean;
  kind: AnswerKind;
  data: string;
  file?: FileInfo;
  entries?: RegistryEntry[];
  error?: string;
}

export interface ScriptAnswer {
  format: 'compact' | 'expanded';
  executed?: number;
  /** Every command answered; compact: only the last executed. */
  answers: DecodedAnswer[];
  /** All commands succeeded (SW 90xx/91xx/61xx/9Fxx) and none is missing. */
  ok: boolean;
  problem?: string;
}


function decodeOne(stepIndex: number, st: ScriptStep | undefined, sw: number, data: Uint8Array, steps: ScriptStep[]): DecodedAnswer {
  const kind = st?.answer ?? 'none';
  const a: DecodedAnswer = { step: stepIndex, title: st?.title ?? `command ${stepIndex + 1}`, sw: hex4(sw), ok: swStatus(sw) === 'ok', kind, data: toHex(data) };
  const m = swName(sw);
  if (m) a.swMeaning = m;
  if (!data.length) return a;
  try {
    if (kind === 'fcp') a.file = decodeFcp(data);
    else if (kind === 'sim-response') a.file = decodeSimResponse(data);
    else if (kind === 'gp-status') {
      const gs = steps.find((x) => x.apdu[1] === 0xf2);
      a.entries = decodeRegistry(data, gs ? gs.apdu[2] : 0x40);
    }
  } catch (e) {
    if (!(e instanceof OtaError)) throw e;
    a.error = e.message;
  }
  return a;
}

export function decodeAnswer(responseData: Uint8Array, steps: ScriptStep[]): ScriptAnswer {
  const r: RemoteResponse = decodeResponse(responseData);
  if (r.format === 'compact') {
    // The last executed command's answer; cards differ in counting a GET RESPONSE (TS 102 226 cl. 5.1.2 traces).
    const i = Math.max(0, Math.min(r.executed, steps.length) - 1);
    const ans = decodeOne(i, steps[i], r.sw, r.data, steps);
    const ok = ans.ok && r.executed >= steps.length;
    return { format: 'compact', executed: r.executed, answers: [ans], ok, problem: ok ? undefined : `${r.executed} of ${steps.length} commands executed, last SW ${hex4(r.sw)}${ans.swMeaning ? ` (${ans.swMeaning})` : ''}` };
  }
  const answers = r.rapdus.map((x, i) => decodeOne(i, steps[i], x.sw, x.data, steps));
  const bad = answers.find((a) => !a.ok);
  const executed = r.executed ?? answers.length;
  const ok = !bad && !r.badFormat && executed >= steps.length;
  const problem = ok ? undefined : bad ? `${bad.title}: SW ${bad.sw}${bad.swMeaning ? ` (${bad.swMeaning})` : ''}` : r.badFormat ? `Bad format ${toHex(r.badFormat)}` : `${executed} of ${steps.length} commands executed`;
  return { format: 'expanded', executed, answers, ok, problem };
}

function fileNodes(f: FileInfo): TreeNode[] {
  const out: TreeNode[] = [];
  if (f.fid) out.push(node('File ID', f.fid));
  if (f.type) out.push(node('Type', f.type));
  if (f.structure) out.push(node('Structure', f.structure));
  if (f.size !== undefined) out.push(node(f.type === 'EF' ? 'File size' : 'Size / free memory', `${f.size} octets`));
  if (f.recordLength !== undefined) out.push(node('Record length', `${f.recordLength} octets${f.records !== undefined ? `, ${f.records} records` : ''}`));
  if (f.dfName) out.push(node('DF name (AID)', f.dfName));
  if (f.lifeCycle) out.push(node('Life cycle', f.lifeCycle));
  return out;
}

export function answerTree(a: ScriptAnswer): TreeNode {
  const kids = a.answers.map((x) => {
    const c: TreeNode[] = [node('SW', `${x.sw}${x.swMeaning ? ` (${x.swMeaning})` : ''}`, undefined, { status: x.ok ? 'ok' : 'fail' })];
    if (x.kind === 'ef-binary' || x.kind === 'ef-record') c.push(node(x.kind === 'ef-record' ? 'Record' : 'EF content', `${x.data.length / 2} octets`, undefined, { hex: x.data }));
    else if (x.data) c.push(node('Response data', `${x.data.length / 2} octets`, undefined, { hex: x.data }));
    if (x.file) c.push(node('File', x.file.fid ?? '', fileNodes(x.file)));
    if (x.entries) {
      c.push(node('Registry entries', String(x.entries.length), x.entries.map((e) => node(e.aid, `${e.lifeCycleName} (${hex2(e.lifeCycle)}), privileges ${e.privileges || '-'}`, [
        ...(e.loadFile ? [node('Load file', e.loadFile)] : []),
        ...(e.modules ?? []).map((m) => node('Module', m)),
        ...(e.securityDomain ? [node('Security domain', e.securityDomain)] : []),
        ...(e.version ? [node('Version', e.version)] : []),
      ]))));
    }
    if (x.error) c.push(node('Decoding', x.error, undefined, { status: 'warn' }));
    return node(x.title, x.ok ? 'ok' : 'failed', c, { status: x.ok ? 'ok' : 'fail' });
  });
  return node('Answer', `${a.format}${a.executed !== undefined ? `, ${a.executed} executed` : ''}${a.problem ? `: ${a.problem}` : ''}`, kids, { status: a.ok ? 'ok' : 'fail' });
}
