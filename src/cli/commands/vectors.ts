/**
 * `vectors verify` runs golden-vector suites (format: vectors/schema.json);
 * `vectors record` turns one build into a case for review (src/vectors/record.ts).
 * The closing line `N passed, N failed` is read by CI: keep it exactly so.
 */
import { printJson, useColor, writeOut } from '../output.js';
import { verifyReport, type GivenFn, type VectorsReport } from '../../vectors/record.js';
import type { RecordVectorsOptions } from '../../api/vectors.js';

export interface VerifyOpts {
  filter?: string;
  json?: boolean;
  color?: boolean;
}

export async function vectorsVerify(paths: string[], o: VerifyOpts): Promise<void> {
  const report = verifyReport(paths, o);
  const empty = report.cases.length === 0;
  if (o.json) printJson(report);
  else await printReport(report, useColor({ color: o.color }));
  if (empty) process.stderr.write(`uicc-ota: no vector case ${o.filter !== undefined ? `matched --filter ${o.filter}` : 'found'}\n`);
  if (report.failed || empty) process.exitCode = 1;
}

async function printReport(r: VectorsReport, color: boolean): Promise<void> {
  const chalk = color ? (await import('chalk')).default : undefined;
  const pass = chalk ? chalk.green('PASS') : 'PASS';
  const fail = chalk ? chalk.red('FAIL') : 'FAIL';
  const dim = (s: string) => (chalk ? chalk.dim(s) : s);
  const lines: string[] = [];
  for (const c of r.cases) {
    if (c.status === 'pass') {
      lines.push(`${pass} ${c.id}`);
      continue;
    }
    if (c.id === '(file)') lines.push(`${fail} ${c.file}  ${dim('(invalid vector file)')}`);
    else lines.push(`${fail} ${c.id}  ${dim(`(${c.file}${c.status === 'error' ? ', invalid vector' : ''})`)}`);
    for (const p of c.problems) lines.push(`     ${p.message}`);
  }
  lines.push(`${r.passed} passed, ${r.failed} failed`);
  writeOut(lines.join('\n'));
}

export async function vectorsRecord(o: RecordVectorsOptions & { json?: boolean }, given?: GivenFn): Promise<void> {
  const { recordVectors } = await import('../../api/vectors.js');
  const { warnings, ...r } = await recordVectors(o, given);
  for (const w of warnings) process.stderr.write(`uicc-ota: warning: ${w}\n`);
  if (o.json) printJson(r);
  else writeOut(`${r.replaced ? 'replaced' : 'recorded'} case ${r.id} in ${r.out}: ${r.hex.join(' ')}`);
}
