/** Output helpers shared by all commands: tree or JSON on stdout, errors as one line on stderr. */
import type { TreeNode } from '../render/tree.js';

export interface OutputOptions {
  json?: boolean;
  color?: boolean;
  bits?: boolean;
}

/** Colour only for a terminal, and never with NO_COLOR or --no-color (https://no-color.org). */
export function useColor(opts: { color?: boolean }): boolean {
  if (opts.color === false) return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(process.stdout.isTTY);
}

export function writeOut(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : s + '\n');
}

export function printJson(v: unknown): void {
  // The JSON v1 version tag `format` goes first, wherever the object got it from.
  if (v && typeof v === 'object' && !Array.isArray(v) && 'format' in v) {
    const { format, ...rest } = v as Record<string, unknown>;
    v = { format, ...rest };
  }
  writeOut(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? Buffer.from(x).toString('hex').toUpperCase() : x), 2));
}

export async function printTree(nodes: TreeNode[], opts: OutputOptions): Promise<void> {
  const color = useColor(opts);
  const { renderTree } = await import('../render/text.js');
  const chalk = color ? (await import('chalk')).default : undefined;
  writeOut(renderTree(nodes, { color, bits: opts.bits }, chalk));
}

/** The closing verdict / outcome lines under a tree (src/render/verdict.ts). */
export { verdictNode, outcomeNodes } from '../render/verdict.js';
