/**
 * Golden-vector runner: for every case, build from the inputs and compare
 * with expected.hex (naming the first differing field), then parse
 * expected.hex with the inputs' keys and compare with expected.fields.
 * A broken file or case is reported as an error for that file or case; the
 * rest of the suite still runs.
 */
import { jsonErrorMessage, parseJsonText } from '../util/json-text.js';
import { upgradeLegacyFields } from './legacy.js';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IoError, OtaError, oneLine } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { loadSchema, validate, type SchemaError, type SchemaObject } from './schema.js';
import { getKind, kindNames, type CaseContext, type Inputs, type Layout } from './kinds.js';
import { byteDiff, partialMatch } from './diff.js';
// Kinds beyond command/response register themselves (after kinds.js, which they import).
import './kinds-framing.js';
import './kinds-cattp.js';

export const FORMAT = 'uicc-ota-vectors/1';

export type Stage = 'file' | 'schema' | 'build' | 'parse' | 'fields';

export interface Problem {
  stage: Stage;
  message: string;
  /** Field named by the problem: a packet field (build), a JSON path (fields, schema). */
  field?: string;
  /** Output index and byte offset of a build difference. */
  output?: number;
  offset?: number;
  expected?: unknown;
  actual?: unknown;
  /** The vector itself is unusable (e.g. its keyset file cannot be read): the case counts as an error. */
  vectorFault?: boolean;
}

export interface CaseResult {
  file: string;
  /** The case id, or `cases[N]` when it has none, or `(file)` for a file-level error. */
  id: string;
  kind?: string;
  dialect?: string;
  status: 'pass' | 'fail' | 'error';
  problems: Problem[];
  /** What was built (hex), when the build ran. */
  built?: string[];
}

export interface Report {
  files: string[];
  cases: CaseResult[];
  passed: number;
  failed: number;
  /** Included in `failed`. */
  errors: number;
}

export interface RunOptions {
  /** Only cases whose id or kind matches. */
  filter?: RegExp;
  /** Path shown in messages instead of the absolute path (default relative to cwd). */
  display?: (path: string) => string;
}

/** Root of the installed package (holds package.json, vectors/). */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let n = 0; n < 6; n++) {
    try {
      const pj = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string };
      if (pj.name === 'uicc-ota') return d;
    } catch {
      /* keep looking */
    }
    d = dirname(d);
  }
  throw new Error('cannot find the uicc-ota package root');
}

let schemaCache: SchemaObject | undefined;
export function vectorSchema(): SchemaObject {
  schemaCache ??= loadSchema(join(packageRoot(), 'vectors', 'schema.json'));
  return schemaCache;
}

/** Vector files under the given paths: folders recursively (*.json, not keysets/ nor schema.json), files as given. */
export function collectFiles(paths: string[]): { files: string[]; missing: { path: string; message: string }[] } {
  const files: string[] = [];
  const missing: { path: string; message: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'keysets') walk(p);
      } else if (e.isFile() && e.name.endsWith('.json') && e.name !== 'schema.json' && !e.name.endsWith('.counters.json')) files.push(p);
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      missing.push({ path: abs, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      continue;
    }
    if (st.isDirectory()) walk(abs);
    else files.push(abs);
  }
  return { files: [...new Set(files)], missing };
}

function schemaProblem(e: SchemaError, strip: string): Problem {
  const field = e.path.startsWith(strip) ? e.path.slice(strip.length).replace(/^\./, '') : e.path;
  return { stage: 'schema', field: field || '(case)', message: `${field || '(case)'}: ${e.message}` };
}

