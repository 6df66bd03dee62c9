/**
 * Scratch arrays (src/util/bytes.ts): fresh zero-filled views that never
 * overlap, so a value kept by mistake still holds its own octets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scratch, scratchConcat } from '../src/util/bytes.js';

describe('scratch arrays', () => {
  it('are zero-filled, of the length asked, and never share octets', () => {
    const seen: Uint8Array[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = 1 + ((i * 37) % 2200);
      const a = scratch(n);
      assert.equal(a.length, n);
      assert.ok(a.every((x) => x === 0), `fresh array of ${n} octets is zero-filled`);
      a.fill(0xa5);
      seen.push(a);
    }
    // Every earlier array still holds only its own fill: none was handed out twice.
    for (const a of seen) assert.ok(a.every((x) => x === 0xa5));
  });
  it('longer or short ones own their store', () => {
    assert.equal(scratch(3000).buffer.byteLength, 3000);
    assert.equal(scratch(64).buffer.byteLength, 64);
  });
  it('scratchConcat puts the parts one after the other', () => {
    const c = scratchConcat(Uint8Array.of(1, 2), new Uint8Array(100).fill(3), Uint8Array.of(4));
    assert.equal(c.length, 103);
    assert.deepEqual([c[0], c[1], c[2], c[101], c[102]], [1, 2, 3, 3, 4]);
  });
});

describe('isHexText', () => {
  it('says exactly when fromHex would succeed, on a whole string or a range of one', async () => {
    const { fromHex, isHexText } = await import('../src/util/hex.js');
    const ok = (s: string) => {
      try {
        fromHex(s, '');
        return true;
      } catch {
        return false;
      }
    };
    const cases = ['', '00', '0', 'ZZ', '0x00', '0x0', '0X1f 0x2E', '00:11-22,33', ' 0a\t0B ', 'x00', '00x0', '0x', '0xx0', 'éé', '0 0', '000'];
    // Random strings over the characters fromHex treats specially.
    const alphabet = '0123456789abcdefABCDEFxXgZ :-,\t\r\n';
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 3000; i++) cases.push(Array.from({ length: rnd(12) }, () => alphabet[rnd(alphabet.length)]).join(''));
    for (const s of cases) {
      assert.equal(isHexText(s), ok(s), JSON.stringify(s));
      // The same string inside a longer text, checked by range.
      const text = `zz${s}\nq`;
      assert.equal(isHexText(text, 2, 2 + s.length), ok(s), `range of ${JSON.stringify(s)}`);
    }
  });
});
