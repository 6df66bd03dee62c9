/**
 * Issue "the contract a lab script relies on": exit codes for card answers
 * (--expect-status), --require-verified, --kvn on parse, --allow-weak-key.
 * Packets are written out by hand from the TS 102 225 cl. 5.2 layout (named
 * octet by octet next to each), never taken from our own builder.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, isOneLineError, ROOT } from './helpers/cli.js';

// TS 102 225 cl. 5.2, an unsecured PoR: RPL 000B, RHL 0A, TAR B00010, CNTR 0000000000, PCNTR 00,
// status 02 (Table 5: "CNTR low").
const POR_02 = '000B0A' + 'B00010' + '0000000000' + '00' + '02';
// The same with status 00 (Table 5: "PoR OK").
const POR_00 = '000B0A' + 'B00010' + '0000000000' + '00' + '00';
// Status 0B (TS 31.115 cl. 7: response data to be sent using SMS-SUBMIT): carried out.
const POR_0B = '000B0A' + 'B00010' + '0000000000' + '00' + '0B';

describe('PoR status as the exit code (--expect-status)', () => {
  it('parse por: status 02 exits 1 and names the status on stderr; 00 exits 0', () => {
    const r = run(['parse', 'por', POR_02]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'uicc-ota: card refused: PoR status 02 (CNTR low)\n');
    assert.match(r.stdout, /Outcome: PoR status 02 \(CNTR low\)/);
    assert.equal(run(['parse', 'por', POR_00]).code, 0);
    assert.equal(run(['parse', 'por', POR_0B]).code, 0);
    // auto-detected parse and parse sms of the PoR's SMS user data (UDH 02 71 00) agree
    assert.equal(run(['parse', '027100' + POR_02]).code, 1);
  });

  it('--expect-status makes the listed statuses the expected outcome, and only those', () => {
    let r = run(['parse', 'por', POR_02, '--expect-status', '02', '--json']);
    assert.equal(r.code, 0, r.stderr);
    let j = JSON.parse(r.stdout);
    assert.deepEqual([j.status.code, j.statusOk, j.expectedStatus], ['02', true, ['02']]);
    r = run(['parse', 'por', POR_02, '--expect-status', '00,03', '--json']);
    assert.equal(r.code, 1);
    j = JSON.parse(r.stdout);
    assert.deepEqual([j.statusOk, j.expectedStatus], [false, ['00', '03']]);
    assert.equal(r.stderr, 'uicc-ota: card refused: PoR status 02 (CNTR low), expected 00,03\n');
    // status 00 when a refusal was expected: exit 1, not called a refusal
    r = run(['parse', 'por', POR_00, '--expect-status', '02']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'uicc-ota: unexpected PoR status: PoR status 00 (PoR OK), expected 02\n');
    // without --expect-status the JSON says statusOk and expectedStatus null
    j = JSON.parse(run(['parse', 'por', POR_00, '--json']).stdout);
    assert.deepEqual([j.statusOk, j.expectedStatus], [true, null]);
  });

  it('a bad --expect-status is bad input: exit 2, one line naming the option', () => {
    for (const v of ['2', '0G', '02,', '']) {
      const r = run(['parse', 'por', POR_02, '--expect-status', v]);
      assert.equal(r.code, 2, v);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, /--expect-status/);
    }
  });

  it('parse --each judges every line by its own status', () => {
    const r = run(['parse', 'por', '--each', '--expect-status', '00'], { input: `${POR_00}\n${POR_02}\n` });
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^1 UNCHECKED response tar=B00010 status=00/);
    assert.match(lines[1], /^2 FAIL response tar=B00010 status=02 .*card refused: PoR status 02 \(CNTR low\)/);
    // stderr names the failing line as a one-shot parse names the status
    assert.equal(r.stderr, 'uicc-ota: line 2: card refused: PoR status 02 (CNTR low), expected 00\n');
    for (const threads of ['1', '2']) {
      const j = run(['parse', 'por', '--each', '--json', '--threads', threads], { input: `${POR_02}\n${POR_00}\n${POR_02}\n` });
      assert.equal(j.code, 1);
      assert.equal(j.stderr, 'uicc-ota: line 1: card refused: PoR status 02 (CNTR low)\nuicc-ota: line 3: card refused: PoR status 02 (CNTR low)\n');
    }
    const ok = run(['parse', 'por', '--each', '--expect-status', '02'], { input: `${POR_02}\n` });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const js = run(['parse', 'por', '--each', '--json'], { input: `${POR_00}\n${POR_02}\n` }).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(js.map((x) => x.statusOk), [true, false]);
  });

  it('parse --read: a PoR in a capture with status 02 exits 1, naming the frame', () => {
    const d = mkdtempSync(join(tmpdir(), 'uicc-ota-contract-'));
    const pcap = join(d, 'por.pcap');
    // the PoR as SMS-SUBMIT user data in a GSMTAP capture (the status octet is what matters here)
    const b = run(['build', 'por', '--spi', '0000', '--tar', 'B00010', '--status', '02', '--format', 'submit', '--pcap', pcap]);
    assert.equal(b.code, 0, b.stderr);
    let r = run(['parse', '--read', pcap]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /frame 1: card refused: PoR status 02 \(CNTR low\)/);
    r = run(['parse', '--read', pcap, '--expect-status', '02', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).items[0].statusOk, true);
    // the same unsecured PoR demands verification it cannot give (no RC/CC/DS): exit 1, frame named
    r = run(['parse', '--read', pcap, '--expect-status', '02', '--require-verified']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /uicc-ota: not verified \(--require-verified\): .*frame 1: PoR security unknown/);
  });
});

// §12.1 of the spec digest (pySim docs/smpp-ota-tool.rst, the sysmoISIM-SJA2): command packet with
// KIc 15 / KID 15 (KVN 1, 3DES 2-key), its keys and the card's PoR (user data 027100...).
const SJA2_CMD = '00281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';
const SJA2_KEYS = ['--kic-key', 'F09C43EE1A0391665CC9F05AF4E0BD10', '--kid-key', '01981F4A20999F62AF99988007BAF6CA'];

describe('--require-verified', () => {
  it('exit 1 with the unchecked parts named when a key is missing; exit 0 when everything was checked', () => {
    let r = run(['parse', SJA2_CMD, '--require-verified']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^uicc-ota: not verified \(--require-verified\): ciphering: not deciphered \(no KIc key\); CC: not checked/);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    // the same packet without --require-verified: exit 0 ("Verification: incomplete")
    assert.equal(run(['parse', SJA2_CMD]).code, 0);
    r = run(['parse', SJA2_CMD, '--require-verified', '--kic-key', SJA2_KEYS[1], '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).unverified, ['CC: not checked (no KID key given)']);
    r = run(['parse', SJA2_CMD, '--require-verified', ...SJA2_KEYS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).unverified, []);
  });

  it('a PoR read without the command\'s SPI, and a packet with no RC/CC/DS, are not verified', () => {
    let r = run(['parse', 'por', POR_00, '--require-verified', '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).unverified, ['PoR security unknown: no SPI (give --request or --spi)']);
    // SPI 0000: the command asked for no PoR security, so there is nothing to check
    r = run(['parse', 'por', POR_00, '--spi', '0000', '--require-verified']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no RC\/CC\/DS in the packet/);
  });

  it('--each: per line', () => {
    const r = run(['parse', '--each', '--require-verified', ...SJA2_KEYS.slice(0, 2)], { input: `${SJA2_CMD}\n` });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^1 FAIL command .*not verified: CC: not checked/);
    const ok = run(['parse', '--each', '--require-verified', ...SJA2_KEYS], { input: `${SJA2_CMD}\n` });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^1 OK command tar=B00010/);
  });
});

describe('--kvn on parse, --allow-weak-key on build', () => {
  it('a KIc/KID of another key version than --kvn is a failed check (exit 1), named on stderr', () => {
    const ks = join(ROOT, 'vectors', 'keysets', 'test.json'); // KVN 1: the SJA2 keys above; KVN 2: AES keys
    let r = run(['parse', SJA2_CMD, '--keyset', ks, '--kvn', '2', '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout).failures.slice(0, 2), [
      'KIc 0x15 is key version 1, not the selected KVN 2 (--kvn)',
      'KID 0x15 is key version 1, not the selected KVN 2 (--kvn)',
    ]);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    r = run(['parse', SJA2_CMD, '--keyset', ks, '--kvn', '1', '--require-verified']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('build: a --kic of another key version than --kvn is bad input (exit 2)', () => {
    const ks = join(ROOT, 'vectors', 'keysets', 'test.json');
    const r = run(['build', 'sms', '--keyset', ks, '--kvn', '2', '--kic', '15', '--kid', '22', '--apdu', 'A0A40000027F20']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'uicc-ota: --kvn: KIc 0x15 is key version 1, not the selected KVN 2 (--kvn)\n');
  });

  it('--allow-weak-key builds with a 3DES key K1 = K2 and says so in text and JSON', () => {
    const zero = '00000000000000000000000000000000';
    const args = ['build', 'sms', '--spi', '1200', '--kic', '15', '--kid', '15', '--kic-key', zero, '--kid-key', zero, '--apdu', 'A0A40000027F20'];
    const refused = run(args);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /K1 = K2.*single DES/);
    const r = run([...args, '--allow-weak-key']);
    assert.equal(r.code, 0, r.stderr);
    // CC by the openssl CLI: printf 001D1512001515B00010000000000000A0A40000027F2000 | xxd -r -p |
    //   openssl enc -des-ede-cbc -K 00…00 -iv 0000000000000000 -nopad → last block 2C4FB77C8DA4363B
    assert.equal(r.stdout, '001D1512001515B000100000000000002C4FB77C8DA4363BA0A40000027F20\n');
    assert.match(r.stderr, /^uicc-ota: note: KID key: .*K1 = K2.*single DES \(used: --allow-weak-key\)$/m);
    const j = run([...args, '--allow-weak-key', '--json']);
    assert.ok(JSON.parse(j.stdout).notes.some((n: string) => /single DES \(used: --allow-weak-key\)/.test(n)));
    assert.match(run([...args, '--allow-weak-key', '--show']).stdout, /Note: KID key: .*single DES/);
  });
});

describe('error lines (point 6)', () => {
  it('offsets count the characters as typed (leading blanks and 0x included)', () => {
    // "  0x00ZZ": the first Z is the 7th character typed
    const r = run(['parse', '  0x00ZZ']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'uicc-ota: input: not a hex digit "Z" at character 7\n');
  });

  it('--each: exit 2 comes with one stderr line per bad line, numbered by input line (comments and blanks count)', () => {
    const r = run(['parse', 'por', '--each'], { input: `# a comment\n\n${POR_00}\nZZ\n` });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'uicc-ota: line 4: not a hex digit "Z" at character 1\n');
    assert.match(r.stdout, /^3 UNCHECKED response /m);
    assert.match(r.stdout, /^4 ERROR not a hex digit "Z" at character 1$/m);
  });

  it('a JSON syntax error in a keyset or CARD.json is one line; a UTF-8 BOM is accepted', () => {
    const d = mkdtempSync(join(tmpdir(), 'uicc-ota-contract-'));
    const bad = join(d, 'bad.json');
    writeFileSync(bad, '{\n"format": \n');
    const r = run(['parse', SJA2_CMD, '--keyset', bad]);
    assert.equal(r.code, 2);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    const badCard = join(d, 'card.json');
    writeFileSync(badCard, '{"format": "uicc-ota-card/1",\n"x": \n');
    const c = run(['card', 'process', '--card', badCard, SJA2_CMD]);
    assert.ok(c.code >= 2 && isOneLineError(c.stderr), c.stderr);
    const bom = join(d, 'bom.json');
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(join(ROOT, 'vectors', 'keysets', 'test.json'))]));
    const ok = run(['parse', SJA2_CMD, '--keyset', bom, '--require-verified']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('a long input is elided in messages: one short line', () => {
    const r = run(['parse', '-'], { input: '00'.repeat(20000) + 'ZZ\n' });
    assert.equal(r.code, 2);
    assert.ok(isOneLineError(r.stderr) && r.stderr.length < 300, `${r.stderr.length} characters`);
  });
});
