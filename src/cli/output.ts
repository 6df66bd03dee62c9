/** Output helpers shared by all commands: tree or JSON on stdout, errors as one line on stderr. */
import { writeSync } from 'node:fs';
import { isatty } from './isatty.js';
import { IoError } from '../util/errors.js';
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
  return isatty(1); // process.stdout.isTTY, without making the stream
}

/**
 * True while bin/uicc-ota.js's lazy process.stdout getter is in place, i.e. the
 * stream has not been made: nothing can be queued in it, so write(2) on
 * descriptor 1 keeps the order of the output.
 */
function stdoutNotMade(): boolean {
  const d = Object.getOwnPropertyDescriptor(process, 'stdout');
  return Boolean(d?.get && (d.get as unknown as Record<symbol, unknown>)[Symbol.for('uicc-ota.lazy-stdout')]);
}

export function writeOut(s: string): void {
  const text = s.endsWith('\n') ? s : s + '\n';
  if (!stdoutNotMade()) {
    process.stdout.write(text);
    return;
  }
  // Start-up: a command that prints a few lines never makes the stream (for a pipe it loads net and stream).
  const buf = Buffer.from(text);
  let at = 0;
  try {
    while (at < buf.length) at += writeSync(1, buf, at);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') process.exit(Number(process.exitCode ?? 0) || 0); // as bin/uicc-ota.js does for the stream: the reader is gone
    if (code !== 'EAGAIN') throw stdoutError(e);
    process.stdout.write(buf.subarray(at)); // a full non-blocking pipe: the stream waits for room
  }
}

/** A failed write(2) on standard output (not EPIPE) as the one-line exit-3 error; bin/uicc-ota.js words the stream's the same. */
export function stdoutError(e: unknown): IoError {
  const err = e as NodeJS.ErrnoException;
  const m = /^([A-Z0-9_]+): (.*?)(?:, write)?$/.exec(String(err.message));
  return new IoError(`cannot write standard output: ${m ? `${m[2]} (${m[1]})` : err.message}`);
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
