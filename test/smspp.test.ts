/**
 * SMS-PP framing layers. Expected values come from (each says which):
 *  - the spec digest /work/shared/spec/sms-pp.md and secured-packet.md (real traces
 *    and tshark-verified constructed examples, quoted byte for byte),
 *  - the real pySim-smpp2sim ENVELOPE log (pySim docs/smpp2sim.rst, quoted from the
 *    public code index) and pySim tests/unittests/test_ota.py "encoded_tpdu" vectors,
 *  - Wireshark 4.0 (tshark -r FILE -T json --no-duplicate-keys / -V) decoding the
 *    pcaps we write: the dissector is an independent implementation of TS 23.040 /
 *    TS 102 223 / TS 102 221, so its field values check our bytes.
 * Round trips through our own encoder+decoder are only extra checks.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PcapRecord, writePcap } from '../src/pcap/pcap.js';
import { InputError } from '../src/util/errors.js';
import { fromHex, toHex } from '../src/util/hex.js';
import * as sp from '../src/smspp/index.js';
import { colonHex, findAll, one, problems, type TsharkPacket, tsharkJson, tsharkPath, tsharkVerbose } from './helpers/tshark.js';

const H = (s: string) => fromHex(s);
const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-smspp-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function pcap(name: string, records: PcapRecord[], linktype?: number): string {
  const p = join(dir, name);
  writePcap(p, records, linktype);
  return p;
}

/** assert.throws with an InputError whose where-fields match. */
function throwsInput(fn: () => unknown, where: { layer?: string; field?: string; offset?: number }, msg?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    for (const [k, v] of Object.entries(where)) assert.equal((e.where as Record<string, unknown>)[k], v, `${k} of "${e.message}"`);
    if (msg) assert.match(e.message, msg);
    return true;
  });
}

function noProblems(pkts: TsharkPacket[]): void {
  pkts.forEach((p, i) => assert.deepEqual(problems(p), [], `frame ${i + 1} has Wireshark errors/warnings`));
}

// ------------------------------------------------------------------ vectors

// secured-packet.md §12.1 (real sysmoISIM-SJA2): command packet CPL…end.
const SJA2_PACKET = H('0028150619151 5B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D'.replace(/ /g, ''));
// secured-packet.md §12.1: response user data (PoR) from the same card.
const SJA2_POR_UD = H('027100002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39');
// secured-packet.md §12.2 (real sysmoISIM-SJA5 AES): command packet.
const SJA5_AES_PACKET = H('00281506192222B00011E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058');

// sms-pp.md §7 worked example (constructed around the SJA2 packet, tshark-verified by the digest).
const DIGEST_ENVELOPE = H(
  '80C200004F D14D 82028381 86069194710100F0 8B3F 44 099194214365F7 7FF6 52107131452100 2D 027000 ' +
    '00281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D',
);
const DIGEST_TPDU = DIGEST_ENVELOPE.subarray(5 + 2 + 4 + 8 + 2);

// sms-pp.md §8.2, real Gemalto trace (asterix): ENVELOPE, FETCH response, TERMINAL RESPONSE.
const GEMALTO_ENVELOPE = H(
  '80C200003C D13A 82028381 8B34 44 038119F0 7FF6 15112413582204 25 027000 0020111535151 5C000004D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203'.replace(/ /g, ''),
);
const GEMALTO_FETCH_RESP = H(
  'D047 810301130 0 82028183 0500 8B3A 41 00 038119F0 00 F6 31 027100002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695 9000'.replace(/ /g, ''),
);
const GEMALTO_TERMINAL_RESPONSE = H('80140000 0C 810301130 0 82028281 830100'.replace(/ /g, ''));

// Real pySim-smpp2sim ENVELOPE data (pySim docs/smpp2sim.rst log, "INFO root: ENVELOPE: d147…"); answered SW 9000.
const PYSIM_ENVELOPE_DATA = H(
  'd147820283818604001032548b3b400290217ff6227052000000002d02700000281516191212b0000127fa28a5bac69d3c5e9df2c7155dfdde449c826b236215566530787b30e8be5d',
);

// pySim tests/unittests/test_ota.py, dataset "3DES-SJA5-CIPHERED-CC": encoded_tpdu (TP-UDL 03 is a known pySim defect, sms-pp.md §4).
const PYSIM_TPDU_BAD_UDL = H('400881214365877ff6227052000000000302700000201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f');

// ------------------------------------------------------------------ UDH

describe('UDH', () => {
  test('single-SM command header 02 70 00 (sms-pp.md §2)', () => {
    const d = sp.udh.decode(H('027000'));
    assert.equal(d.length, 3);
    assert.deepEqual(d.ies.map((i) => [i.iei, toHex(i.data)]), [[0x70, '']]);
    assert.equal(sp.findSecurityIe(d.ies), 0x70);
  });

  test('first/next concatenation headers (sms-pp.md §3 real 2-part vector)', () => {
    const first = sp.udh.decode(H('07000300020170 00'));
    assert.deepEqual(sp.findConcat(first.ies), { ref: 0, refBits: 8, total: 2, seq: 1 });
    assert.equal(first.ies[1].iei, 0x70, 'concatenation IE first, CPI second');
    const next = sp.udh.decode(H('050003000202'));
    assert.deepEqual(sp.findConcat(next.ies), { ref: 0, refBits: 8, total: 2, seq: 2 });
    assert.equal(sp.findSecurityIe(next.ies), undefined);
    // extra: our encoder gives the same octets back
    assert.equal(toHex(sp.udh.encode(first.ies)), '07000300020170' + '00');
  });

  test('UDHL running past the user data is an InputError at offset 0', () => {
    throwsInput(() => sp.udh.decode(H('05000300')), { layer: 'UDH', field: 'UDHL', offset: 0 }, /says 5 octets, only 3/);
  });

  test('IE length running past the header, wrong concatenation IE length', () => {
    throwsInput(() => sp.udh.decode(H('0300030002')), { layer: 'UDH', field: 'IEDL', offset: 2 });
    throwsInput(() => sp.udh.decode(H('0400020002')), { layer: 'UDH', field: 'IEDL', offset: 2 }, /must have 3 octets/);
  });
});

// ------------------------------------------------------------------ addresses

