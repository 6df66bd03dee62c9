/**
 * Issue "SMS-PP framing" through the CLI: every format of `build sms` is
 * written with --pcap and decoded by Wireshark's own gsm_sim / etsi_cat /
 * gsm_sms dissectors (tshark), which must show what we meant; `parse` peels
 * every layer of what was built and of the real traces quoted in the digest
 * (../shared/spec/sms-pp.md §8.2, secured-packet.md §12).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, isOneLineError, KEYSET } from './helpers/cli.js';
import { tsharkJson, findAll, problems, colonHex } from './helpers/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-framing-'));
const K = ['--keyset', KEYSET];
// secured-packet.md §12.1 (real SJA2 command, 3DES keys of the test keyset KVN 1)
const SJA2 = ['--tar', 'B00010', '--spi', '0619', '--kic', '15', '--kid', '15', '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016'];
const SJA2_CMD = '00281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';

function lines(s: string): string[] {
  return s.trim().split('\n');
}

test('single SMS: tpdu and envelope formats decode in Wireshark as intended', () => {
  const pcap = join(dir, 'single.pcap');
  const r = run(['build', 'sms', ...K, ...SJA2, '--format', 'envelope', '--oa', '+4912345', '--pid', '7F', '--dcs', 'F6', '--pcap', pcap]);
  assert.equal(r.code, 0, r.stderr);
  const env = lines(r.stdout);
  assert.equal(env.length, 1);
  const pkts = tsharkJson(pcap);
  assert.equal(pkts.length, 1);
  const p = pkts[0];
  assert.deepEqual(problems(p), []);
  // gsm_sim: ENVELOPE; etsi_cat: SMS-PP download with device identities network → UICC
  assert.equal(String(findAll(p, 'gsm_sim.apdu.ins')[0]), '0xc2');
  assert.deepEqual(findAll(p, 'gsm_sms.tp-oa'), ['4912345']);
  assert.deepEqual(findAll(p, 'gsm_sms.dis_field_addr.num_type'), ['1']); // "+" → international
  assert.deepEqual(findAll(p, 'gsm_sms.tp-pid'), ['127']);
  assert.deepEqual(findAll(p, 'gsm_sms.tp-dcs'), ['246']);
  assert.deepEqual(findAll(p, 'gsm_sms.tp.user_data_length'), [String(3 + SJA2_CMD.length / 2)]);
  assert.deepEqual(findAll(p, 'gsm_sms.ie_identifier'), ['0x70']);
  assert.equal(colonHex(findAll(p, 'gsm_sms.sms_body')[0]), SJA2_CMD);
  // the tpdu format is the TPDU inside that ENVELOPE
  const t = run(['build', 'sms', ...K, ...SJA2, '--format', 'tpdu', '--oa', '+4912345']);
  assert.ok(env[0].includes(t.stdout.trim()));
  const ud = run(['build', 'sms', ...K, ...SJA2, '--format', 'ud']);
  assert.equal(ud.stdout.trim(), '027000' + SJA2_CMD);
});

test('long packet: concatenated SMS, reference and sequence as Wireshark reads them', () => {
  const pcap = join(dir, 'long.pcap');
  const data = 'D6000000' + 'FA' + 'AB'.repeat(250); // UPDATE BINARY of 250 octets → 3 SMS
  const r = run(['build', 'sms', ...K, '--data', data, '--format', 'envelope', '--concat-ref', '42', '--pcap', pcap]);
  assert.equal(r.code, 0, r.stderr);
  const env = lines(r.stdout);
  assert.equal(env.length, 3);
  const pkts = tsharkJson(pcap);
  assert.equal(pkts.length, 3);
  pkts.forEach((p, i) => {
    assert.deepEqual(problems(p), [], `segment ${i + 1}`);
    assert.deepEqual(findAll(p, 'gsm_sms.udh.mm.msg_id'), ['42']);
    assert.deepEqual(findAll(p, 'gsm_sms.udh.mm.msg_parts'), ['3']);
    assert.deepEqual(findAll(p, 'gsm_sms.udh.mm.msg_part'), [String(i + 1)]);
    // the CPI IE (70) only in the first segment (sms-pp.md §3)
    assert.deepEqual(findAll(p, 'gsm_sms.ie_identifier'), i === 0 ? ['0x00', '0x70'] : ['0x00']);
    const udl = Number(findAll(p, 'gsm_sms.tp.user_data_length')[0]);
    assert.ok(udl <= 140, `UDL ${udl}`);
  });
  // Wireshark's own reassembly gives back exactly our packet
  const packet = run(['build', 'sms', ...K, '--data', data, '--format', 'packet']).stdout.trim();
  const last = findAll(pkts[2], 'gsm_sms.sms_body').map(colonHex);
  assert.ok(last.includes(packet), 'Wireshark reassembly differs');
  // 16-bit reference
  const r16 = run(['build', 'sms', ...K, '--data', data, '--format', 'ud', '--concat-16', '--concat-ref', '4660']);
  for (const l of lines(r16.stdout)) assert.match(l, /^0[68]0804123403/);
  // parse reassembles the segments, in any order, and verifies the CC inside
  const shuffled = [env[2], env[0], env[1]];
  const j = JSON.parse(run(['parse', ...shuffled, ...K, '--json']).stdout);
  assert.deepEqual(j.layers, ['ENVELOPE', 'SMS-DELIVER', 'user data', 'concatenated SMS', 'command packet']);
  assert.equal(j.checksum.verified, true);
  assert.equal(j.data, data);
  // missing and duplicate segments are reported by number
  const miss = run(['parse', env[0], env[2], ...K]);
  assert.equal(miss.code, 2);
  assert.match(miss.stderr, /missing.*2/i);
  assert.ok(isOneLineError(miss.stderr));
  const dup = run(['parse', env[0], env[1], env[1], env[2], ...K]);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /duplicate/i);
  // a single segment alone is not a packet
  const one = run(['parse', env[1], ...K]);
  assert.equal(one.code, 2);
  assert.match(one.stderr, /segment/);
});

test('limits: 255 segments at most', () => {
  const r = run(['build', 'sms', ...K, '--data', 'AB'.repeat(134 * 256), '--format', 'ud']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /255/);
  assert.ok(isOneLineError(r.stderr));
});

test('parse peels the real Gemalto ENVELOPE and its PoR in a SEND SHORT MESSAGE (sms-pp.md §8.2)', () => {
  const envelope = '80C200003CD13A820283818B3444038119F07FF6151124135822042502700000201115351515C000004D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203';
  const fetch = 'D047810301130082028183050 08B3A41000381 19F000F631027100002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695'.replace(/ /g, '');
  const key = ['--kic-key', '263B48DBCBC1C21C0AA13E4D4516C446'];
  const c = JSON.parse(run(['parse', envelope, ...key, '--json']).stdout);
  assert.deepEqual(c.layers, ['ENVELOPE', 'SMS-DELIVER', 'user data', 'command packet']);
  assert.deepEqual([c.tar, c.checksum.type, c.checksum.value, c.checksum.verified], ['C00000', 'rc', '155D3A1A', true]);
  const r = run(['parse', fetch, '--request', envelope, ...key, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.layers, ['proactive command', 'SMS-SUBMIT', 'user data', 'response packet']);
  // secured-packet.md §12.3: CRC-32 A343BCAE, status 00, GET DATA result
  assert.deepEqual([j.status.code, j.checksum.value, j.checksum.verified], ['00', 'A343BCAE', true]);
  assert.equal(j.response.sw, '9000');
  assert.equal(j.response.data, 'E012C00401018210C00402018210C00403018210');
});

test('build por formats: each is parsed back and decoded by Wireshark', () => {
  const rdata = ['--executed', '2', '--sw', '9000', '--rdata', '0000FFFF7F2002000000000009B106350400838A838A'];
  // proactive SEND SHORT MESSAGE with the SMS-SUBMIT inside, in a GSMTAP SIM capture
  const pcap = join(dir, 'por.pcap');
  const d0 = run(['build', 'por', '--request', SJA2_CMD, ...K, ...rdata, '--format', 'proactive', '--pcap', pcap]);
  assert.equal(d0.code, 0, d0.stderr);
  const p = tsharkJson(pcap)[0];
  assert.deepEqual(problems(p), []);
  assert.deepEqual(findAll(p, 'gsm_sms.ie_identifier'), ['0x71']);
  // §12.1: the real PoR user data of the card
  assert.equal(colonHex(findAll(p, 'gsm_sms.sms_body')[0]), '002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39');
  for (const f of ['submit', 'deliver-report', 'proactive', 'ud']) {
    const b = run(['build', 'por', '--request', SJA2_CMD, ...K, ...rdata, '--format', f]);
    const j = JSON.parse(run(['parse', b.stdout.trim(), '--request', SJA2_CMD, ...K, '--json']).stdout);
    assert.equal(j.checksum.verified, true, f);
    assert.equal(j.status.code, '00', f);
  }
  // SMS-DELIVER-REPORT as an exported PDU: gsm_sms decodes it MS→SC
  const rp = join(dir, 'report.pcap');
  run(['build', 'por', '--request', SJA2_CMD, ...K, ...rdata, '--format', 'deliver-report', '--pcap', rp]);
  const q = tsharkJson(rp)[0];
  assert.deepEqual(problems(q), []);
  assert.deepEqual(findAll(q, 'gsm_sms.ie_identifier'), ['0x71']);
  // PoR returned as ENVELOPE response data with its status word
  const withSw = run(['parse', '027100002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A399000', '--request', SJA2_CMD, ...K, '--json']);
  assert.deepEqual(JSON.parse(withSw.stdout).layers, ['ENVELOPE response', 'user data', 'response packet']);
});

test('parse --pcap writes what was parsed for Wireshark', () => {
  const pcap = join(dir, 'parsed.pcap');
  const r = run(['parse', '027000' + SJA2_CMD, ...K, '--pcap', pcap]);
  assert.equal(r.code, 0, r.stderr);
  const p = tsharkJson(pcap)[0];
  assert.deepEqual(problems(p), []);
  assert.equal(colonHex(findAll(p, 'gsm_sms.sms_body')[0]), SJA2_CMD);
});

test('framing bad input: one line naming layer, field and offset', () => {
  const cases: Array<[string, RegExp]> = [
    // TP-MTI 11 is reserved
    ['470881214365877FF66210100000000003027000', /MTI/],
    // TP-UDL says 40 octets, 38 present (a shortened SJA2 SMS-DELIVER)
    ['440881214365877FF66210100000000028027000' + SJA2_CMD.slice(0, 70), /TP-UDL/],
    // UDHL runs past the user data
    ['440881214365877FF6621010000000000409700000', /UDH/],
    // ENVELOPE whose BER length is wrong
    ['80C2000005D1058202838100', /(length|Lc|BER)/i],
    // ENVELOPE without device identities
    ['80C2000009D1078B0540038121F0', /device identit/i],
  ];
  for (const [hex, re] of cases) {
    const r = run(['parse', hex, ...K]);
    assert.equal(r.code, 2, `${hex}: ${r.code} ${r.stderr}`);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /at byte \d+/);
  }
});

test('--scts keeps the local time and zone of an ISO date (TS 23.040 semi-octets)', () => {
  // hand-computed: 25-01-17 13:54:12, zone -07:00 = -28 quarters → 28 = 0x1C, swapped 82, sign bit → 8A
  // (sms-pp.md §4 quotes 8A as -7 h); semi-octets swapped per field: 52 10 71 31 45 21 8A
  const r = run(['build', 'sms', ...K, ...SJA2, '--format', 'tpdu', '--oa', '12345678', '--scts', '2025-01-17T13:54:12-07:00']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^440881214365877FF65210713145218A/);
});

test('IE 70 repeated in a later segment is accepted with a note', () => {
  const data = 'D6000000' + 'FA' + 'AB'.repeat(250);
  const uds = run(['build', 'sms', ...K, '--data', data, '--format', 'ud']).stdout.trim().split('\n');
  // segment 2: UDHL 05 → 07 with 70 00 appended to its UDH (as some platforms send it)
  const seg2 = '07' + uds[1].slice(2, 12) + '7000' + uds[1].slice(12);
  const j = JSON.parse(run(['parse', uds[0], seg2, uds[2], ...K, '--json']).stdout);
  assert.equal(j.checksum.verified, true);
  assert.match(JSON.stringify(j.framing), /repeated/);
});
