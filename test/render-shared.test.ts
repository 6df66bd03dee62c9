/**
 * Subtrees shared across packets (render/tree.ts treeMemo: SPI, KIc, KID,
 * TP-PID, TP-DCS, addresses, UDH, remote scripts and responses...) and the
 * lines the text renderer keeps for them must print exactly what the general
 * path prints. The capture mixes shapes (3DES + CC with ciphering, RC without,
 * two TARs, PoRs by SEND SHORT MESSAGE, each exchange twice so the second one
 * hits the memos). Expected text: the same trees deep-copied (copies are never
 * shared, so the renderer walks them node by node), the general path whose
 * fields read.test.ts checks against tshark.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, KEYSET } from './helpers/cli.js';
import { streamCapture } from '../src/api/capture.js';
import { renderTree, renderTreeTo } from '../src/render/text.js';
import { isShared, type TreeNode } from '../src/render/tree.js';

const DIR = mkdtempSync(join(tmpdir(), 'render-shared-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
const K = ['--keyset', KEYSET];

/** One exchange (command ENVELOPE, PoR by FETCH) as pcap records without the file header. */
function exchange(n: number, sec: string[], tar: string, apdu: string): { head: Buffer; records: Buffer } {
  const env = join(DIR, `e${n}.pcap`);
  const por = join(DIR, `p${n}.pcap`);
  assert.equal(run(['build', 'sms', ...K, ...sec, '--tar', tar, '--counter', String(n), '--apdu', apdu, '--format', 'envelope', '--pcap', env]).code, 0);
  const pkt = run(['build', 'sms', ...K, ...sec, '--tar', tar, '--counter', String(n), '--apdu', apdu, '--format', 'packet']).stdout.trim();
  assert.equal(run(['build', 'por', ...K, '--request', pkt, '--sw', '9000', '--format', 'proactive', '--pcap', por]).code, 0);
  const a = readFileSync(env);
  const b = readFileSync(por);
  return { head: a.subarray(0, 24), records: Buffer.concat([a.subarray(24), b.subarray(24)]) };
}

const clone = (n: TreeNode): TreeNode => ({ ...n, ...(n.bits ? { bits: [...n.bits] } : {}), ...(n.children ? { children: n.children.map(clone) } : {}) });
const anyShared = (n: TreeNode): boolean => isShared(n) || (n.children ?? []).some(anyShared);

describe('shared subtrees print what the general path prints', () => {
  it('a capture mixing shapes, each exchange twice: every item, with and without bit lines', async () => {
    const x1 = exchange(1, [], 'B00010', '00A40004023F00');
    const x2 = exchange(2, ['--spi', '0121', '--kic', '00', '--kid', '11'], 'B00001', '00B0000004');
    const x3 = exchange(3, [], 'B00010', '00A4000402' + '7FFF');
    const file = join(DIR, 'mixed.pcap');
    writeFileSync(file, Buffer.concat([x1.head, x1.records, x2.records, x3.records, x1.records, x2.records, x3.records]));
    const trees: TreeNode[] = [];
    await streamCapture(file, file, { keyset: KEYSET, tree: true, json: false }, { item: (i) => void trees.push(i.tree!), brief: () => undefined });
    assert.equal(trees.length, 12);
    assert.ok(trees.every(anyShared), 'every item has shared subtrees');
    for (const t of trees) {
      for (const bits of [true, false]) {
        const opts = { color: false, bits };
        assert.equal(renderTree([t], opts), renderTree([clone(t)], opts));
        // parse --read's path: lines as text, shared subtrees as their octets encoded once.
        let to = '';
        renderTreeTo([t], { bits }, { text: (s) => void (to += s), bytes: (b) => void (to += Buffer.from(b).toString('utf8')) });
        assert.equal(to, renderTree([clone(t)], opts));
      }
    }
    // The repeated exchanges (memo hits) print as the first ones, but for their frame numbers.
    const strip = (s: string) => s.replace(/\bframe \d+|\bFrames? \d+/g, 'frame N');
    for (let i = 0; i < 6; i++) assert.equal(strip(renderTree([trees[i + 6]], { color: false })), strip(renderTree([clone(trees[i])], { color: false })));
  });
});