describe('addresses', () => {
  test('TP address examples of sms-pp.md §4', () => {
    assert.equal(toHex(sp.tpAddress.encode(sp.makeAddress('+491234567'))), '099194214365F7');
    assert.equal(toHex(sp.tpAddress.encode(sp.makeAddress('910'))), '038119F0');
    const d = sp.tpAddress.decode(H('099194214365F7')).value;
    assert.deepEqual([d.digits, d.ton, d.npi, d.lengthValue], ['491234567', 1, 1, 9]);
  });

  test('CAT address value: required form 86 05 81 10 32 54 F6 and the pySim quirk 00 10 32 54 (sms-pp.md §7)', () => {
    assert.equal(toHex(sp.addressValue.encode(sp.makeAddress('0123456'))), '81103254F6');
    const q = sp.addressValue.decode(H('00103254'));
    assert.deepEqual([q.digits, q.ton, q.npi, q.ext], ['012345', 0, 0, false]);
    assert.equal(q.warnings.length, 1);
  });

  test('RP/SMSC form: octet count + the address value of the §7 example (9194710100F0)', () => {
    // value from the digest; the RP form prefixes its octet count (TS 24.011 8.2.5.1)
    const a = sp.rpAddress.decode(H('069194710100F0'));
    assert.deepEqual([a.value.digits, a.value.ton, a.length], ['491710000', 1, 7]);
    assert.equal(toHex(sp.rpAddress.encode(a.value)), '069194710100F0');
  });

  test('bad digits, too many digits, truncated field', () => {
    throwsInput(() => sp.makeAddress('12x4'), { field: 'address' }, /position 3/);
    throwsInput(() => sp.tpAddress.encode(sp.makeAddress('1'.repeat(21))), { field: 'Address-Length' });
    throwsInput(() => sp.tpAddress.decode(H('0991942143'), 0, 'TP-OA'), { layer: 'TP-OA', field: 'Address-Value', offset: 2 });
  });

  test('alphanumeric OA "Hello": Wireshark decodes our GSM 7-bit packing', () => {
    const oa = sp.makeAddress('Hello', { ton: 5 });
    const tpdu = sp.smsDeliver.encode(sp.buildSmsDeliver({ ud: H('027000'), oa }));
    const f = tsharkJson(pcap('alnum.pcap', sp.envelopeRecords([tpdu])));
    assert.equal(one(f, 'gsm_sms.tp-oa'), 'Hello');
    assert.equal(one(f, 'gsm_sms.dis_field_addr.num_type'), '5');
    // 5 septets = 35 bits = 9 useful semi-octets (TS 23.040 9.1.2.5)
    assert.equal(one(f, 'gsm_sms.dis_field_addr.length'), '9');
    noProblems(f);
    assert.equal(sp.smsDeliver.decode(tpdu).oa.digits, 'Hello');
  });
});

// ------------------------------------------------------------------ SCTS

describe('TP-SCTS', () => {
  test('§7 example 52 10 71 31 45 21 00 = 2025-01-17 13:54:12 +0', () => {
    const s = sp.scts.decode(H('52107131452100'));
    assert.equal(s.iso, '2025-01-17T13:54:12+00:00');
  });
  test('time zones 40 = +1 h, 48 = -1 h, 8A = -7 h (sms-pp.md §4, tshark-verified there)', () => {
    assert.equal(sp.scts.decode(H('52107131452140')).tzQuarters, 4);
    assert.equal(sp.scts.decode(H('52107131452148')).tzQuarters, -4);
    assert.equal(sp.scts.decode(H('5210713145218A')).tzQuarters, -28);
    assert.equal(toHex(sp.scts.encode({ year: 25, month: 1, day: 17, hour: 13, minute: 54, second: 12, tzQuarters: -28 })), '5210713145218A');
  });
  test('the Gemalto trace SCTS 15 11 24 13 58 22 04 is not valid swapped BCD (Wireshark reads day 42, hour 31)', () => {
    const s = sp.scts.decode(H('15112413582204'));
    assert.equal(s.iso, null);
    assert.deepEqual([s.year, s.month, s.day, s.hour, s.minute, s.second, s.tzQuarters], [51, 11, 42, 31, 85, 22, 40]);
    assert.ok(s.warnings.length >= 3);
  });
});

// ------------------------------------------------------------------ TPDUs

