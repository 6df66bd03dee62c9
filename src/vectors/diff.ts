/** Comparing what was built/parsed with what a vector expects, and saying precisely where they part. */
import type { FieldSpan, Layout } from './kinds.js';

const hx = (n: number | undefined) => (n === undefined ? '(none)' : n.toString(16).toUpperCase().padStart(2, '0'));

export interface ByteDiff {
  /** First differing octet (or where the shorter one ends). */
  offset: number;
  /** Field at that octet, e.g. "TAR" or "ciphered part (CNTR…padding)". */
  field: string;
  /** Plaintext field of a ciphered part, when both sides could be deciphered. */
  plainField?: string;
  plainOffset?: number;
  message: string;
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function nameAt(spans: FieldSpan[], i: number): string | undefined {
  return spans.find((s) => i >= s.start && i < s.end)?.name;
}

/** null when equal; else the first difference, named by `layout` (of the expected bytes, or of the built ones). */
export function byteDiff(expected: Uint8Array, actual: Uint8Array, layout?: Layout): ByteDiff | null {
  const i = firstDiff(expected, actual);
  if (i < 0) return null;
  const field = (layout && nameAt(layout.spans, i)) ?? (i >= expected.length ? 'after the end of the expected octets' : 'unknown field');
  const len = expected.length !== actual.length ? `length differs: expected ${expected.length} octets, got ${actual.length}; ` : '';
  let message = `${len}byte ${i} (${field}) differs: expected ${hx(expected[i])}, got ${hx(actual[i])}`;
  const d: ByteDiff = { offset: i, field, message };
  const c = layout?.ciphered;
  if (c && i >= c.start) {
    const pe = c.decipher(expected);
    const pa = c.decipher(actual);
    if (pe && pa) {
      const j = firstDiff(pe, pa);
      if (j >= 0) {
        const pf = nameAt(c.spans(pe), j) ?? nameAt(c.spans(pa), j) ?? 'unknown field';
        d.plainField = pf;
        d.plainOffset = j;
        message += `; deciphered, the first difference is in ${pf} (plaintext byte ${j}: expected ${hx(pe[j])}, got ${hx(pa[j])})`;
      }
    } else {
      message += '; (not deciphered: no key, or not whole cipher blocks)';
    }
    d.message = message;
  }
  return d;
}

export interface FieldDiff {
  /** JSON path, e.g. `checksum.value` or `apdus[1]`. */
  path: string;
  expected: unknown;
  actual: unknown;
  message: string;
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Deep partial match: every key of an expected object must match (extra
 * actual keys are fine); lists must have the same length and match entry by
 * entry; anything else must be equal. Returns the first difference.
 */
export function partialMatch(expected: unknown, actual: unknown, path = ''): FieldDiff | null {
  const at = path || '(top level)';
  const fail = (msg?: string): FieldDiff => ({ path: at, expected, actual, message: msg ?? `${at}: expected ${show(expected)}, got ${show(actual)}` });
  if (kind(expected) === 'object') {
    if (kind(actual) !== 'object') return fail();
    for (const [k, v] of Object.entries(expected as Record<string, unknown>)) {
      const d = partialMatch(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return fail();
    if (expected.length !== actual.length) return fail(`${at}: expected ${expected.length} entries ${show(expected)}, got ${actual.length} ${show(actual)}`);
    for (let i = 0; i < expected.length; i++) {
      const d = partialMatch(expected[i], actual[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  return expected === actual ? null : fail();
}
