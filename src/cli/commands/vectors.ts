/**
 * `vectors verify` runs golden-vector suites (format: vectors/schema.json);
 * `vectors record` turns one build into a case for review.
 * The closing line `N passed, N failed` is read by CI: keep it exactly so.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { InputError, IoError } from '../../util/errors.js';
import { fromHex, toHex } from '../../util/hex.js';
import type { KeyMaterial } from '../../secured/keys.js';
import { writeFileAtomic } from '../../keys/state.js';
import { spiCodec, spiHex } from '../../secured/spi.js';
import { parseTar } from '../../secured/tar.js';
import { parseCounter } from '../../secured/common.js';
import { getKind, type Inputs } from '../../vectors/kinds.js';
import { FORMAT, loadFile, packageRoot, runSuite, type Report } from '../../vectors/runner.js';
import { keysetOf, resolveKeys, resolveKic, resolveKid } from '../keys.js';
import { intOption, octet } from '../input.js';
import { printJson, useColor, writeOut } from '../output.js';
import { prepareCommand, DEFAULT_SPI, DEFAULT_TAR, type SecurityOpts } from './secured-options.js';

export interface VerifyOpts {
  filter?: string;
  json?: boolean;
  color?: boolean;
}

/** The suite to run when no path is given: ./vectors, else the package's own. */
export function defaultVectorsDir(): string {
  const local = resolve('vectors');
  if (existsSync(local) && statSync(local).isDirectory()) return local;
  return join(packageRoot(), 'vectors');
}

export async function vectorsVerify(paths: string[], o: VerifyOpts): Promise<void> {
  let filter: RegExp | undefined;
  if (o.filter !== undefined) {
    try {
      filter = new RegExp(o.filter);
    } catch (e) {
      throw new InputError(`not a valid regular expression: ${(e as Error).message}`, { field: '--filter' });
    }
  }
  const report = runSuite(paths.length ? paths : [defaultVectorsDir()], { filter });
  const empty = report.cases.length === 0;
  if (o.json) {
    printJson({ format: 'uicc-ota-vectors-report/1', passed: report.passed, failed: report.failed, errors: report.errors, files: report.files, cases: report.cases });
  } else {
    await printReport(report, useColor({ color: o.color }));
  }
  if (empty) process.stderr.write(`uicc-ota: no vector case ${filter ? `matched --filter ${o.filter}` : 'found'}\n`);
  if (report.failed || empty) process.exitCode = 1;
}