describe('TPDU decode', () => {
  test('SMS-DELIVER of the §7 worked example', () => {
    const d = sp.decodeTpdu(DIGEST_TPDU, 'sc-to-ms');
    assert.equal(d.type, 'SMS-DELIVER');
    if (d.type !== 'SMS-DELIVER') return;
    assert.equal(d.firstOctet, 0x44);
    assert.deepEqual([d.udhi, d.mms, d.rp, d.sri], [true, true, false, false]);
    assert.equal(sp.formatAddress(d.oa), '+491234567');
    assert.deepEqual([d.pid, d.dcs, d.udl], [0x7f, 0xf6, 45]);
    assert.equal(toHex(d.userData.body), toHex(SJA2_PACKET));
    assert.equal(toHex(sp.smsDeliver.encode(d)), toHex(DIGEST_TPDU), 'extra: re-encode');
  });

  test('pySim encoded_tpdu: TP-UDL 03 with 37 octets of UD → InputError at byte 16', () => {
    // 1 first octet + 6 TP-OA (08 81 21436587) + PID + DCS + 7 SCTS = byte 16
    throwsInput(() => sp.decodeTpdu(PYSIM_TPDU_BAD_UDL, 'sc-to-ms'), { layer: 'SMS-DELIVER', field: 'TP-UDL', offset: 16 }, /says 3 octets, 37 present/);
  });

  test('builder defaults reproduce the pySim TPDU header 40 08 81 21 43 65 87 7F F6 22 70 52 00 00 00 00', () => {
    const ud = H('027000').subarray(0);
    const t = sp.smsDeliver.encode(sp.buildSmsDeliver({ ud, mms: false, scts: H('22705200000000') }));
    assert.equal(toHex(t.subarray(0, 16)), toHex(PYSIM_TPDU_BAD_UDL.subarray(0, 16)));
  });

  test('Gemalto SMS-SUBMIT (sms-pp.md §8.2)', () => {
    const tp = GEMALTO_FETCH_RESP.subarray(15, 15 + 0x3a);
    const d = sp.decodeTpdu(tp, 'ms-to-sc');
    assert.equal(d.type, 'SMS-SUBMIT');
    if (d.type !== 'SMS-SUBMIT') return;
    assert.deepEqual([d.firstOctet, d.mr, d.da.digits, d.da.ton, d.da.npi, d.pid, d.dcs, d.udl, d.vpf], [0x41, 0, '910', 0, 1, 0, 0xf6, 49, 0]);
    assert.equal(d.userData.udh?.[0].iei, 0x71);
    assert.equal(toHex(sp.smsSubmit.encode(d)), toHex(tp), 'extra: re-encode');
  });

  test('SMS-DELIVER-REPORT RP-ACK and RP-ERROR forms (sms-pp.md §6)', () => {
    const ack = sp.decodeTpdu(H('40077FF631' + toHex(SJA2_POR_UD)), 'ms-to-sc');
    const err = sp.decodeTpdu(H('40D5077FF631' + toHex(SJA2_POR_UD)), 'ms-to-sc');
    assert.ok(ack.type === 'SMS-DELIVER-REPORT' && err.type === 'SMS-DELIVER-REPORT');
    if (ack.type !== 'SMS-DELIVER-REPORT' || err.type !== 'SMS-DELIVER-REPORT') return;
    assert.deepEqual([ack.form, ack.fcs, ack.pi, ack.pid, ack.dcs, ack.udl], ['ack', undefined, 7, 0x7f, 0xf6, 49]);
    assert.deepEqual([err.form, err.fcs, sp.fcsName(err.fcs!)], ['error', 0xd5, '(U)SIM data download error']);
    assert.equal(toHex(err.ud!), toHex(SJA2_POR_UD));
    const built = sp.smsDeliverReport.encode(sp.buildSmsDeliverReport({ ud: SJA2_POR_UD, fcs: 0xd5 }));
    assert.equal(toHex(built), '40D5077FF631' + toHex(SJA2_POR_UD));
    assert.equal(toHex(sp.smsDeliverReport.encode(sp.buildSmsDeliverReport({ ud: SJA2_POR_UD }))), '40077FF631' + toHex(SJA2_POR_UD));
  });

  test('SMS-DELIVER-REPORT: TP-PI without TP-UDL but octets following, truncated PID', () => {
    throwsInput(() => sp.decodeTpdu(H('40037FF6AA'), 'ms-to-sc'), { layer: 'SMS-DELIVER-REPORT', field: 'TP-PI', offset: 1 }, /1 octets follow/);
    throwsInput(() => sp.decodeTpdu(H('40D507'), 'ms-to-sc'), { field: 'TP-PID', offset: 3 });
    // explicit form overrides the heuristic: read as RP-ACK, D5 is a TP-PI with the
    // extension bit (a second PI octet 00 follows), PID and UDL present
    const asAck = sp.decodeTpdu(H('00D5007F00'), 'ms-to-sc', { reportForm: 'ack' });
    assert.ok(asAck.type === 'SMS-DELIVER-REPORT');
    if (asAck.type !== 'SMS-DELIVER-REPORT') return;
    assert.deepEqual([asAck.form, asAck.pi, toHex(asAck.piExtension), asAck.pid, asAck.udl], ['ack', 0xd5, '00', 0x7f, 0]);
  });

  test('TP-SCTS from a Date at +1 h: 2024-02-29 23:59:58Z → 42 30 10 00 95 85 40 (hand-computed with the §4 rules)', () => {
    const d = sp.buildSmsDeliver({ ud: H('027000'), now: new Date(Date.UTC(2024, 1, 29, 23, 59, 58)), tzQuarters: 4 });
    assert.equal(toHex(d.scts), '42301000958540');
    assert.equal(sp.scts.decode(d.scts).iso, '2024-03-01T00:59:58+01:00');
  });

  test('errors: reserved MTI, unsupported types, UDL mismatch, UDHL past TP-UD, truncated OA', () => {
    throwsInput(() => sp.decodeTpdu(H('47'), 'sc-to-ms'), { layer: 'TPDU', field: 'TP-MTI', offset: 0 }, /reserved/);
    throwsInput(() => sp.decodeTpdu(H('02'), 'sc-to-ms'), { field: 'TP-MTI' }, /SMS-STATUS-REPORT/);
    const longer = H(toHex(DIGEST_TPDU) + 'AA');
    // TP-UDL of the §7 TPDU sits at byte 17 (1 + 7 OA + 2 + 7 SCTS)
    throwsInput(() => sp.decodeTpdu(longer, 'sc-to-ms'), { layer: 'SMS-DELIVER', field: 'TP-UDL', offset: 17 }, /says 45 octets, 46 present/);
    throwsInput(() => sp.decodeTpdu(DIGEST_TPDU.subarray(0, 40), 'sc-to-ms'), { field: 'TP-UDL', offset: 17 });
    const badUdh = H('44038119F07FF66210100000000003' + '057000');
    throwsInput(() => sp.decodeTpdu(badUdh, 'sc-to-ms'), { layer: 'UDH', field: 'UDHL', offset: 15 });
    throwsInput(() => sp.decodeTpdu(H('440991942143'), 'sc-to-ms'), { field: 'Address-Value', offset: 3 });
    // inside an ENVELOPE, offsets are those of the APDU: without address the TPDU starts at byte 13
    const env = sp.buildEnvelope(longer);
    throwsInput(() => sp.envelope.decode(env), { field: 'TP-UDL', offset: 13 + 17 });
  });

  test('7-bit DCS: UDL counts septets; with a UDH the text starts after fill bits — Wireshark agrees', () => {
    const ies = [sp.concatIe({ ref: 0x1234, refBits: 16, total: 1, seq: 1 })];
    const { ud, udl } = sp.buildUserData7(ies, 'Hello OTA');
    const t = sp.smsDeliver.encode(sp.buildSmsDeliver({ ud, udl, dcs: 0x00, pid: 0x00 }));
    const d = sp.decodeTpdu(t, 'sc-to-ms');
    assert.ok(d.type === 'SMS-DELIVER');
    if (d.type !== 'SMS-DELIVER') return;
    assert.deepEqual([d.userData.udlUnit, d.udl, d.userData.text], ['septets', 8 /* UDHL+UDH = 7 octets = 56 bits → 8 septets */ + 9, 'Hello OTA']);
    const f = tsharkJson(pcap('gsm7.pcap', sp.envelopeRecords([t])));
    assert.equal(one(f, 'gsm_sms.sms_text'), 'Hello OTA');
    assert.equal(one(f, 'gsm_sms.tp.user_data_length'), '17');
    assert.equal(one(f, 'gsm_sms.udh.mm.msg_id'), String(0x1234));
    noProblems(f);
    // septet count not implied by octets: building without udl is refused
    throwsInput(() => sp.smsDeliver.encode(sp.buildSmsDeliver({ ud, dcs: 0 })), { field: 'TP-UDL' });
  });
});

