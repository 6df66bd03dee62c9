/**
 * Fuzz loop shared by `npm run fuzz` and the test suite, plus the regression
 * corpus (test/fuzz-corpus/<target>/*.hex: one input per file, hex).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { fromHex, toHex } from '../../src/util/hex.js';
import { Rng, classify, minimise, nextInput, signature, type FuzzTarget, type Outcome } from './engine.js';
import { ROOT } from './targets.js';

export interface Finding {
  target: string;
  signature: string;
  outcome: Outcome;
  input: Uint8Array;
  minimised?: Uint8Array;
}

export interface RunStats {
  target: string;
  inputs: number;
  findings: Finding[];
  ms: number;
  maxHeapMb: number;
}

/** Heap above this (MB) after a collection-free run of inputs counts as unbounded memory. */
export const HEAP_BOUND_MB = Number(process.env.FUZZ_HEAP_BOUND_MB ?? 1024);

export function fuzzTarget(t: FuzzTarget, seed: number, count: number, opts: { minimise?: boolean; stopAfter?: number } = {}): RunStats {
  const rng = new Rng(seed ^ hashName(t.name));
  const seeds = t.seeds();
  const seen = new Map<string, Finding>();
  const t0 = performance.now();
  let maxHeap = 0;
  let i = 0;
  for (; i < count; i++) {
    const input = nextInput(rng, seeds, t.maxLength ?? 1 << 18, t.json);
    const o = classify(t, input);
    if (!o.ok) {
      const sig = signature(o);
      if (!seen.has(sig)) {
        const f: Finding = { target: t.name, signature: sig, outcome: o, input };
        // A slow input is not minimised: every try would take as long again.
        if (opts.minimise && o.kind !== 'slow') f.minimised = minimise(t, input);
        seen.set(sig, f);
        if (opts.stopAfter && seen.size >= opts.stopAfter) break;
      }
    }
    if ((i & 1023) === 0) {
      const mb = process.memoryUsage().heapUsed / 2 ** 20;
      maxHeap = Math.max(maxHeap, mb);
      if (mb > HEAP_BOUND_MB) {
        seen.set('memory', { target: t.name, signature: 'memory', outcome: { ok: false, kind: 'memory', message: `heap ${Math.round(mb)} MB` }, input });
        break;
      }
    }
  }
  return { target: t.name, inputs: i, findings: [...seen.values()], ms: performance.now() - t0, maxHeapMb: Math.round(maxHeap) };
}

function hashName(s: string): number {
  let x = 2166136261;
  for (const c of s) x = Math.imul(x ^ c.charCodeAt(0), 16777619);
  return x >>> 0;
}

export const CORPUS = join(ROOT, 'test/fuzz-corpus');

/** The regression inputs of one target. */
export function corpus(target: string): { file: string; input: Uint8Array }[] {
  const dir = join(CORPUS, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((f) => ({ file: join(dir, f), input: fromHex(readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => !l.startsWith('#')).join('').trim() || '') }));
}

/** Keep a (minimised) crash as a regression input; returns the file written. */
export function saveToCorpus(f: Finding): string {
  const input = f.minimised ?? f.input;
  const dir = join(CORPUS, f.target);
  mkdirSync(dir, { recursive: true });
  const name = createHash('sha256').update(input).digest('hex').slice(0, 16) + '.hex';
  const file = join(dir, name);
  writeFileSync(file, `# ${f.signature.replace(/\n/g, ' ')}\n${toHex(input)}\n`);
  return file;
}
