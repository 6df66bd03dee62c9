/** Text renderer of TreeNodes: indented like Wireshark's packet details, coloured with chalk when allowed. */
import type { ChalkInstance } from 'chalk';
import type { TreeNode } from './tree.js';

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

export function renderTree(nodes: TreeNode[], opts: RenderOptions, chalk?: ChalkInstance): string {
  const p = opts.color ? palette(chalk) : PLAIN;
  const out: string[] = [];
  const walk = (n: TreeNode, depth: number) => {
    const ind = '  '.repeat(depth);
    let line = ind + p.name(n.name);
    if (n.value !== undefined) line += ': ' + p.value(n.value);
    if (n.hex !== undefined && n.hex.length && n.hex.length <= 64 && n.value !== n.hex && !(n.value ?? '').includes(n.hex)) line += '  ' + p.hex(`[${n.hex}]`);
    if (n.status) {
      const paint = p[n.status];
      line += '  ' + paint(MARK[n.status] + (n.note ? ' ' + n.note : ''));
    } else if (n.note) line += '  ' + p.info(`(${n.note})`);
    out.push(line);
    // Long hex is shown for leaves only: a container's octets are its children's.
    if (n.hex !== undefined && n.hex.length > 64 && !(n.children && n.children.length)) {
      for (let i = 0; i < n.hex.length; i += 64) out.push(ind + '    ' + p.hex(n.hex.slice(i, i + 64)));
    }
    if (opts.bits !== false && n.bits) for (const b of n.bits) out.push(ind + '    ' + p.bits(b));
    for (const c of n.children ?? []) walk(c, depth + 1);
  };
  for (const n of nodes) walk(n, 0);
  return out.join('\n') + '\n';
}