// ------------------------------------------------------------------ ENVELOPE / proactive

describe('ENVELOPE (SMS-PP DOWNLOAD)', () => {
  test('§7 worked example: decode, and build the same bytes', () => {
    const e = sp.envelope.decode(DIGEST_ENVELOPE);
    assert.deepEqual([e.cla, e.ins, e.p1, e.p2, e.lc, e.le, e.tag, e.berLength], [0x80, 0xc2, 0, 0, 0x4f, undefined, 0xd1, 0x4d]);
    assert.deepEqual([e.deviceIdentities.source, e.deviceIdentities.destination], [0x83, 0x81]);
    assert.equal(sp.formatAddress(e.address!), '+491710000');
    assert.equal(toHex(e.tpdu), toHex(DIGEST_TPDU));
    assert.equal(e.tpduOffset, 21);
    const built = sp.buildEnvelope(DIGEST_TPDU, { address: sp.makeAddress('+491710000') });
    assert.equal(toHex(built), toHex(DIGEST_ENVELOPE));
    const j = sp.envelopeToJson(e) as { tpdu: { oa: { digits: string }; scts: { iso: string } } };
    assert.equal(j.tpdu.oa.digits, '491234567');
    assert.equal(j.tpdu.scts.iso, '2025-01-17T13:54:12+00:00');
  });

  test('real pySim-smpp2sim ENVELOPE data (no APDU header; address 00 10 32 54)', () => {
    const e = sp.envelope.decode(PYSIM_ENVELOPE_DATA);
    assert.equal(e.cla, undefined);
    assert.deepEqual([e.address!.digits, e.address!.ton, e.address!.npi], ['012345', 0, 0]);
    assert.ok(e.sms && e.sms.type === 'SMS-DELIVER');
    if (e.sms?.type !== 'SMS-DELIVER') return;
    assert.deepEqual([e.sms.firstOctet, e.sms.oa.digits, e.sms.oa.ton, e.sms.sctsInfo.iso, e.sms.udl], [0x40, '12', 1, '2022-07-25T00:00:00+00:00', 45]);
    assert.equal(toHex(e.sms.userData.body.subarray(0, 10)), '00281516191212B00001');
  });

  test('real Gemalto ENVELOPE (no address object) with trailing Le accepted', () => {
    const withLe = H(toHex(GEMALTO_ENVELOPE) + '00');
    for (const b of [GEMALTO_ENVELOPE, withLe]) {
      const e = sp.envelope.decode(b);
      assert.equal(e.address, undefined);
      assert.ok(e.sms?.type === 'SMS-DELIVER');
      if (e.sms?.type !== 'SMS-DELIVER') return;
      assert.deepEqual([e.sms.oa.digits, e.sms.udl, toHex(e.sms.userData.body.subarray(0, 5))], ['910', 0x25, '0020111535']);
    }
    assert.equal(sp.envelope.decode(withLe).le, 0);
  });

  test('CR-less tags 02/06/0B are accepted', () => {
    const b = sp.buildEnvelope(DIGEST_TPDU, { cr: false, address: sp.makeAddress('+491710000') });
    assert.equal(toHex(b.subarray(7, 9)), '0202');
    const e = sp.envelope.decode(b);
    assert.equal(e.tpduCr, false);
    assert.equal(toHex(e.tpdu), toHex(DIGEST_TPDU));
  });

  test('errors: BER length, Lc, missing device identities, missing TPDU, TLV overrun, wrong INS', () => {
    const bad = Uint8Array.from(DIGEST_ENVELOPE);
    bad[6] = 0x4e;
    throwsInput(() => sp.envelope.decode(bad), { layer: 'ENVELOPE', field: 'BER-TLV length', offset: 6 }, /says 78 octets, 77 present/);
    throwsInput(() => sp.envelope.decode(DIGEST_ENVELOPE.subarray(0, 60)), { field: 'Lc', offset: 4 }, /says 79 octets, 55 present/);
    throwsInput(() => sp.envelope.decode(H('D1058B03440000')), { field: 'Device identities', offset: 2 });
    throwsInput(() => sp.envelope.decode(H('D10482028381')), { field: 'SMS TPDU', offset: 2 });
    throwsInput(() => sp.envelope.decode(H('D106820283818B05')), { field: 'length of tag 8B', offset: 7 }, /says 5 octets, 0 left/);
    throwsInput(() => sp.envelope.decode(H('80A4000002D100')), { field: 'INS', offset: 1 });
  });
});

describe('proactive SEND SHORT MESSAGE', () => {
  test('Gemalto FETCH response (sms-pp.md §8.2): decode and rebuild', () => {
    const p = sp.proactiveCommand.decode(GEMALTO_FETCH_RESP);
    assert.deepEqual([p.commandDetails.number, p.commandDetails.type, p.commandDetails.qualifier], [1, 0x13, 0]);
    assert.deepEqual([p.deviceIdentities.source, p.deviceIdentities.destination], [0x81, 0x83]);
    assert.equal(toHex(p.alphaId!), '');
    assert.equal(p.sw, 0x9000);
    assert.ok(p.sms?.type === 'SMS-SUBMIT');
    assert.deepEqual(p.cr, { commandDetails: true, deviceIdentities: true, alphaId: false, tpdu: true });
    const rebuilt = sp.buildSendShortMessage(p.tpdu!, { alphaId: new Uint8Array(0), cr: { alphaId: false } });
    assert.equal(toHex(rebuilt), toHex(GEMALTO_FETCH_RESP.subarray(0, -2)));
    assert.equal(toHex(sp.fetchApdu(0x49)), '8012000049');
  });

  test('TERMINAL RESPONSE of the trace', () => {
    assert.equal(toHex(sp.terminalResponseApdu({ number: 1, type: 0x13, qualifier: 0 })), toHex(GEMALTO_TERMINAL_RESPONSE));
  });

  test('missing SMS TPDU in SEND SHORT MESSAGE is an InputError', () => {
    throwsInput(() => sp.proactiveCommand.decode(H('D009810301130082028183')), { field: 'SMS TPDU', offset: 2 });
  });
});

