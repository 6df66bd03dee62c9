/**
 * Issue "the contract a lab script relies on": exit codes for card answers
 * (--expect-status), --require-verified, --kvn on parse, --allow-weak-key.
 * Packets are written out by hand from the TS 102 225 cl. 5.2 layout (named
 * octet by octet next to each), never taken from our own builder.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, isOneLineError } from './helpers/cli.js';

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
  });
});