async function printReport(r: Report, color: boolean): Promise<void> {
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

// ------------------------------------------------------------------ record

export interface RecordOpts extends SecurityOpts {
  out: string;
  id?: string;
  kind: string;
  dialect: 'sms-pp' | 'cat_tp';
  description?: string;
  provenance?: string;
  force?: boolean;
  /** Response kind: status octet (default 00). */
  status?: string;
  /** Response kind: the PoR is sent without security. */
  unsecured?: boolean;
}

const isInlineKey = (v: string | undefined) => v !== undefined && !v.startsWith('@');

/** The case inputs for the options (only what `verify` needs to rebuild; key values only when given inline). */
async function recordInputs(o: RecordOpts, outFile: string): Promise<{ inputs: Inputs; warnings: string[]; keys: KeyMaterial }> {
  const warnings: string[] = [];
  const ks = keysetOf(o);
  const spiText = o.spi ?? ks?.defaults.spi ?? DEFAULT_SPI;
  const inputs: Inputs = {};
  if (o.kind === 'command') {
    if (o.counter === 'next') throw new InputError('record needs a fixed counter value (a vector must rebuild the same bytes)', { field: '--counter' });
    const { input } = await prepareCommand(o);
    Object.assign(inputs, { spi: spiHex(input.spi), kic: hex2(input.kic), kid: hex2(input.kid), tar: toHex(input.tar), counter: Number(input.counter) });
    if (o.apdu.length) {
      inputs.apdus = o.apdu.map((a) => toHex(fromHex(a, '--apdu')));
      if (o.expanded) inputs.expanded = true;
      if (o.indefinite) inputs.indefinite = true;
    } else inputs.data = toHex(input.data);
    if (input.ccLength !== undefined) inputs.ccLen = input.ccLength;
    if (input.paddingByte !== undefined && input.paddingByte !== 0) inputs.paddingByte = hex2(input.paddingByte);
  } else {
    const b = fromHex(spiText, 'SPI');
    if (b.length !== 2) throw new InputError(`must be 2 octets, got ${b.length}`, { field: 'SPI' });
    const spi = spiCodec.decode(b);
    if (o.counter === 'next') throw new InputError('a response takes the command\'s counter value, not "next"', { field: '--counter' });
    Object.assign(inputs, {
      spi: spiHex(spi), kic: hex2(resolveKic(o.kic, o)), kid: hex2(resolveKid(o.kid, o, spi.porIntegrity)),
      tar: toHex(parseTar(o.tar ?? ks?.defaults.tar ?? DEFAULT_TAR)), counter: Number(parseCounter(o.counter)),
      status: hex2(octet(o.status ?? '00', '--status')), data: o.data !== undefined ? toHex(fromHex(o.data, '--data')) : '',
    });
    if (o.apdu.length) throw new InputError('a response carries --data (the additional response data), not --apdu', { field: '--apdu' });
    if (o.unsecured) inputs.unsecured = true;
    if (o.ccLen !== undefined) inputs.ccLen = intOption(o.ccLen, '--cc-len', 4, 8);
    if (o.paddingByte !== undefined && octet(o.paddingByte, '--padding-byte') !== 0) inputs.paddingByte = hex2(octet(o.paddingByte, '--padding-byte'));
  }
  // resolveKeys validates the key options without echoing them; inline ones are what it read.
  const resolved = resolveKeys(o, parseInt(String(inputs.kic), 16), parseInt(String(inputs.kid), 16));
  const keys: Record<string, string> = {};
  if (isInlineKey(o.kicKey) && resolved.kicKey) keys.kic = toHex(resolved.kicKey);
  if (isInlineKey(o.kidKey) && resolved.kidKey) keys.kid = toHex(resolved.kidKey);
  if (Object.keys(keys).length) inputs.keys = keys;
  const ksPath = o.keyset ?? process.env.UICC_OTA_KEYSET;
  if (ksPath) {
    const rel = relative(dirname(resolve(outFile)), resolve(ksPath));
    // No "kvn": the stored KIc/KID octets already name the key sets, exactly as `build` looks keys up.
    inputs.keyset = isAbsolute(rel) ? rel : rel.split('\\').join('/');
  }
  if (o.kicAlg) inputs.kicAlg = o.kicAlg;
  if (o.kidAlg) inputs.kidAlg = o.kidAlg;
  const notStored = [
    !isInlineKey(o.kicKey) && (o.kicKey !== undefined || process.env.UICC_OTA_KIC) ? 'KIc key' : '',
    !isInlineKey(o.kidKey) && (o.kidKey !== undefined || process.env.UICC_OTA_KID) ? 'KID key' : '',
  ].filter(Boolean);
  if (notStored.length) {
    warnings.push(`the ${notStored.join(' and ')} came from a file or the environment and ${notStored.length > 1 ? 'were' : 'was'} not stored: add "keyset" (or test keys under "keys") to the case's inputs before committing, or it will not verify`);
  }
  return { inputs, warnings, keys: resolved };
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}

function defaultId(kind: string, dialect: string, i: Inputs): string {
  return [dialect, kind, `spi${i.spi}`, `kic${i.kic}`, `kid${i.kid}`, `tar${i.tar}`, `cntr${i.counter}`].join('-');
}

/** A readable copy of the command line (key values never included). */
function commandLine(o: RecordOpts): string {
  const a = ['uicc-ota', 'vectors', 'record', '--out', o.out, '--kind', o.kind, '--dialect', o.dialect];
  const add = (flag: string, v: string | undefined) => v !== undefined && a.push(flag, v);
  add('--spi', o.spi); add('--kic', o.kic); add('--kid', o.kid); add('--tar', o.tar); add('--counter', o.counter);
  for (const x of o.apdu) a.push('--apdu', x);
  add('--data', o.data);
  if (o.expanded) a.push('--expanded');
  if (o.indefinite) a.push('--indefinite');
  add('--cc-len', o.ccLen); add('--status', o.status); add('--keyset', o.keyset); add('--kvn', o.kvn);
  add('--kic-alg', o.kicAlg); add('--kid-alg', o.kidAlg);
  if (o.kicKey !== undefined) a.push('--kic-key', '…');
  if (o.kidKey !== undefined) a.push('--kid-key', '…');
  return a.map((x) => (/^[\w@%+=:,./…-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export async function vectorsRecord(o: RecordOpts): Promise<void> {
  const kind = getKind(o.kind);
  if (!kind) throw new InputError(`unknown kind "${o.kind}"`, { field: '--kind' });
  const outFile = resolve(o.out);
  let doc: Record<string, unknown>;
  if (existsSync(outFile)) {
    const { error, doc: d } = loadFile(outFile);
    if (error) throw new IoError(`will not add to a file that is not a valid vector file (${error.message})`, { field: o.out });
    doc = d!;
  } else {
    doc = { $schema: relSchema(outFile), format: FORMAT, description: o.description ?? 'recorded vectors', cases: [] };
  }
  const { inputs, warnings, keys } = await recordInputs(o, outFile);
  const id = o.id ?? defaultId(o.kind, o.dialect, inputs);
  const cases = doc.cases as Record<string, unknown>[];
  const at = cases.findIndex((c) => c.id === id);
  if (at >= 0 && !o.force) throw new InputError(`case "${id}" already exists in ${o.out} (use --force to replace it)`, { field: '--id' });

  // Build and parse with the keys the options resolve to, exactly as verify will from the stored inputs.
  const ctx = { file: outFile, dialect: o.dialect, keys };
  const bytes = kind.build(inputs, ctx);
  const fields = kind.parse(bytes, inputs, ctx);
  const entry: Record<string, unknown> = {
    id,
    kind: o.kind,
    dialect: o.dialect,
    description: o.description ?? `recorded with uicc-ota vectors record`,
    inputs,
    expected: { hex: bytes.length === 1 ? toHex(bytes[0]) : bytes.map(toHex), fields: kind.summary ? kind.summary(fields) : fields },
    provenance: {
      method: 'recorded',
      commands: [commandLine(o)],
      source: o.provenance ?? 'output of uicc-ota itself, NOT independent: check it against an independent implementation or a real card, then say how here',
    },
  };
  if (at >= 0) cases[at] = entry;
  else cases.push(entry);
  writeFileAtomic(outFile, JSON.stringify(doc, null, 2) + '\n');
  if (!o.provenance) warnings.push('no --provenance: the case says it is not independently checked; a golden vector needs an independent source');
  for (const w of warnings) process.stderr.write(`uicc-ota: warning: ${w}\n`);
  writeOut(`${at >= 0 ? 'replaced' : 'recorded'} case ${id} in ${o.out}: ${bytes.map(toHex).join(' ')}`);
}

function relSchema(outFile: string): string {
  const p = relative(dirname(outFile), join(packageRoot(), 'vectors', 'schema.json'));
  return p.split('\\').join('/');
}