// ------------------------------------------------------------------ concatenation

describe('concatenation', () => {
  test('single SM: 02 70 00 ‖ packet gives the UD of the §7 example', () => {
    const segs = sp.splitPacket(SJA2_PACKET);
    assert.equal(segs.length, 1);
    assert.equal(toHex(segs[0]), toHex(DIGEST_TPDU.subarray(18)));
  });

  test('limits: 137 octets fit one SM, 138 need two (132 + 6) — sms-pp.md §2/§3', () => {
    const p137 = new Uint8Array(137).fill(0xab);
    assert.equal(sp.splitPacket(p137)[0].length, 140);
    const segs = sp.splitPacket(new Uint8Array(138).fill(0xcd));
    assert.equal(segs.length, 2);
    assert.equal(toHex(segs[0].subarray(0, 8)), '0700030002017000');
    assert.equal(segs[0].length, 140);
    assert.equal(toHex(segs[1].subarray(0, 6)), '050003000202');
    assert.equal(segs[1].length, 6 + 6);
    // 16-bit reference: 131 / 133 octets per segment
    const s16 = sp.splitPacket(new Uint8Array(300), { refBits: 16, ref: 0x1234 });
    assert.deepEqual(s16.map((s) => s.length), [140, 140, 6 + 1 + 300 - 131 - 133]);
    assert.equal(toHex(s16[0].subarray(0, 9)), '080804123403017000');
    assert.equal(toHex(s16[2].subarray(0, 7)), '06080412340303');
  });

  test('over 255 segments, empty packet, bad reference → InputError', () => {
    throwsInput(() => sp.splitPacket(new Uint8Array(132 + 254 * 134 + 1)), { layer: 'concatenation', field: 'Message parts' }, /256 SMS segments/);
    assert.equal(sp.splitPacket(new Uint8Array(132 + 254 * 134)).length, 255);
    throwsInput(() => sp.splitPacket(new Uint8Array(0)), { field: 'packet' });
    throwsInput(() => sp.splitPacket(new Uint8Array(200), { ref: 256 }), { field: 'reference' });
  });

  test('response packets use IE 71', () => {
    const rp = SJA2_POR_UD.subarray(3);
    assert.equal(toHex(sp.splitPacket(rp, { iei: 0x71 })[0]), toHex(SJA2_POR_UD));
    const r = sp.reassemble([SJA2_POR_UD]);
    assert.deepEqual([r.iei, r.total, toHex(r.packet)], [0x71, 1, toHex(rp)]);
  });

  test('reassembly: order, missing, duplicate, mixed references', () => {
    const packet = Uint8Array.from({ length: 400 }, (_, i) => i & 0xff);
    const segs = sp.splitPacket(packet, { ref: 7 });
    assert.equal(segs.length, 3);
    const r = sp.reassemble([segs[2], segs[0], segs[1]]);
    assert.deepEqual([toHex(r.packet) === toHex(packet), r.iei, r.ref, r.total, r.order], [true, 0x70, 7, 3, [1, 2, 0]]);
    throwsInput(() => sp.reassemble([segs[0], segs[2]]), { layer: 'concatenation', field: 'Message part number' }, /missing part 2 of 3/);
    throwsInput(() => sp.reassemble([segs[0], segs[1], segs[1], segs[2]]), { field: 'Message part number' }, /part 2 in segments 2 and 3/);
    const other = sp.splitPacket(packet, { ref: 8 });
    throwsInput(() => sp.reassemble([segs[0], other[1], segs[2]]), { field: 'Message identifier' }, /segment 2 has 8-bit reference 8/);
    throwsInput(() => sp.reassemble([segs[0], H('027000AA')]), { field: 'UDH' }, /segment 2 has no concatenation IE/);
    throwsInput(() => sp.reassemble([segs[0], H('0500')]), { layer: 'UDH', field: 'UDHL' }, /segment 2/);
  });
});

// ------------------------------------------------------------------ Wireshark

