/**
 * Short fixed-seed fuzz pass of every parser and replay of the regression
 * corpus (test/fuzz-corpus/<target>/). `npm run fuzz` runs long passes.
 * FUZZ_SUITE_COUNT sets the inputs per target (default 200).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TARGETS } from './fuzz/targets.js';
import { corpus, fuzzTarget } from './fuzz/run.js';
import { classify, timeBound, type FuzzTarget } from './fuzz/engine.js';
import { toHex } from '../src/util/hex.js';

const COUNT = Number(process.env.FUZZ_SUITE_COUNT ?? 200);
// The vector runner builds and parses whole cases: fewer inputs keep it to a few seconds.
const SLOW: Record<string, number> = { vectors: 0.1, card: 0.5 };

for (const t of TARGETS) {
  test(`fuzz ${t.name}: ${COUNT} fixed-seed inputs give a result or a one-line OtaError`, () => {
    const s = fuzzTarget(t, 20261202, Math.max(10, Math.round(COUNT * (SLOW[t.name] ?? 1))));
    assert.deepEqual(s.findings.map((f) => `${f.signature} on ${toHex(f.input.subarray(0, 64))}`), []);
  });
  const kept = corpus(t.name);
  if (kept.length) {
    test(`fuzz ${t.name}: ${kept.length} regression input(s) from test/fuzz-corpus`, () => {
      for (const k of kept) {
        const o = classify(t, k.input);
        assert.ok(o.ok, `${k.file}: ${o.ok ? '' : `${o.kind}: ${o.message}`}`);
      }
    });
  }
}

test('fuzz: every target is registered once and has seeds', () => {
  const names = TARGETS.map((t) => t.name);
  assert.equal(new Set(names).size, names.length);
  for (const t of TARGETS) assert.ok(t.seeds().length > 0, t.name);
  for (const need of ['command', 'por', 'udh', 'tpdu', 'envelope', 'proactive', 'cattp-pdu', 'remote-compact', 'remote-expanded', 'pcap', 'keyset', 'card', 'vectors', 'http-admin', 'http-stream', 'scp81-push', 'smpp-pdu', 'pcap-stream']) {
    assert.ok(names.includes(need), need);
  }
});

test('fuzz: the CPU-time guard reports an input that takes disproportionate time, not one that takes linear time', () => {
  // Two stand-in parsers over the same 64 KiB: one burns CPU past the bound for its length
  // (as the quadratic compact-script splitter did on test/fuzz-corpus/remote-compact/slow-af-64k.hex),
  // one does a single pass.
  const input = new Uint8Array(65536).fill(0xaf);
  const burn = (ms: number) => {
    const c0 = process.cpuUsage();
    let x = 0;
    for (;;) {
      for (let i = 0; i < 1e5; i++) x ^= i;
      const c = process.cpuUsage(c0);
      if ((c.user + c.system) / 1000 > ms) return x;
    }
  };
  const slow: FuzzTarget = { name: 'slow', seeds: () => [input], run: (b) => burn(timeBound(b.length) * 1.2) };
  const linear: FuzzTarget = { name: 'linear', seeds: () => [input], run: (b) => b.reduce((a, x) => a ^ x, 0) };
  const o = classify(slow, input);
  assert.equal(o.ok, false);
  assert.ok(!o.ok && o.kind === 'slow' && /ms of CPU for 65536 octets/.test(o.message), JSON.stringify(o));
  assert.deepEqual(classify(linear, input), { ok: true });
});
