/**
 * The layered structure (README, Layout): nothing outside src/cli/ imports
 * from src/cli/ (the CLI is a thin shell on top), and src/ has no import
 * cycle. Walks the source import graph: static imports and exports, dynamic
 * import() and `typeof import()` types alike (a type-only import still ties
 * two modules together).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname, relative, resolve } from 'node:path';
import { ROOT } from './helpers/cli.js';

const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Relative module specifiers of a file, resolved to source paths under src/. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out = new Set<string>();
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of text.matchAll(re)) out.add(resolve(dirname(file), m[1]).replace(/\.js$/, '.ts'));
  return [...out];
}

const graph = new Map(files(SRC).map((f) => [f, imports(f)]));
const rel = (f: string) => relative(ROOT, f);

test('every import resolves to a source file', () => {
  for (const [f, deps] of graph) for (const d of deps) assert.ok(graph.has(d), `${rel(f)} imports ${rel(d)}, which does not exist`);
});

test('no module outside src/cli/ imports from src/cli/', () => {
  const cli = join(SRC, 'cli') + '/';
  const upward = [...graph].flatMap(([f, deps]) => (f.startsWith(cli) ? [] : deps.filter((d) => d.startsWith(cli)).map((d) => `${rel(f)} -> ${rel(d)}`)));
  assert.deepEqual(upward, []);
});

test('no import cycle in src/', () => {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('the walker sees what it must (self-check on a known edge)', () => {
  assert.ok(graph.get(join(SRC, 'cli', 'commands', 'parse.ts'))!.includes(join(SRC, 'api', 'parse.ts')), 'dynamic import() is followed');
});