describe('pcaps checked with tshark', () => {
  test('tshark is installed (the tests below need it)', () => {
    assert.ok(tsharkPath());
  });

  test('the problem detector is not vacuous: a TPDU cut inside TP-OA is reported malformed', () => {
    // (Wireshark does not flag an 8-bit TP-UD shorter than TP-UDL, so the tests
    // below also compare TP-UDL and the body bytes explicitly.)
    const f = tsharkJson(pcap('broken.pcap', sp.gsmtapSimRecords([{ command: sp.buildEnvelope(DIGEST_TPDU.subarray(0, 4)) }])));
    assert.ok(problems(f[0]).includes('_ws.malformed'), 'tshark should flag the truncated TPDU');
  });

  test('single SMS-DELIVER in an ENVELOPE carrying the SJA2 and SJA5 command packets', () => {
    const tpdus = [SJA2_PACKET, SJA5_AES_PACKET].map((p) =>
      sp.smsDeliver.encode(sp.buildSmsDeliver({ ud: sp.splitPacket(p)[0], oa: '+491234567' })),
    );
    const f = tsharkJson(pcap('single.pcap', sp.envelopeRecords(tpdus, { address: sp.makeAddress('+491710000') })));
    assert.equal(f.length, 2);
    noProblems(f);
    [SJA2_PACKET, SJA5_AES_PACKET].forEach((p, i) => {
      const l = f[i]._source.layers;
      assert.equal(one(l, 'gsm_sim.apdu.ins'), '0xc2');
      assert.equal(one(l, 'gsm_sim.apdu.sw'), '0x9000');
      assert.equal(one(l, 'gsm_sim.cat.ber_tlv_tag'), '0xd1');
      assert.equal(one(l, 'etsi_cat.comp_tlv.src_dev'), '0x83');
      assert.equal(one(l, 'etsi_cat.comp_tlv.dst_dev'), '0x81');
      assert.equal(one(l, 'etsi_cat.comp_tlv.address.ton'), '0x01');
      assert.equal(one(l, 'gsm_sms.tp-mti'), '0');
      assert.equal(one(l, 'gsm_sms.tp-udhi'), '1');
      assert.equal(one(l, 'gsm_sms.tp-mms'), '1');
      assert.equal(one(l, 'gsm_sms.tp-oa'), '491234567');
      assert.equal(one(l, 'gsm_sms.dis_field_addr.num_type'), '1');
      assert.equal(one(l, 'gsm_sms.dis_field_addr.num_plan'), '1');
      assert.equal(one(l, 'gsm_sms.tp-pid'), '127');
      assert.equal(one(l, 'gsm_sms.tp-dcs'), '246');
      // default SCTS 62 10 10 00 00 00 00 = 26-01-01 00:00:00 +0
      assert.deepEqual(
        ['year', 'month', 'day', 'hour', 'minutes', 'seconds', 'timezone'].map((k) => one(l, `gsm_sms.scts.${k}`)),
        ['26', '1', '1', '0', '0', '0', '0'],
      );
      assert.equal(one(l, 'gsm_sms.tp.user_data_length'), String(3 + p.length));
      assert.equal(one(l, 'gsm_sms.dis_field_udh.user_data_header_length'), '2');
      assert.equal(one(l, 'gsm_sms.ie_identifier'), '0x70');
      assert.equal(colonHex(one(l, 'gsm_sms.sms_body')), toHex(p));
    });
  });

  test('2-segment concatenated command (sms-pp.md §3 vector layout), reassembled by Wireshark', () => {
    // The digest quotes only the ends of this real 122-octet packet
    // ("0078 15 1601 12 12 000001 CCDA206E…" and "7B6ABED3"); the 104 octets in
    // between are filler of ours. The real vector puts 118 + 4 octets in two SMs
    // although 122 would fit one, so force concatenation with 126-octet TP-UDs.
    const packet = new Uint8Array(122);
    packet.set(H('00781516011212000001CCDA206E'));
    for (let i = 14; i < 118; i++) packet[i] = i;
    packet.set(H('7B6ABED3'), 118);
    const uds = sp.splitPacket(packet, { force: true, maxUd: 126 });
    const tpdus = uds.map((ud) => sp.smsDeliver.encode(sp.buildSmsDeliver({ ud, oa: '1122', mms: false, scts: H('40707061153500') })));
    // sms-pp.md §3: "part 1: 40 04811122 7F F6 40707061153500 7E | 07 000300 0201 7000 | 0078 15 1601 12 12 000001 CCDA206E…"
    assert.equal(toHex(tpdus[0].subarray(0, 37)), '40048111227FF6407070611535007E07000300020170000078151601121200000 1CCDA206E'.replace(/ /g, ''));
    // "part 2: 40 04811122 7F F6 40707061153500 0A | 05 000300 0202 | 7B6ABED3"
    assert.equal(toHex(tpdus[1]), '40048111227FF6407070611535000A0500030002027B6ABED3');

    const f = tsharkJson(pcap('concat.pcap', sp.envelopeRecords(tpdus)));
    noProblems(f);
    const [a, b] = f.map((x) => x._source.layers);
    assert.equal(one(a, 'gsm_sms.tp-oa'), '1122');
    assert.equal(one(a, 'gsm_sms.dis_field_addr.num_type'), '0');
    assert.equal(one(a, 'gsm_sms.tp-mms'), '0');
    assert.equal(one(a, 'gsm_sms.tp.user_data_length'), '126');
    assert.equal(one(b, 'gsm_sms.tp.user_data_length'), '10');
    assert.deepEqual(findAll(a, 'gsm_sms.ie_identifier'), ['0x00', '0x70']);
    assert.deepEqual(findAll(b, 'gsm_sms.ie_identifier'), ['0x00']);
    assert.deepEqual([one(a, 'gsm_sms.udh.mm.msg_id'), one(a, 'gsm_sms.udh.mm.msg_parts'), one(a, 'gsm_sms.udh.mm.msg_part')], ['0', '2', '1']);
    assert.deepEqual([one(b, 'gsm_sms.udh.mm.msg_id'), one(b, 'gsm_sms.udh.mm.msg_parts'), one(b, 'gsm_sms.udh.mm.msg_part')], ['0', '2', '2']);
    assert.equal(colonHex(one(a, 'gsm_sms.sms_body')), toHex(packet.subarray(0, 118)));
    // Wireshark's own reassembly of the two fragments equals the packet
    assert.equal(one(b, 'gsm_sms.reassembled.length'), '122');
    assert.equal(colonHex(one(b, 'gsm_sms.sms_body')), toHex(packet));
    // and so does ours, from the TPDUs in reverse order
    const r = sp.reassembleTpdus([tpdus[1], tpdus[0]]);
    assert.deepEqual([toHex(r.packet), r.iei, r.total], [toHex(packet), 0x70, 2]);
  });

  test('16-bit reference, 3 segments: Wireshark sees the 08 IEs and reassembles', () => {
    const packet = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    const uds = sp.splitPacket(packet, { refBits: 16, ref: 0xbeef });
    const tpdus = uds.map((ud) => sp.smsDeliver.encode(sp.buildSmsDeliver({ ud })));
    const f = tsharkJson(pcap('concat16.pcap', sp.envelopeRecords(tpdus)));
    noProblems(f);
    f.forEach((x, i) => {
      assert.equal(one(x, 'gsm_sms.udh.mm.msg_id'), String(0xbeef));
      assert.equal(one(x, 'gsm_sms.udh.mm.msg_part'), String(i + 1));
      assert.equal(one(x, 'gsm_sms.udh.mm.msg_parts'), '3');
    });
    assert.equal(colonHex(one(f[2], 'gsm_sms.sms_body')), toHex(packet));
  });

  test('real traces of the digest through Wireshark: Gemalto ENVELOPE + FETCH + TERMINAL RESPONSE, pySim ENVELOPE', () => {
    const recs = sp.gsmtapSimRecords([
      { command: GEMALTO_ENVELOPE, sw: 0x9149 },
      { command: sp.fetchApdu(0x49), response: GEMALTO_FETCH_RESP.subarray(0, -2), sw: 0x9000 },
      { command: GEMALTO_TERMINAL_RESPONSE },
      { command: H('80C2000049' + toHex(PYSIM_ENVELOPE_DATA)) },
    ]);
    const f = tsharkJson(pcap('traces.pcap', recs));
    noProblems(f);
    const [env, fetch, tr, py] = f.map((x) => x._source.layers);
    assert.equal(one(env, 'gsm_sim.apdu.sw'), '0x9149');
    assert.equal(one(env, 'gsm_sms.tp-oa'), '910');
    assert.equal(one(env, 'gsm_sms.tp.user_data_length'), '37');
    assert.equal(one(fetch, 'gsm_sim.apdu.ins'), '0x12');
    assert.equal(one(fetch, 'gsm_sms.tp-mti'), '1');
    assert.equal(one(fetch, 'gsm_sms.tp-da'), '910');
    assert.equal(one(fetch, 'gsm_sms.tp-pid'), '0');
    assert.equal(one(fetch, 'gsm_sms.tp.user_data_length'), '49');
    assert.equal(one(fetch, 'gsm_sms.ie_identifier'), '0x71');
    assert.equal(one(tr, 'gsm_sim.apdu.ins'), '0x14');
    assert.equal(one(py, 'gsm_sms.tp-oa'), '12');
    // our decoders agree with those values
    const e = sp.envelope.decode(GEMALTO_ENVELOPE);
    const p = sp.proactiveCommand.decode(GEMALTO_FETCH_RESP);
    assert.ok(e.sms?.type === 'SMS-DELIVER' && p.sms?.type === 'SMS-SUBMIT');
    if (e.sms?.type !== 'SMS-DELIVER' || p.sms?.type !== 'SMS-SUBMIT') return;
    assert.deepEqual([e.sms.oa.digits, e.sms.udl, p.sms.da.digits, p.sms.pid, p.sms.udl], ['910', 37, '910', 0, 49]);
    // Wireshark shows the Gemalto SCTS as year 51 month 11 day 42 hour 31 — not valid swapped BCD
    assert.deepEqual(['year', 'month', 'day', 'hour'].map((k) => one(env, `gsm_sms.scts.${k}`)), ['51', '11', '42', '31']);
    assert.equal(e.sms.sctsInfo.iso, null);
  });

  test('bare TPDUs via exported PDUs: SMS-DELIVER-REPORT (both forms) and SMS-SUBMIT with VP', () => {
    const ack = sp.smsDeliverReport.encode(sp.buildSmsDeliverReport({ ud: SJA2_POR_UD }));
    const err = sp.smsDeliverReport.encode(sp.buildSmsDeliverReport({ ud: SJA2_POR_UD, fcs: 0xd4 }));
    const f = tsharkJson(pcap('report.pcap', sp.exportedPduRecords([ack, err], 'ms-to-sc'), sp.LINKTYPE_WIRESHARK_UPPER_PDU));
    noProblems(f);
    const v = tsharkVerbose(join(dir, 'report.pcap'));
    assert.equal((v.match(/GSM SMS TPDU \(GSM 03.40\) SMS-DELIVER REPORT/g) ?? []).length, 2);
    assert.match(v, /TP-Failure-Cause \(TP-FCS\): \(U\)SIM Application Toolkit Busy \(0xd4\)/i);
    assert.match(v, /TP-Parameter-Indicator: 0x07/);
    for (const x of f) {
      assert.equal(one(x, 'gsm_sms.tp-pid'), '127');
      assert.equal(one(x, 'gsm_sms.tp.user_data_length'), '49');
      assert.equal(one(x, 'gsm_sms.ie_identifier'), '0x71');
      assert.equal(colonHex(one(x, 'gsm_sms.sms_body')), toHex(SJA2_POR_UD.subarray(3)));
    }

    // TP-VP texts per TS 23.040 9.2.3.12.1, as Wireshark prints them
    const vps: [number, string][] = [
      [0x00, '5 minutes'],
      [0x8f, '12 hours 0 minutes'],
      [0xa7, '24 hours 0 minutes'],
      [0xa8, '2 day(s)'],
      [0xc5, '5 week(s)'],
    ];
    const subs = vps.map(([vp]) => sp.smsSubmit.encode(sp.buildSmsSubmit({ ud: SJA2_POR_UD, da: '910', vp })));
    const abs = sp.smsSubmit.encode(sp.buildSmsSubmit({ ud: SJA2_POR_UD, da: '910', vp: sp.scts.encode({ ...sp.DEFAULT_SCTS_FIELDS, tzQuarters: -4 }) }));
    const vf = tsharkVerbose(pcap('submit.pcap', sp.exportedPduRecords([...subs, abs], 'ms-to-sc'), sp.LINKTYPE_WIRESHARK_UPPER_PDU));
    const shown = [...vf.matchAll(/TP-Validity-Period: (.*)/g)].map((m) => m[1].trim());
    assert.deepEqual(shown, [...vps.map(([, t]) => t), 'absolute']);
    assert.match(vf, /Timezone: GMT - 1 hours 0 minutes/);
    assert.deepEqual(subs.map((s) => (sp.decodeTpdu(s, 'ms-to-sc') as sp.DecodedSmsSubmit).vpInfo?.text), vps.map(([, t]) => t));
    assert.ok(!/Malformed|Expert Info \(Error/.test(vf));
  });

  test('SMS-SUBMIT as a GSMTAP capture is wrapped in a FETCH / SEND SHORT MESSAGE', () => {
    const sub = sp.smsSubmit.encode(sp.buildSmsSubmit({ ud: SJA2_POR_UD, da: '910' }));
    const w = sp.tpduGsmtapRecords(sub, 'ms-to-sc');
    assert.equal(w.wrapper, 'FETCH response (SEND SHORT MESSAGE)');
    const f = tsharkJson(pcap('submit-gsmtap.pcap', w.records));
    noProblems(f);
    assert.equal(one(f, 'etsi_cat.comp_tlv.cmd_type'), '0x13');
    assert.equal(one(f, 'gsm_sms.tp-mti'), '1');
    assert.equal(one(f, 'gsm_sms.tp-da'), '910');
    // and SMS-DELIVER via the ENVELOPE wrapper
    const d = sp.tpduGsmtapRecords(DIGEST_TPDU, 'sc-to-ms');
    const g = tsharkJson(pcap('deliver-gsmtap.pcap', d.records));
    noProblems(g);
    assert.equal(one(g, 'gsm_sms.tp-oa'), '491234567');
    assert.match(one(g, 'frame.protocols'), /udp:gsmtap:gsm_sim:etsi_cat:gsm_sms$/);
    throwsInput(() => sp.tpduGsmtapRecords(H('40077FF631' + toHex(SJA2_POR_UD)), 'ms-to-sc'), { layer: 'GSMTAP' });
  });
});

// ------------------------------------------------------------------ trees / JSON

describe('trees and JSON', () => {
  test('TPDU tree names fields as Wireshark and has first-octet bit lines', () => {
    const t = sp.tpduToTree(sp.decodeTpdu(DIGEST_TPDU, 'sc-to-ms'));
    const names = (t.children ?? []).map((c) => c.name);
    assert.deepEqual(names, ['First octet', 'TP-Originating-Address', 'TP-PID', 'TP-DCS', 'TP-Service-Centre-Time-Stamp', 'TP-User-Data-Length', 'TP-User-Data']);
    const bits = t.children![0].bits!;
    assert.equal(bits.length, 6);
    assert.equal(bits[1], '.1.. .... = TP-UDHI: TP-UD begins with a header');
    assert.equal(bits[5], '.... ..00 = TP-MTI: SMS-DELIVER (0)');
  });

  test('JSON of an ENVELOPE has the documented keys', () => {
    const j = sp.envelopeToJson(sp.envelope.decode(DIGEST_ENVELOPE));
    assert.deepEqual(Object.keys(j), ['cla', 'ins', 'p1', 'p2', 'lc', 'le', 'tag', 'deviceIdentities', 'address', 'tpdu', 'warnings']);
    const tp = j.tpdu as Record<string, unknown>;
    for (const k of ['type', 'mti', 'mms', 'rp', 'udhi', 'sri', 'oa', 'pid', 'dcs', 'scts', 'udl', 'ud', 'udh']) assert.ok(k in tp, k);
    assert.deepEqual(tp.udh, [{ iei: '70', data: '' }]); // JSON v1: the IEI as hex (command packet identifier 70, TS 31.115)
    assert.deepEqual([j.cla, j.ins, j.tag], ['80', 'C2', 'D1']); // ENVELOPE 80 C2, SMS-PP download tag D1 (TS 102 223)
  });
});

describe('build / peel helpers', () => {
  test('buildSmsPp gives the §7 example layers; peelSmsPp gets the packet back from each', () => {
    const b = sp.buildSmsPp(SJA2_PACKET, { oa: '+491234567', scAddress: '+491710000', scts: H('52107131452100') });
    assert.equal(toHex(b.envelopes[0]), toHex(DIGEST_ENVELOPE));
    for (const [input, kind] of [
      [b.envelopes[0], 'envelope'],
      [b.envelopes[0].subarray(5), 'envelope'],
      [b.tpdus[0], 'tpdu'],
      [b.uds[0], 'ud'],
      [GEMALTO_FETCH_RESP, 'proactive'],
    ] as const) {
      const p = sp.peelSmsPp(input);
      assert.equal(p.kind, kind);
      assert.equal(toHex(p.packet!), kind === 'proactive' ? toHex(GEMALTO_FETCH_RESP.subarray(15 + 9 + 3, -2)) : toHex(SJA2_PACKET));
      assert.equal(p.iei, kind === 'proactive' ? 0x71 : 0x70);
    }
  });

  test('peelAndReassemble over ENVELOPEs', () => {
    const packet = Uint8Array.from({ length: 200 }, (_, i) => i);
    const b = sp.buildSmsPp(packet, { ref: 3 });
    assert.equal(b.envelopes.length, 2);
    const r = sp.peelAndReassemble([b.envelopes[1], b.envelopes[0]]);
    assert.equal(toHex(r.packet), toHex(packet));
    throwsInput(() => sp.peelAndReassemble([b.envelopes[0]]), { field: 'Message part number' }, /missing part 2 of 2/);
  });

  test('GSM 7-bit packing of "hellohello" = E8 32 9B FD 46 97 D9 EC 37 (the classic example of SMS PDU tutorials)', () => {
    assert.equal(toHex(sp.packSeptets(sp.textToSeptets('hellohello'))), 'E8329BFD4697D9EC37');
    assert.equal(sp.septetsToText(sp.unpackSeptets(H('E8329BFD4697D9EC37'), 10)), 'hellohello');
  });
  test('the UDH probe that tells user data from a TPDU agrees with udh.decode, and throws nothing', () => {
    // Its answer must be what decoding gave: the CPI/RPI when the header decodes and holds one.
    const viaDecode = (b: Uint8Array): number | undefined => {
      try {
        return sp.findSecurityIe(sp.udh.decode(b).ies);
      } catch {
        return undefined;
      }
    };
    const fixed = ['027000', '027100', '0270001234', '0570000003010201', '05000301020270', '060003010201', '02710100', '0371', '', '00', '0170', '44088121436587', '0A0003010201057000'];
    for (const x of fixed) assert.equal(sp.probeSecurityIe(H(x)), viaDecode(H(x)), x);
    assert.equal(sp.probeSecurityIe(H('027000')), 0x70);
    assert.equal(sp.probeSecurityIe(H('0700030102017000')), 0x70); // concatenation IE, then the CPI
    assert.equal(sp.probeSecurityIe(H('0600030102017000')), undefined); // UDHL 06 cuts the CPI's IEDL off
    // Random headers, most of them well formed, some not.
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % n;
    const IEIS = [0x00, 0x08, 0x70, 0x71, 0x24, 0x25];
    for (let i = 0; i < 20000; i++) {
      const ies: number[] = [];
      const count = rnd(4);
      for (let k = 0; k < count; k++) {
        const iei = IEIS[rnd(IEIS.length)];
        const len = rnd(3) === 0 ? rnd(6) : iei === 0 ? 3 : iei === 8 ? 4 : iei >= 0x70 ? 0 : rnd(3);
        ies.push(iei, len, ...Array.from({ length: len }, () => rnd(256)));
      }
      const udhl = rnd(8) === 0 ? rnd(12) : ies.length;
      const b = Uint8Array.from([udhl, ...ies, ...Array.from({ length: rnd(4) }, () => rnd(256))]);
      assert.equal(sp.probeSecurityIe(b), viaDecode(b), toHex(b));
    }
  });
});
