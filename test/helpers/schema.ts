/**
 * Every `--json` output a test produces is validated against the JSON Schemas shipped in
 * `schema/` (JSON v1, draft 2020-12): the object's `format` tag ("uicc-ota-<kind>/1") names
 * the schema. Arrays (tar, status lists) are checked against the list schema of the command.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './paths.js';

const require = createRequire(import.meta.url);
// ajv is a devDependency, used only by the tests.
const Ajv2020 = require('ajv/dist/2020').default as new (o: object) => {
  addSchema(s: object): void;
  getSchema(id: string): ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string; params?: unknown }[] | null } | undefined;
};

export const SCHEMA_DIR = join(ROOT, 'schema');
const BASE = 'https://uicc-ota.invalid/schema/';
let ajv: InstanceType<typeof Ajv2020> | undefined;

function load(): InstanceType<typeof Ajv2020> {
  if (ajv) return ajv;
  ajv = new Ajv2020({ strict: false, allErrors: false });
  for (const f of readdirSync(SCHEMA_DIR)) if (f.endsWith('.json')) ajv.addSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')));
  return ajv;
}

export function schemaNames(): string[] {
  return readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
}

/** The problems of one value against schema `name` (empty when valid). */
export function validateAgainst(name: string, v: unknown): string[] {
  const fn = load().getSchema(BASE + name + '.json');
  if (!fn) return [`no schema ${name}.json in schema/`];
  if (fn(v)) return [];
  return (fn.errors ?? []).map((e) => `${e.instancePath || '(top)'}: ${e.message} ${JSON.stringify(e.params)}`);
}

/** One JSON value printed by the CLI: its `format` tag picks the schema. */
export function validateValue(v: unknown, args: string[]): string[] {
  if (Array.isArray(v)) {
    const cmd = args.find((a) => !a.startsWith('-'));
    if (cmd === 'tar') return validateAgainst('tar-list', v);
    if (cmd === 'status') return validateAgainst('status-list', v);
    return [`a JSON array from "${args.join(' ')}" has no schema`];
  }
  if (!v || typeof v !== 'object') return ['not a JSON object'];
  const f = (v as { format?: unknown }).format;
  const m = typeof f === 'string' ? /^uicc-ota-([a-z0-9-]+)\/1$/.exec(f) : null;
  if (!m) return [`no "format": "uicc-ota-<kind>/1" tag (got ${JSON.stringify(f)})`];
  return validateAgainst(m[1], v);
}

/**
 * Validate the stdout of a `--json` run: one JSON document, or JSON Lines. Throws with the
 * first problems, so that any test that runs the CLI with --json fails on a schema violation.
 */
export function assertJsonOutput(stdout: string, args: string[]): void {
  const text = stdout.trim();
  if (!text) return;
  let docs: unknown[];
  try {
    docs = [JSON.parse(text)];
  } catch {
    try {
      docs = text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
    } catch {
      return; // not JSON at all (e.g. --json given to a subcommand that writes hex); other asserts judge that
    }
  }
  for (const d of docs) {
    const errs = validateValue(d, args);
    if (errs.length) throw new Error(`--json output of "uicc-ota ${args.join(' ')}" does not match its schema: ${errs.slice(0, 5).join('; ')}\n${JSON.stringify(d).slice(0, 2000)}`);
  }
}
