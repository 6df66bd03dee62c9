/**
 * One key-material reader (src/keys/material.ts: HEX, @FILE, env:NAME), one
 * JSON file loader (src/util/json-text.ts) and one status-word table
 * (src/remote/sw.ts).
 *
 * Expected packet: vectors/sms-pp-commands.json card-sja2-3des-cc-cipher, the
 * real sysmoISIM-SJA2 command published in pySim docs/smpp-ota-tool.rst and
 * recomputed by vectors/tools/gen-vectors.sh with the openssl CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run, isOneLineError } from './helpers/cli.js';
import { readKeyMaterial } from '../src/keys/material.js';
import { loadJsonFile } from '../src/util/json-text.js';
import { swMeaning, swText } from '../src/remote/sw.js';
import { InputError, IoError } from '../src/util/errors.js';

// The sysmoISIM-SJA2 keys of pySim docs/smpp-ota-tool.rst (vectors/keysets/test.json KVN 1).
const KIC = 'F09C43EE1A0391665CC9F05AF4E0BD10';
const KID = '01981F4A20999F62AF99988007BAF6CA';
const golden = (): string => {
  const doc = JSON.parse(readFileSync(join(ROOT, 'vectors', 'sms-pp-commands.json'), 'utf8')) as { cases: { id: string; expected: { hex: string } }[] };
  return doc.cases.find((c) => c.id === 'card-sja2-3des-cc-cipher')!.expected.hex.replace(/\s/g, '').toUpperCase();
};
const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-material-'));
const SJA2 = ['build', 'sms', '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016'];

test('build sms takes keys as HEX, @FILE and env:NAME alike (the real SJA2 packet each time)', () => {
  const kidFile = join(dir, 'kid.hex');
  writeFileSync(kidFile, `${KID}\n`);
  for (const [kic, kid, env] of [
    [KIC, KID, {}],
    [`env:SJA2_KIC`, `@${kidFile}`, { SJA2_KIC: KIC }],
    [`env:SJA2_KIC`, `env:SJA2_KID`, { SJA2_KIC: KIC, SJA2_KID: `@${kidFile}` }],
  ] as const) {
    const r = run([...SJA2, '--kic-key', kic, '--kid-key', kid], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), golden(), `${kic} / ${kid}`);
  }
});

test('a key that cannot be read: one line, the field named, the key never echoed', () => {
  const unset = run([...SJA2, '--kic-key', 'env:UICC_OTA_TEST_UNSET', '--kid-key', KID], { env: { UICC_OTA_TEST_UNSET: undefined } });
  assert.equal(unset.code, 2);
  assert.ok(isOneLineError(unset.stderr), unset.stderr);
  assert.match(unset.stderr, /--kic-key: environment variable UICC_OTA_TEST_UNSET is not set/);
  const missing = run([...SJA2, '--kic-key', KIC, '--kid-key', `@${join(dir, 'nope.hex')}`]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /--kid-key: cannot read key file .*nope\.hex: ENOENT/);
  const secret = 'F09C43EE1A0391665CC9F05AF4E0BDZZ';
  const bad = run([...SJA2, '--kic-key', 'env:BAD_KEY', '--kid-key', KID], { env: { BAD_KEY: secret } });
  assert.equal(bad.code, 2);
  assert.ok(isOneLineError(bad.stderr), bad.stderr);
  assert.match(bad.stderr, /--kic-key \(env:BAD_KEY\): is not valid hex/);
  assert.ok(!bad.stderr.includes('F09C43'), 'no key material in the message');
});

test('readKeyMaterial: bytes pass through, errors are typed', () => {
  assert.deepEqual(readKeyMaterial(Uint8Array.of(1, 2), 'k'), Uint8Array.of(1, 2));
  assert.deepEqual(readKeyMaterial('01 02', 'k'), Uint8Array.of(1, 2));
  assert.throws(() => readKeyMaterial('@', 'k'), InputError);
  assert.throws(() => readKeyMaterial('env:1X', 'k'), InputError);
  assert.throws(() => readKeyMaterial(`@${join(dir, 'absent')}`, 'k'), IoError);
});

test('loadJsonFile: BOM accepted; a syntax error is one line with line and column, not the file text', () => {
  const ok = join(dir, 'bom.json');
  writeFileSync(ok, '\ufeff{"a": 1}\n');
  assert.deepEqual(loadJsonFile(ok, 'test file'), { a: 1 });
  const bad = join(dir, 'bad.json');
  // Line 3 column 9 holds the stray comma (counted by hand: `  "b": 1,,` → the second comma).
  writeFileSync(bad, '{\n  "a": 1,\n  "b": 1,,\n  "c": 2\n}\n');
  assert.throws(() => loadJsonFile(bad, 'test file', 'test'), (e: unknown) => {
    assert.ok(e instanceof InputError);
    const m = (e as Error).message;
    assert.ok(!/[\r\n]/.test(m), m);
    assert.ok(!m.includes('"c"'), `the file text is not quoted: ${m}`);
    assert.match(m, /^test .*bad\.json: not valid JSON/);
    return true;
  });
  const gap = join(dir, 'pos.json');
  writeFileSync(gap, '{\n  "a": 1\n  "b": 2\n}\n');
  // V8 reports "Expected ',' or '}' after property value in JSON at position 13": line 3, column 3 ("b").
  assert.throws(() => loadJsonFile(gap, 'test file', 'test'), /at line 3 column 3/);
  assert.throws(() => loadJsonFile(join(dir, 'absent.json'), 'test file'), (e: unknown) => e instanceof IoError && /cannot read test file: ENOENT/.test((e as Error).message));
});

test('one SW table (ISO/IEC 7816-4, TS 102 221 cl. 10.2.1)', () => {
  // Meanings as TS 102 221 Table 10.x / ISO 7816-4 word them.
  assert.equal(swMeaning(0x9000), 'normal ending');
  assert.equal(swMeaning(0x6982), 'security status not satisfied');
  assert.equal(swMeaning(0x6a82), 'file or application not found');
  assert.equal(swText(0x6f00), 'SW 6F00 (technical problem, no precise diagnosis)');
  assert.equal(swText(0x9149), 'SW 9149 (proactive command pending, 73 octets)');
  assert.equal(swText(0x1234), 'SW 1234');
});

test('send pcsc with a binding whose native part was not built: exit 3, one line naming the rebuild and allowScripts', () => {
  // What npm 11 leaves when it blocks pcsclite's install script: the package is there, its require throws
  // (the message is pcsclite's "bindings" module's when build/Release/pcsclite.node is missing).
  const fake = join(dir, 'unbuilt-binding.cjs');
  writeFileSync(fake, "throw new Error('Could not locate the bindings file. Tried:\\n → /x/build/Release/pcsclite.node');\n");
  const r = run(['send', 'pcsc', '--list'], { env: { UICC_OTA_PCSC_BINDING: fake } });
  assert.equal(r.code, 3, r.stderr);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(r.stderr, /^uicc-ota: PC\/SC: the PC\/SC binding at .*unbuilt-binding\.cjs cannot be loaded \(Could not locate the bindings file\. Tried:\): .*npm rebuild pcsclite.*"allowScripts": \{"pcsclite": true\}/);
});

test('send pcsc without the optional PC/SC binding: exit 3, one line; --help says so', () => {
  // UICC_OTA_PCSC_BINDING names a binding that does not exist: as if pcsclite were not installed.
  const r = run(['send', 'pcsc', '--list'], { env: { UICC_OTA_PCSC_BINDING: join(dir, 'no-such-binding') } });
  assert.equal(r.code, 3, r.stderr);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(r.stderr, /^uicc-ota: PC\/SC: the PC\/SC binding ".*no-such-binding" is not installed: .*npm install pcsclite/);
  const h = run(['send', 'pcsc', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /\n3 the optional PC\/SC binding "pcsclite" is not installed/);
});
