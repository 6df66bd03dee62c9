/**
 * JSON v1: every `--json` output carries `"format": "uicc-ota-<kind>/1"` and matches the shipped
 * schema (schema/*.json). Every test that runs the CLI with --json is validated automatically by
 * test/helpers/cli.ts; this file checks the schemas themselves, the tags, the renamed keys, the
 * reading of pre-v1 vector files and that parse is no MAC oracle.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run } from './helpers/cli.js';
import { schemaNames, validateAgainst } from './helpers/schema.js';

// The §12.1-style CC test vector sms-cmd-cc-des of vectors/sms-pp-commands.json: DES CBC-MAC over
// the unciphered packet, CC BEB3F2A9987B5809 computed with the openssl CLI by vectors/tools/gen-vectors.sh.
const CC = 'BEB3F2A9987B5809';
const PACKET = '00221502013131B00010000000000000' + CC + '00A40004023F0000B0000010';
const KID_KEY = '5D1E9C7A20B4F368';
const FORGED = PACKET.replace(CC, '0000000000000000');

describe('JSON v1 schemas', () => {
  it('every schema file compiles as draft 2020-12 and names itself', () => {
    for (const n of schemaNames()) {
      const s = JSON.parse(readFileSync(join(ROOT, 'schema', `${n}.json`), 'utf8'));
      assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema', n);
      assert.ok(String(s.$id).endsWith(`/schema/${n}.json`), n);
      assert.deepEqual(validateAgainst(n, undefined).filter((e) => e.startsWith('no schema')), [], n);
    }
  });

  it('the package ships schema/', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.ok(pkg.files.includes('schema'));
  });

  it('each command tags its JSON with its kind (and run() validated it)', () => {
    const tag = (args: string[]) => JSON.parse(run(args).stdout).format;
    assert.equal(tag(['spi', 'decode', '1621', '--json']), 'uicc-ota-spi/1');
    assert.equal(tag(['kic', 'decode', '15', '--json']), 'uicc-ota-kic/1');
    assert.equal(tag(['kid', 'decode', '15', '--json']), 'uicc-ota-kid/1');
    assert.equal(tag(['tar', 'B00010', '--json']), 'uicc-ota-tar/1');
    assert.equal(tag(['status', '00', '--json']), 'uicc-ota-status/1');
    assert.equal(tag(['parse', PACKET, '--json']), 'uicc-ota-command/1');
    assert.equal(tag(['cattp', 'build', 'syn', '--json']), 'uicc-ota-cattp-pdu/1');
    const each = run(['parse', '--each', '--json'], { input: `${PACKET}\nZZ\n` });
    assert.deepEqual(each.stdout.trim().split('\n').map((l) => JSON.parse(l).format), ['uicc-ota-command/1', 'uicc-ota-error/1']);
  });

  it('KIc/KID key version is `kvn`; octet codes are hex strings; CAT_TP types as the CLI spells them', () => {
    const k = JSON.parse(run(['kic', 'decode', '15', '--json']).stdout);
    // KIc 15: high nibble 1 = KVN 1 (TS 102 225 cl. 5.1.2)
    assert.deepEqual([k.kvn, 'keyIndex' in k], [1, false]);
    assert.ok(validateAgainst('kic', { format: 'uicc-ota-kic/1', hex: '15', keyIndex: 1, algorithm: 'x' }).length > 0, 'old key name is refused by the schema');
    // user data 02 70 00 + packet: the IEI 70 (command packet identifier, TS 31.115 cl. 4) as a hex string
    const u = JSON.parse(run(['parse', '027000' + PACKET, '--json']).stdout);
    assert.deepEqual(u.framing[0].udh, [{ iei: '70', data: '' }]);
    // SYN PDU: flags octet 80 (TS 102 127 cl. 5.1)
    const p = JSON.parse(run(['cattp', 'build', 'syn', '--json']).stdout);
    assert.deepEqual([p.type, p.flags], ['syn', ['syn']]);
  });

  it('an unciphered packet does not say deciphered', () => {
    const j = JSON.parse(run(['parse', PACKET, '--kid-key', KID_KEY, '--json']).stdout);
    assert.deepEqual([j.ciphered, 'deciphered' in j, j.checksum.verified], [false, false, true]);
  });
});

describe('parse is no MAC oracle', () => {
  it('a CC mismatch names the failed check but withholds the computed CC unless --show-computed', () => {
    const t = run(['parse', FORGED, '--kid-key', KID_KEY]);
    assert.equal(t.code, 1);
    assert.match(t.stdout + t.stderr, /mismatch/);
    assert.match(t.stdout, /CC check failed/);
    assert.ok(!(t.stdout + t.stderr).includes(CC), 'the correct CC must not appear');
    const j = run(['parse', FORGED, '--kid-key', KID_KEY, '--json']);
    assert.ok(!(j.stdout + j.stderr).includes(CC), 'the correct CC must not appear in JSON');
    assert.equal(JSON.parse(j.stdout).checksum.verified, false);
    const s = run(['parse', FORGED, '--kid-key', KID_KEY, '--json', '--show-computed']);
    assert.equal(JSON.parse(s.stdout).checksum.computed, CC);
    assert.match(run(['parse', FORGED, '--kid-key', KID_KEY, '--show-computed']).stdout, new RegExp(`computed ${CC}`));
  });
});

describe('vector files written before JSON v1', () => {
  it('vectors verify still reads the old key names (test/fixtures/vectors-v0, the first release files)', () => {
    const dir = join(ROOT, 'test', 'fixtures', 'vectors-v0');
    const old = readFileSync(join(dir, 'sms-pp-commands.json'), 'utf8');
    assert.match(old, /"keyIndex"/);
    assert.match(readFileSync(join(dir, 'cattp-pdus.json'), 'utf8'), /"type": "SYN\/ACK"/);
    assert.match(readFileSync(join(dir, 'sms-pp-framing.json'), 'utf8'), /"iei": 112/);
    const r = run(['vectors', 'verify', dir, '--json']);
    assert.equal(r.code, 0, r.stdout.slice(0, 2000));
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.failed, 0);
    assert.ok(rep.passed >= 170);
  });

  it('the shipped vectors use the v1 names', () => {
    const t = readFileSync(join(ROOT, 'vectors', 'sms-pp-commands.json'), 'utf8');
    assert.ok(!t.includes('"keyIndex"'));
    assert.match(t, /"kvn"/);
  });
});

describe('error lines (JSON v1 contract, library parts)', () => {
  it('the "not a hex digit" position counts the input as typed (leading blanks and 0x included)', () => {
    // "  0x00ZZ": characters 1-2 blanks, 3-4 "0x", 5-6 "00", 7 the first Z
    const r = run(['parse', '  0x00ZZ']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a hex digit "Z" at character 7/);
    assert.ok(isOne(r.stderr), r.stderr);
  });

  it('a UTF-8 BOM at the start of a keyset file is accepted; a JSON syntax error is one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-bom-'));
    const ks = join(dir, 'k.json');
    writeFileSync(ks, '\ufeff' + readFileSync(join(ROOT, 'vectors', 'keysets', 'test.json'), 'utf8'));
    // KIc/KID 15: KVN 1 of the keyset (3DES), so the build needs the file's keys
    const ok = run(['build', 'sms', '--keyset', ks, '--spi', '1621', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '1', '--apdu', '00A40004023F00']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^[0-9A-F]+\n$/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{\n  "format": "uicc-ota-keyset/1",\n  "keysets": [\n}\n');
    const r = run(['parse', PACKET, '--keyset', bad]);
    assert.equal(r.code, 2);
    assert.ok(isOne(r.stderr), r.stderr);
    assert.match(r.stderr, /not valid JSON/);
  });

  it('a long input is elided in the message (first and last octets, and the length)', () => {
    // 20,000 copies of a bare command packet header that is not a packet: one short line, not 129 KB
    const seg = '0270000012' + 'AB'.repeat(60);
    const r = run(['parse', '--json'], { input: Array(2000).fill(seg).join('\n') });
    assert.equal(r.code, 2);
    assert.ok(isOne(r.stderr), r.stderr.slice(0, 300));
    assert.ok(r.stderr.length < 1200, `stderr is ${r.stderr.length} characters`);
  });
});

function isOne(stderr: string): boolean {
  const lines = stderr.trim().split('\n');
  return lines.length === 1 && lines[0].startsWith('uicc-ota: ');
}
