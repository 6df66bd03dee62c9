/**
 * A small JSON Schema (draft 2020-12) validator for the keywords that
 * vectors/schema.json uses. A keyword it does not know is refused when the
 * schema is loaded, so the schema can never silently say more than we check.
 * Errors carry the JSON path of the offending value (`inputs.spi`,
 * `cases[3].id`) and a plain-English message.
 */
import { InputError } from '../util/errors.js';
import { loadJsonFile } from '../util/json-text.js';

export type Schema = boolean | SchemaObject;
export interface SchemaObject {
  [k: string]: unknown;
}

export interface SchemaError {
  /** JSON path of the value, e.g. `inputs.spi` or `cases[2]` ('' = the whole document). */
  path: string;
  message: string;
}

const ANNOTATIONS = new Set(['$schema', '$id', '$comment', '$defs', 'title', 'description', 'default', 'examples', 'deprecated']);
const ASSERTIONS = new Set([
  '$ref', 'type', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
  'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'minItems', 'maxItems', 'uniqueItems',
  'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else',
]);

/** Refuse keywords we do not implement (recursively). */
export function checkSupported(s: Schema, at = '#'): void {
  if (typeof s === 'boolean') return;
  for (const [k, v] of Object.entries(s)) {
    if (!ANNOTATIONS.has(k) && !ASSERTIONS.has(k)) throw new InputError(`keyword "${k}" at ${at} is not supported by the vector-schema validator`, { layer: 'vectors/schema.json' });
    if (k === 'properties' || k === '$defs') for (const [n, sub] of Object.entries(v as object)) checkSupported(sub as Schema, `${at}/${k}/${n}`);
    else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') (v as Schema[]).forEach((sub, i) => checkSupported(sub, `${at}/${k}/${i}`));
    else if (['items', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else'].includes(k)) checkSupported(v as Schema, `${at}/${k}`);
  }
}

export function loadSchema(path: string): SchemaObject {
  const s = loadJsonFile(path, 'the vector schema', 'vector schema') as SchemaObject;
  checkSupported(s);
  return s;
}

export interface ValidateOptions {
  /** Do not descend into values at these paths (they are validated separately). */
  skip?: (path: string) => boolean;
}

/** Validate `value` against `schema` (`root` resolves `#/...` references). Returns every error found, outermost first. */
export function validate(root: SchemaObject, schema: Schema, value: unknown, path = '', opts: ValidateOptions = {}): SchemaError[] {
  const errs: SchemaError[] = [];
  walk(root, schema, value, path, errs, opts);
  return errs;
}

export function resolveRef(root: SchemaObject, ref: string): Schema {
  if (!ref.startsWith('#')) throw new InputError(`only local references are supported: ${ref}`, { layer: 'vectors/schema.json' });
  let cur: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof cur !== 'object' || cur === null || !(key in cur)) throw new InputError(`unresolvable reference ${ref}`, { layer: 'vectors/schema.json' });
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur as Schema;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(t: string, v: unknown): boolean {
  const a = typeOf(v);
  return a === t || (t === 'number' && a === 'integer');
}

const join = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? s.slice(0, 37) + '...' : s;
}

function walk(root: SchemaObject, s: Schema, v: unknown, path: string, errs: SchemaError[], opts: ValidateOptions): void {
  if (s === true) return;
  if (s === false) {
    errs.push({ path, message: 'is not allowed here' });
    return;
  }
  if (path && opts.skip?.(path)) return;
  const what = typeof s.description === 'string' ? ` (${s.description})` : '';
  if (typeof s.$ref === 'string') walk(root, resolveRef(root, s.$ref), v, path, errs, opts);
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => typeMatches(t, v))) {
      errs.push({ path, message: `must be ${types.map(article).join(' or ')}, not ${article(typeOf(v))}${what}` });
      return; // other keywords would only repeat the problem
    }
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => deepEqual(e, v))) {
    errs.push({ path, message: `must be one of ${(s.enum as unknown[]).map(show).join(', ')}, not ${show(v)}` });
  }
  if (s.const !== undefined && !deepEqual(s.const, v)) errs.push({ path, message: `must be ${show(s.const)}, not ${show(v)}` });
  if (typeof v === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) errs.push({ path, message: `${show(v)} does not match ${s.pattern}${what}` });
    const n = [...v].length;
    if (typeof s.minLength === 'number' && n < s.minLength) errs.push({ path, message: s.minLength === 1 ? 'must not be empty' : `must have at least ${s.minLength} characters` });
    if (typeof s.maxLength === 'number' && n > s.maxLength) errs.push({ path, message: `must have at most ${s.maxLength} characters` });
  }
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) errs.push({ path, message: `${v} is less than ${s.minimum}${what}` });
    if (typeof s.maximum === 'number' && v > s.maximum) errs.push({ path, message: `${v} is more than ${s.maximum}${what}` });
  }
  if (typeOf(v) === 'object') objectKeywords(root, s, v as Record<string, unknown>, path, errs, opts);
  if (Array.isArray(v)) {
    if (typeof s.minItems === 'number' && v.length < s.minItems) errs.push({ path, message: s.minItems === 1 ? 'must not be an empty list' : `must have at least ${s.minItems} entries` });
    if (typeof s.maxItems === 'number' && v.length > s.maxItems) errs.push({ path, message: `must have at most ${s.maxItems} entries` });
    if (s.uniqueItems === true) {
      for (let i = 1; i < v.length; i++) {
        if (v.slice(0, i).some((x) => deepEqual(x, v[i]))) errs.push({ path: join(path, i), message: `repeats an earlier entry ${show(v[i])}` });
      }
    }
    if (s.items !== undefined) v.forEach((x, i) => walk(root, s.items as Schema, x, join(path, i), errs, opts));
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf as Schema[]) walk(root, sub, v, path, errs, opts);
  if (Array.isArray(s.anyOf)) {
    const results = (s.anyOf as Schema[]).map((sub) => validate(root, sub, v, path, opts));
    if (!results.some((r) => r.length === 0)) errs.push(bestAlternative(s.anyOf as Schema[], results, path, 'any'));
  }
  if (Array.isArray(s.oneOf)) {
    const results = (s.oneOf as Schema[]).map((sub) => validate(root, sub, v, path, opts));
    const ok = results.filter((r) => r.length === 0).length;
    if (ok === 0) errs.push(bestAlternative(s.oneOf as Schema[], results, path, 'one'));
    else if (ok > 1) errs.push({ path, message: `matches ${ok} of the alternatives where exactly one is allowed${onlyRequired(s.oneOf as Schema[]) ? ` (give only one of ${requiredNames(s.oneOf as Schema[])})` : ''}` });
  }
  if (s.not !== undefined && validate(root, s.not as Schema, v, path, opts).length === 0) {
    const n = s.not as SchemaObject;
    errs.push({ path, message: Array.isArray(n.required) ? `must not have all of ${(n.required as string[]).join(', ')} together` : 'matches a form that is not allowed' });
  }
  if (s.if !== undefined) {
    const cond = validate(root, s.if as Schema, v, path, opts).length === 0;
    if (cond && s.then !== undefined) walk(root, s.then as Schema, v, path, errs, opts);
    if (!cond && s.else !== undefined) walk(root, s.else as Schema, v, path, errs, opts);
  }
}

