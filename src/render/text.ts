/** Text renderer of TreeNodes: indented like Wireshark's packet details, coloured with chalk when allowed. */
import type { ChalkInstance } from 'chalk';
import { renderMemo, type TreeNode } from './tree.js';

export interface RenderOptions {
  color: boolean;
  /** Show Wireshark-style bit lines under bit-coded octets. */
  bits?: boolean;
}

type Paint = (s: string) => string;
interface Palette { name: Paint; value: Paint; hex: Paint; ok: Paint; fail: Paint; warn: Paint; info: Paint; bits: Paint }
const plain: Paint = (s) => s;
const PLAIN: Palette = { name: plain, value: plain, hex: plain, ok: plain, fail: plain, warn: plain, info: plain, bits: plain };

function palette(chalk: ChalkInstance | undefined): Palette {
  if (!chalk) return PLAIN;
  return {
    name: chalk.bold, value: chalk.cyan, hex: chalk.gray, ok: chalk.green, fail: chalk.red.bold,
    warn: chalk.yellow, info: chalk.dim, bits: chalk.dim,
  };
}

const MARK = { ok: '✓', fail: '✗', warn: '!', info: '·' } as const;

/** Indentation by depth, built once. */
const INDENT: string[] = [];
const indent = (d: number): string => INDENT[d] ?? (INDENT[d] = '  '.repeat(d));

export function renderTree(nodes: TreeNode[], opts: RenderOptions, chalk?: ChalkInstance): string {
  return renderFrom(nodes, opts, chalk, 0);
}

/** A node's own lines (its name line, a leaf's long hex, its bit lines), without its children's. */
function ownLines(n: TreeNode, depth: number, bits: boolean, p: Palette, plainText: boolean): string {
  const ind = indent(depth);
  const value = n.value;
  const hex = n.hex;
  let line = ind + (plainText ? n.name : p.name(n.name));
  if (value !== undefined) line += ': ' + (plainText ? value : p.value(value));
  if (hex !== undefined && hex.length && hex.length <= 64 && value !== hex && !(value !== undefined && value.includes(hex))) line += '  ' + (plainText ? `[${hex}]` : p.hex(`[${hex}]`));
  const status = n.status;
  if (status) {
    const paint = p[status];
    line += '  ' + paint(MARK[status] + (n.note ? ' ' + n.note : ''));
  } else if (n.note) line += '  ' + p.info(`(${n.note})`);
  let out = line + '\n';
  const kids = n.children;
  // Long hex is shown for leaves only: a container's octets are its children's.
  if (hex !== undefined && hex.length > 64 && !(kids && kids.length)) {
    const sub = ind + '    ';
    for (let i = 0; i < hex.length; i += 64) out += sub + (plainText ? hex.slice(i, i + 64) : p.hex(hex.slice(i, i + 64))) + '\n';
  }
  if (bits && n.bits) {
    const sub = ind + '    ';
    for (const b of n.bits) out += sub + (plainText ? b : p.bits(b)) + '\n';
  }
  return out;
}

/** renderTree with the top nodes at `depth0`. */
function renderFrom(nodes: TreeNode[], opts: RenderOptions, chalk: ChalkInstance | undefined, depth0: number): string {
  if (!nodes.length) return '\n';
  const p = opts.color ? palette(chalk) : PLAIN;
  const plainText = p === PLAIN;
  const bits = opts.bits !== false;
  // One string grown line by line (no array of lines to join).
  let out = '';
  const walk = (n: TreeNode, depth: number) => {
    const memo = plainText && (n.children || n.bits) ? renderMemo(n) : undefined;
    if (memo) {
      const texts = memo.text;
      const k = depth * 2 + (bits ? 1 : 0);
      let t = texts[k];
      if (t === undefined) {
        const before = out;
        out = '';
        draw(n, depth);
        t = texts[k] = out;
        out = before;
      }
      out += t;
      return;
    }
    draw(n, depth);
  };
  const draw = (n: TreeNode, depth: number) => {
    out += ownLines(n, depth, bits, p, plainText);
    const kids = n.children;
    if (kids) for (let i = 0; i < kids.length; i++) walk(kids[i], depth + 1);
  };
  for (const n of nodes) walk(n, depth0);
  return out;
}

/** Where renderTreeTo puts its output: text lines, and the octets of shared subtrees encoded once. */
export interface TextOut {
  text(s: string): void;
  bytes(b: Uint8Array): void;
}

/**
 * renderTree's plain text (no colour), handed to `out` in pieces: the lines
 * between shared subtrees as one string each, and the shared subtrees as
 * their UTF-8 octets, encoded once.
 */
export function renderTreeTo(nodes: TreeNode[], opts: { bits?: boolean }, out: TextOut): void {
  if (!nodes.length) return out.text('\n');
  const bits = opts.bits !== false;
  // The lines between two shared subtrees go out as one string (fewer, larger writes).
  let acc = '';
  const walk = (n: TreeNode, depth: number) => {
    const memo = renderMemo(n);
    if (!(n.children || n.bits)) {
      // A shared leaf: its line kept as text, added to the run.
      acc += memo ? (memo.text[depth * 2 + (bits ? 1 : 0)] ??= ownLines(n, depth, bits, PLAIN, true)) : ownLines(n, depth, bits, PLAIN, true);
      return;
    }
    if (memo) {
      const list = memo.bytes;
      const k = depth * 2 + (bits ? 1 : 0);
      let b = list[k];
      if (b === undefined) b = list[k] = Buffer.from(renderFrom([n], { color: false, bits }, undefined, depth), 'utf8');
      if (acc) {
        out.text(acc);
        acc = '';
      }
      out.bytes(b);
      return;
    }
    acc += ownLines(n, depth, bits, PLAIN, true);
    const kids = n.children;
    if (kids) for (let i = 0; i < kids.length; i++) walk(kids[i], depth + 1);
  };
  for (const n of nodes) walk(n, 0);
  if (acc) out.text(acc);
}
