/**
 * Malformed input through every command, as a user would run it: one clean
 * stderr line and a documented exit code (1-4), never a stack trace, never 70.
 * The batch part feeds fuzzer-mutated packets (fixed seed) to `parse --each`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, isOneLineError } from './helpers/cli.js';
import { Rng, nextInput } from './fuzz/engine.js';
import { vectorHex } from './fuzz/targets.js';
import { toHex } from '../src/util/hex.js';

const d = mkdtempSync(join(tmpdir(), 'uicc-ota-malformed-'));
const f = (name: string, content: string | Uint8Array) => {
  const p = join(d, name);
  writeFileSync(p, content);
  return p;
};
const badJson = f('bad.json', '{"keysets": [ {"kvn": 1,\n "kic": ');
const wrongKeyset = f('wrong-keyset.json', JSON.stringify({ format: 'uicc-ota-keyset/1', keysets: [{ kvn: 'x\ny' }] }));
const badCard = f('card.json', JSON.stringify({ format: 'uicc-ota-card/1', iccid: '89\n49', keysets: [], applications: [{ tar: 'ZZZ' }] }));
const badPcap = f('bad.pcap', Uint8Array.from([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f]));
const badVectors = f('v.json', '{"format":"uicc-ota-vectors/1","cases":[{"id":"a\\nb","kind":"command","dialect":"sms-pp","inputs":{},"expected":{}}]}');

const CASES: string[][] = [
  ['spi', 'decode', 'ZZ'],
  ['spi', 'decode', '16'],
  ['kic', 'decode', '1FF'],
  ['kid', 'encode', '--alg', 'nope'],
  ['tar', 'B0001'],
  ['status', '1FF'],
  ['build', 'sms', '--spi', '1621', '--tar', 'B0001', '--apdu', '00A4'],
  ['build', 'sms', '--keyset', badJson, '--apdu', '00A40004023F00'],
  ['build', 'sms', '--keyset', wrongKeyset, '--apdu', '00A40004023F00'],
  ['build', 'sms', '--keyset', join(d, 'missing.json'), '--apdu', '00A40004023F00'],
  ['build', 'por', '--spi', '1621', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--status', '100'],
  ['build', 'cattp', '--spi', '0000', '--tar', 'B00010', '--apdu', 'GG'],
  ['parse', '02700000'],
  ['parse', '0011223344556677889900'],
  ['parse', 'sms', '00FF0D00000000B0001000000000000000'],
  ['parse', 'por', '027100'],
  ['parse', '--read', badPcap],
  ['parse', '--read', badJson],
  ['parse', '--cattp', '01820000'],
  ['card', 'process', '--card', badJson, '001A'],
  ['card', 'process', '--card', badCard, '001A'],
  ['cattp', 'build', 'syn', '--seq', '70000'],
  ['cattp', 'build', 'bogus'],
  ['cattp', 'send', '--to', 'nohost', '--sdu', '00'],
  ['cattp', 'serve', '--port', '99999'],
  ['nonsense'],
];

test('malformed input through every command: one stderr line, exit 1-4, no stack trace, never 70', () => {
  const bad: string[] = [];
  for (const args of CASES) {
    const r = run(args);
    const ok = [1, 2, 3, 4].includes(r.code) && isOneLineError(r.stderr);
    if (!ok) bad.push(`${args.join(' ')} → exit ${r.code}: ${JSON.stringify(r.stderr.slice(0, 300))}`);
  }
  assert.deepEqual(bad, []);
});

test('vectors verify on malformed vector files: reported as errors on stdout (exit 1), each problem on one line, no internal error', () => {
  for (const file of [badVectors, badJson]) {
    const r = run(['vectors', 'verify', file]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(!/internal error|\bat .*\.js:\d+/.test(r.stdout + r.stderr), r.stdout);
    const j = run(['vectors', 'verify', '--json', file]);
    const report = JSON.parse(j.stdout) as { cases: { problems: { message: string }[] }[] };
    for (const c of report.cases) for (const p of c.problems) assert.ok(!/[\r\n]/.test(p.message), JSON.stringify(p.message));
  }
});

test('parse --each on 400 fuzzer-mutated packets: one output line per input, no internal error, exit 0-2', () => {
  const rng = new Rng(16);
  const seeds = vectorHex();
  const lines = Array.from({ length: 400 }, () => toHex(nextInput(rng, seeds, 2000)) || '00');
  for (const args of [['parse', '--each'], ['parse', '--each', '--keyset', join(process.cwd(), 'vectors/keysets/test.json')]]) {
    const r = run(args, { input: lines.join('\n') + '\n' });
    assert.ok([0, 1, 2].includes(r.code), `exit ${r.code}: ${r.stderr.slice(0, 300)}`);
    assert.equal(r.stdout.trim().split('\n').length, lines.length);
    assert.ok(!/internal error|\bat .*\.js:\d+/.test(r.stdout + r.stderr), r.stderr.slice(0, 300));
  }
});