function objectKeywords(root: SchemaObject, s: SchemaObject, o: Record<string, unknown>, path: string, errs: SchemaError[], opts: ValidateOptions): void {
  if (Array.isArray(s.required)) for (const k of s.required as string[]) if (!(k in o)) errs.push({ path: join(path, k), message: 'is required but missing' });
  const props = (s.properties ?? {}) as Record<string, Schema>;
  for (const [k, x] of Object.entries(o)) {
    if (k in props) walk(root, props[k], x, join(path, k), errs, opts);
    else if (s.additionalProperties === false) errs.push({ path: join(path, k), message: `is not a known field${Object.keys(props).length ? ` (known: ${Object.keys(props).join(', ')})` : ''}` });
    else if (s.additionalProperties !== undefined) walk(root, s.additionalProperties as Schema, x, join(path, k), errs, opts);
    if (s.propertyNames !== undefined) walk(root, s.propertyNames as Schema, k, join(path, k), errs, opts);
  }
}

function onlyRequired(alts: Schema[]): boolean {
  return alts.every((a) => typeof a === 'object' && Object.keys(a).length === 1 && Array.isArray(a.required));
}
function requiredNames(alts: Schema[]): string {
  return alts.map((a) => ((a as SchemaObject).required as string[]).join('+')).join(', ');
}

/** The error of the alternative that got furthest (deepest path), or a summary for required-only alternatives. */
function bestAlternative(alts: Schema[], results: SchemaError[][], path: string, how: 'any' | 'one'): SchemaError {
  if (onlyRequired(alts)) return { path, message: `needs ${how === 'one' ? 'exactly one' : 'one'} of ${requiredNames(alts)}` };
  let best = results[0][0];
  for (const r of results) for (const e of r) if (e.path.length > best.path.length) best = e;
  return best ?? { path, message: 'matches none of the allowed forms' };
}

function article(t: string): string {
  return t === 'object' || t === 'array' || t === 'integer' ? `an ${t}` : t === 'null' ? 'null' : `a ${t}`;
}