/** Load and check one file; returns the file-level error or the raw cases. */
export function loadFile(path: string): { error?: Problem; doc?: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { error: { stage: 'file', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` } };
  }
  let doc: unknown;
  try {
    doc = parseJsonText(text);
  } catch (e) {
    return { error: { stage: 'file', message: `not valid JSON: ${jsonErrorMessage(e, text)}` } };
  }
  const root = vectorSchema();
  // The cases are checked one by one below, so that one bad case does not hide the others.
  const errs = validate(root, root, doc, '', { skip: (p) => /^cases\[\d+\]$/.test(p) });
  if (errs.length) {
    const e = errs[0];
    return { error: { stage: 'schema', field: e.path || '(top level)', message: `${e.path || '(top level)'}: ${e.message}` } };
  }
  return { doc: doc as Record<string, unknown> };
}

function hexList(v: unknown): Uint8Array[] {
  return (Array.isArray(v) ? v : [v]).map((h, n) => fromHex(String(h), `expected.hex${Array.isArray(v) ? `[${n}]` : ''}`));
}

/** A keyset that cannot be read or is invalid is the vector's fault, not the engine's. */
function vectorFault(e: unknown): boolean | undefined {
  if (e instanceof IoError) return true;
  return e instanceof OtaError && (e.where.layer ?? '').startsWith('keyset ') ? true : undefined;
}

function message(e: unknown): string {
  return e instanceof OtaError ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}`;
}

/** Run one schema-valid case. */
export function runCase(c: Record<string, unknown>, file: string): CaseResult {
  const id = String(c.id);
  const res: CaseResult = { file, id, kind: String(c.kind), dialect: String(c.dialect), status: 'pass', problems: [] };
  const kind = getKind(res.kind!);
  if (!kind) {
    res.status = 'error';
    res.problems.push(unknownKindProblem(res.kind!));
    return res;
  }
  const inputs = c.inputs as Inputs;
  const exp = c.expected as { hex: string | string[]; fields: Record<string, unknown> };
  const ctx: CaseContext = { file, dialect: res.dialect! };
  const checks = (c.checks as string[] | undefined) ?? ['build', 'parse'];
  let expected: Uint8Array[];
  try {
    expected = hexList(exp.hex);
  } catch (e) {
    res.status = 'error';
    res.problems.push({ stage: 'schema', field: 'expected.hex', message: message(e) });
    return res;
  }

  if (checks.includes('build')) {
    try {
      const built = kind.build(inputs, ctx);
      res.built = built.map(toHex);
      if (built.length !== expected.length) {
        res.problems.push({ stage: 'build', field: 'expected.hex', message: `build: gives ${built.length} outputs, expected ${expected.length}` });
      }
      for (let n = 0; n < Math.min(built.length, expected.length); n++) {
        const layout = layoutOf(kind.layout, expected[n], n, inputs, ctx) ?? layoutOf(kind.layout, built[n], n, inputs, ctx);
        const d = byteDiff(expected[n], built[n], layout);
        if (d) {
          const which = expected.length > 1 ? `output ${n + 1}: ` : '';
          res.problems.push({
            stage: 'build', field: d.plainField ? `${d.field} / ${d.plainField}` : d.field, output: n, offset: d.offset,
            expected: toHex(expected[n]), actual: toHex(built[n]), message: `build: ${which}${d.message}`,
          });
          break;
        }
      }
    } catch (e) {
      const err = e instanceof OtaError ? e : undefined;
      res.problems.push({ stage: 'build', field: err?.where.field, message: `build: ${message(e)}`, vectorFault: vectorFault(e) });
    }
  }

  if (checks.includes('parse')) {
    try {
      const fields = kind.parse(expected, inputs, ctx);
      const d = partialMatch(upgradeLegacyFields(exp.fields), fields);
      if (d) res.problems.push({ stage: 'fields', field: d.path, expected: d.expected, actual: d.actual, message: `fields: ${d.message}` });
      const implied = kind.implied?.(inputs);
      const di = implied ? partialMatch(implied, fields) : null;
      if (di && !d) res.problems.push({ stage: 'parse', field: di.path, expected: di.expected, actual: di.actual, message: `parse does not give back the input: ${di.message}` });
      if (fields.verified === false && exp.fields.verified !== false) {
        const f = Array.isArray(fields.failures) ? (fields.failures as string[]).join('; ') : 'verification failed';
        res.problems.push({ stage: 'parse', field: 'verified', message: `parse: verification failed: ${f}` });
      }
    } catch (e) {
      const err = e instanceof OtaError ? e : undefined;
      res.problems.push({ stage: 'parse', field: err?.where.field, offset: err?.where.offset, message: `parse: ${message(e)}`, vectorFault: vectorFault(e) });
    }
  }
  if (res.problems.length) res.status = res.problems.some((p) => p.vectorFault) ? 'error' : 'fail';
  else delete res.built; // the report keeps what was built only where it differs
  return res;
}

function unknownKindProblem(kind: string): Problem {
  return { stage: 'schema', field: 'kind', message: `kind: unknown kind "${kind}" (known: ${kindNames().join(', ')})` };
}

function layoutOf(f: ((b: Uint8Array, n: number, i: Inputs, c: CaseContext) => Layout | undefined) | undefined, b: Uint8Array, n: number, i: Inputs, ctx: CaseContext): Layout | undefined {
  if (!f) return undefined;
  try {
    return f(b, n, i, ctx);
  } catch {
    return undefined;
  }
}

/** Relative to the working directory when inside it, else absolute. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

function selected(filter: RegExp | undefined, id: unknown, kind: unknown): boolean {
  if (!filter) return true;
  return (typeof id === 'string' && filter.test(id)) || (typeof kind === 'string' && filter.test(kind));
}

/** Run every case of one file (already collected). */
export function runFile(path: string, opts: RunOptions = {}): CaseResult[] {
  // Problem messages quote the file (JSON parser, ids, field values): one line each.
  const out = runFileRaw(path, opts);
  for (const r of out) for (const p of r.problems) p.message = oneLine(p.message);
  return out;
}

function runFileRaw(path: string, opts: RunOptions): CaseResult[] {
  const shown = (opts.display ?? displayPath)(path);
  const { error, doc } = loadFile(path);
  if (error) return [{ file: shown, id: '(file)', status: 'error', problems: [error] }];
  const root = vectorSchema();
  const caseSchema = { $ref: '#/$defs/case' };
  const seen = new Map<string, number>();
  const out: CaseResult[] = [];
  (doc!.cases as unknown[]).forEach((c, n) => {
    const raw = (typeof c === 'object' && c !== null ? c : {}) as Record<string, unknown>;
    if (!selected(opts.filter, raw.id, raw.kind)) return;
    const id = typeof raw.id === 'string' && raw.id ? raw.id : `cases[${n}]`;
    const errs = validate(root, caseSchema, c, `cases[${n}]`);
    const unknownKind = typeof raw.kind === 'string' && /^[a-z][a-z0-9-]*$/.test(raw.kind) && !getKind(raw.kind);
    if (errs.length || unknownKind) {
      const problems = errs.slice(0, 3).map((e) => schemaProblem(e, `cases[${n}]`));
      if (unknownKind) problems.unshift(unknownKindProblem(String(raw.kind)));
      out.push({ file: shown, id, kind: typeof raw.kind === 'string' ? raw.kind : undefined, status: 'error', problems });
      return;
    }
    if (seen.has(id)) {
      out.push({ file: shown, id, kind: String(raw.kind), status: 'error', problems: [{ stage: 'schema', field: 'id', message: `id: duplicate id (also cases[${seen.get(id)}])` }] });
      return;
    }
    seen.set(id, n);
    out.push(runCase(raw, path));
    out[out.length - 1].file = shown;
  });
  return out;
}

export function runSuite(paths: string[], opts: RunOptions = {}): Report {
  const { files, missing } = collectFiles(paths);
  const show = opts.display ?? displayPath;
  const cases: CaseResult[] = missing.map((m) => ({ file: show(m.path), id: '(file)', status: 'error' as const, problems: [{ stage: 'file' as const, message: m.message }] }));
  for (const f of files) cases.push(...runFile(f, opts));
  const passed = cases.filter((c) => c.status === 'pass').length;
  const errors = cases.filter((c) => c.status === 'error').length;
  return { files: files.map(show), cases, passed, failed: cases.length - passed, errors };
}
