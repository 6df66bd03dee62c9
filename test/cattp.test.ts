/**
 * CAT_TP (ETSI TS 102 127) codec, segmentation and loopback sessions.
 *
 * Where expected values come from:
 *  - VERIFIED: the hex PDUs of spec digest cat-tp.md §6, each hand-built and
 *    decoded by tshark 4.0.17 ("Checksum Status: Good"), with the field values
 *    stated there; re-checked here with
 *      tshark -r <pcap> -d udp.port==N,cattp -T json --no-duplicate-keys
 *  - everything else we encode is decoded by Wireshark's CAT-TP dissector
 *    (test/helpers/tshark-cattp.ts, same command line) and every field it shows
 *    is compared with the value we asked for, plus its checksum verdict.
 *  - the checksum hand computation of §6 (sum A1C8 → 5E37).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { fromHex, toHex } from '../src/util/hex.js';
import { InputError, NetworkError, OtaError } from '../src/util/errors.js';
import {
  cattpChecksum,
  cattpPdu,
  decodePdu,
  encodePdu,
  encodingLength,
  iccidToIdentification,
  identificationToIccid,
  pduJson,
  pduTree,
  type CattpPdu,
} from '../src/cattp/pdu.js';
import { reassemble, segmentSdu } from '../src/cattp/segment.js';
import { send, serve, toPcapRecords, type DatagramRecord, type PduLogEntry } from '../src/cattp/session.js';
import { field, tsharkPayloads, tsharkRecords, type TsharkFrame } from './helpers/tshark-cattp.js';

const NONE = new Uint8Array(0);

// cat-tp.md §6 verified PDUs (tshark 4.0.17: checksum correct for each).
const V = {
  syn: '80000021 0400 0001 0000 1234 0000 0004 5E37 0400 0800 0A 988812010000407682F5',
  synAck: 'C0000017 0001 0400 0000 5678 1234 0004 C736 0400 0800 00',
  data23: '40000012 0001 0400 0017 1235 5678 0004 8125 011B0D00000000B00010000000000000A0A40000027F20',
  data23Bad: '40000012 0001 0400 0017 1235 5678 0004 8124 011B0D00000000B00010000000000000A0A40000027F20',
  nul: '48000012 0400 0001 0000 1236 5678 0004 4B3A',
  eack: '60000016 0400 0001 0000 1236 5678 0004 863C 5679 5680',
  rst: '10000013 0400 0001 0000 1237 0000 0000 D9B4 00',
  cmd: '40000012 0001 0400 002A 5679 1235 0004 CFE7 01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808',
};
// §6: the SYN's identification is ICCID 8988211000000467285 (Wireshark shows 8988211000000467285F).
const ICCID = '8988211000000467285';
// §7.3: the command packet carried by the last verified PDU.
const CMD_PACKET = fromHex('01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808');

function catchErr(fn: () => unknown): OtaError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OtaError, `expected an OtaError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

function expectInputError(fn: () => unknown, fieldName: string, offset: number | undefined, re?: RegExp): void {
  const e = catchErr(fn);
  assert.ok(e instanceof InputError, `expected InputError, got ${e.name}: ${e.message}`);
  assert.equal(e.where.layer, 'CAT_TP', e.message);
  assert.equal(e.where.field, fieldName, e.message);
  assert.equal(e.where.offset, offset, e.message);
  if (re) assert.match(e.message, re);
}

/** Compare Wireshark's view of a frame with the PDU we meant to encode. */
function assertTsharkShows(f: TsharkFrame, p: CattpPdu, bytes: Uint8Array, checksumGood = true): void {
  assert.ok(f.cattp, 'tshark did not dissect the frame as CAT-TP');
  const flags = bytes[0];
  assert.equal(field(f, 'cattp.flags'), `0x${flags.toString(16).padStart(2, '0')}`);
  const bit = (m: number) => (flags & m ? '1' : '0');
  assert.equal(field(f, 'cattp.flags.syn'), bit(0x80));
  assert.equal(field(f, 'cattp.flags.ack'), bit(0x40));
  assert.equal(field(f, 'cattp.flags.eak'), bit(0x20));
  assert.equal(field(f, 'cattp.flags.rst'), bit(0x10));
  assert.equal(field(f, 'cattp.flags.nul'), bit(0x08));
  assert.equal(field(f, 'cattp.flags.seg'), p.seg ? '1' : '0');
  assert.equal(field(f, 'cattp.version'), '0x00');
  assert.equal(field(f, 'cattp.srcport'), String(p.srcPort));
  assert.equal(field(f, 'cattp.dstport'), String(p.dstPort));
  assert.equal(field(f, 'cattp.datalen'), String(p.data.length));
  assert.equal(field(f, 'cattp.seq'), String(p.seq));
  assert.equal(field(f, 'cattp.ack'), String(p.ack));
  assert.equal(field(f, 'cattp.windowsize'), String(p.window));
  assert.equal(field(f, 'cattp.checksum'), `0x${toHex(bytes.subarray(16, 18)).toLowerCase()}`);
  assert.equal(field(f, 'cattp.checksum.status'), checksumGood ? '1' : '0', 'Wireshark checksum verdict');
  let hlen = 18;
  if (p.type === 'SYN' || p.type === 'SYN/ACK') {
    const id = p.identification ?? NONE;
    hlen = 23 + id.length;
    assert.equal(field(f, 'cattp.maxpdu'), String(p.maxPduSize));
    assert.equal(field(f, 'cattp.maxsdu'), String(p.maxSduSize));
    assert.equal(field(f, 'cattp.idlen'), String(id.length));
    if (id.length) assert.equal(field(f, 'cattp.identification'), toHex(id).toLowerCase().replace(/(..)(?=.)/g, '$1:'));
  }
  if (p.type === 'EACK') {
    const list = p.eack ?? [];
    hlen = 18 + 2 * list.length;
    assert.equal(field(f, 'cattp.eaks'), String(list.length));
    const shown = field(f, 'cattp.eak');
    assert.deepEqual(list.length === 1 ? [shown] : shown, list.map(String));
  }
  if (p.type === 'RST') {
    hlen = 19;
    assert.equal(field(f, 'cattp.rc'), String(p.reason));
  }
  assert.equal(field(f, 'cattp.hlen'), String(hlen));
  assert.equal(f.data ?? '', toHex(p.data).toLowerCase());
}

// ---------------------------------------------------------------- codec

describe('CAT_TP PDU decode: verified PDUs of cat-tp.md §6', () => {
  it('SYN: ports, ISN, window, sizes, ICCID identification, odd-length checksum 5E37', () => {
    const d = decodePdu(fromHex(V.syn));
    assert.equal(d.pdu.type, 'SYN');
    assert.deepEqual(d.flagNames, ['SYN']);
    assert.equal(d.hlen, 33);
    assert.equal(d.pdu.srcPort, 1024);
    assert.equal(d.pdu.dstPort, 1);
    assert.equal(d.pdu.seq, 0x1234);
    assert.equal(d.pdu.ack, 0);
    assert.equal(d.pdu.window, 4);
    assert.equal(d.pdu.maxPduSize, 1024);
    assert.equal(d.pdu.maxSduSize, 2048);
    assert.equal(toHex(d.pdu.identification!), '988812010000407682F5');
    assert.equal(identificationToIccid(d.pdu.identification!), '8988211000000467285F');
    assert.equal(d.checksum, 0x5e37);
    assert.equal(d.computedChecksum, 0x5e37);
    assert.equal(d.checksumOk, true);
  });

  it('SYN-ACK: server ISN 5678 acknowledges 1234, identification length 0, checksum C736', () => {
    const d = decodePdu(fromHex(V.synAck));
    assert.equal(d.pdu.type, 'SYN/ACK');
    assert.deepEqual([d.pdu.srcPort, d.pdu.dstPort, d.pdu.seq, d.pdu.ack, d.pdu.window], [1, 1024, 0x5678, 0x1234, 4]);
    assert.deepEqual([d.pdu.maxPduSize, d.pdu.maxSduSize, d.pdu.identification!.length], [1024, 2048, 0]);
    assert.equal(d.hlen, 23);
    assert.deepEqual([d.checksum, d.checksumOk], [0xc736, true]);
  });

  it('ACK with 23 data octets (odd length): checksum 8125; 8124 is reported bad "should be 0x8125"', () => {
    const d = decodePdu(fromHex(V.data23));
    assert.equal(d.pdu.type, 'DATA');
    assert.equal(d.dataLength, 23);
    assert.equal(toHex(d.pdu.data), '011B0D00000000B00010000000000000A0A40000027F20');
    assert.deepEqual([d.checksum, d.checksumOk], [0x8125, true]);
    const bad = decodePdu(fromHex(V.data23Bad));
    assert.deepEqual([bad.checksum, bad.computedChecksum, bad.checksumOk], [0x8124, 0x8125, false]);
    assert.equal(pduJson(bad).checksum.verified, false);
    assert.equal(pduTree(bad).children!.find((n) => n.name === 'Checksum')!.status, 'fail');
  });

  it('NUL, EACK (5679, 5680), RST normal ending', () => {
    const n = decodePdu(fromHex(V.nul));
    assert.equal(n.pdu.type, 'NUL');
    assert.deepEqual([n.pdu.seq, n.pdu.ack, n.checksum, n.checksumOk], [0x1236, 0x5678, 0x4b3a, true]);
    const e = decodePdu(fromHex(V.eack));
    assert.equal(e.pdu.type, 'EACK');
    assert.deepEqual(e.pdu.eack, [0x5679, 0x5680]);
    assert.deepEqual([e.hlen, e.checksum, e.checksumOk], [22, 0x863c, true]);
    const r = decodePdu(fromHex(V.rst));
    assert.equal(r.pdu.type, 'RST');
    assert.deepEqual([r.pdu.reason, r.hlen, r.pdu.seq, r.checksum, r.checksumOk], [0, 19, 0x1237, 0xd9b4, true]);
    assert.deepEqual(pduJson(r).reason, { code: '00', name: 'normal ending' });
  });

  it('ACK carrying the §7.3 command packet: checksum CFE7', () => {
    const d = decodePdu(fromHex(V.cmd));
    assert.deepEqual([d.pdu.type, d.dataLength, d.pdu.seq, d.pdu.ack, d.checksum, d.checksumOk], ['DATA', 42, 0x5679, 0x1235, 0xcfe7, true]);
    assert.deepEqual(d.pdu.data, CMD_PACKET);
  });

  it('the checksum by hand (§6): SYN words sum to A1C8, complement 5E37', () => {
    assert.equal(cattpChecksum(fromHex(V.syn)), 0x5e37);
    // Same input with the checksum field zeroed gives the same value (field counts as 00 00).
    const z = fromHex(V.syn);
    z[16] = z[17] = 0;
    assert.equal(cattpChecksum(z), 0x5e37);
  });

  it('JSON keys and tree', () => {
    const j = pduJson(decodePdu(fromHex(V.syn)));
    assert.deepEqual(j, {
      type: 'syn',
      flags: ['syn'],
      version: 0,
      hlen: 33,
      srcPort: 1024,
      dstPort: 1,
      dataLength: 0,
      seq: 0x1234,
      ack: 0,
      window: 4,
      checksum: { value: '5E37', computed: '5E37', verified: true },
      maxPduSize: 1024,
      maxSduSize: 2048,
      identification: '988812010000407682F5',
      iccid: '8988211000000467285F',
      data: '',
    });
    const t = pduTree(decodePdu(fromHex(V.syn)));
    assert.equal(t.children!.find((n) => n.name === 'Identification')!.value, 'ICCID 8988211000000467285F');
    assert.ok(t.children![0].bits!.some((l) => l.startsWith('1... ....')));
  });
});

/** The §6 PDUs rebuilt from their fields. */
const VERIFIED_FIELDS: [keyof typeof V, CattpPdu][] = [
  ['syn', { type: 'SYN', srcPort: 1024, dstPort: 1, seq: 0x1234, ack: 0, window: 4, maxPduSize: 1024, maxSduSize: 2048, identification: iccidToIdentification(ICCID), data: NONE }],
  ['synAck', { type: 'SYN/ACK', srcPort: 1, dstPort: 1024, seq: 0x5678, ack: 0x1234, window: 4, maxPduSize: 1024, maxSduSize: 2048, identification: NONE, data: NONE }],
  ['data23', { type: 'DATA', srcPort: 1, dstPort: 1024, seq: 0x1235, ack: 0x5678, window: 4, data: fromHex('011B0D00000000B00010000000000000A0A40000027F20') }],
  ['nul', { type: 'NUL', srcPort: 1024, dstPort: 1, seq: 0x1236, ack: 0x5678, window: 4, data: NONE }],
  ['eack', { type: 'EACK', srcPort: 1024, dstPort: 1, seq: 0x1236, ack: 0x5678, window: 4, eack: [0x5679, 0x5680], data: NONE }],
  ['rst', { type: 'RST', srcPort: 1024, dstPort: 1, seq: 0x1237, ack: 0, window: 0, reason: 0, data: NONE }],
  ['cmd', { type: 'DATA', srcPort: 1, dstPort: 1024, seq: 0x5679, ack: 0x1235, window: 4, data: CMD_PACKET }],
];

describe('CAT_TP PDU encode', () => {
  for (const [name, p] of VERIFIED_FIELDS) {
    it(`rebuilds the verified ${name} PDU of §6 octet for octet (header length and checksum computed)`, () => {
      const b = encodePdu(p);
      assert.equal(toHex(b), V[name].replace(/ /g, ''));
      assert.equal(encodingLength(p), b.length);
      // Extra: our own decoder gives the fields back.
      const d = cattpPdu.decode(b);
      assert.equal(d.pdu.type, p.type);
      assert.equal(d.checksumOk, true);
    });
  }

  it('ICCID → identification as in §6 (nibble-swapped BCD, F padding)', () => {
    assert.equal(toHex(iccidToIdentification(ICCID)), '988812010000407682F5');
  });

  it('rejects bad field values with the field name', () => {
    const base: CattpPdu = { type: 'ACK', srcPort: 1, dstPort: 2, seq: 0, ack: 0, window: 1, data: NONE };
    expectInputError(() => encodePdu({ ...base, srcPort: 70000 }), 'source port', undefined);
    expectInputError(() => encodePdu({ ...base, type: 'SYN' }), 'maximum PDU size', undefined);
    expectInputError(() => encodePdu({ ...base, type: 'RST' }), 'reason code', undefined);
    expectInputError(() => encodePdu({ ...base, type: 'DATA' }), 'data length', undefined);
    expectInputError(() => encodePdu({ ...base, data: Uint8Array.of(1) }), 'data length', undefined);
    expectInputError(() => encodePdu({ ...base, seg: true }), 'flags', undefined);
  });
});

describe('CAT_TP PDUs we encode, decoded by Wireshark (tshark)', () => {
  const PORT = 4001; // tshark -d udp.port==4001,cattp
  const cases: { name: string; pdu: CattpPdu; checksum?: number; good?: boolean }[] = [
    { name: 'SYN with ICCID', pdu: VERIFIED_FIELDS[0][1] },
    { name: 'SYN/ACK with identification', pdu: { type: 'SYN/ACK', srcPort: 7, dstPort: 1024, seq: 0xfffe, ack: 0x1234, window: 2, maxPduSize: 40, maxSduSize: 512, identification: fromHex('0102AB'), data: NONE } },
    { name: 'ACK', pdu: { type: 'ACK', srcPort: 1024, dstPort: 7, seq: 0x1235, ack: 0xfffe, window: 4, data: NONE } },
    { name: 'DATA, odd length', pdu: { type: 'DATA', srcPort: 1024, dstPort: 7, seq: 0x1235, ack: 0xfffe, window: 4, data: fromHex('0102030405') } },
    { name: 'DATA with SEG', pdu: { type: 'DATA', seg: true, srcPort: 1024, dstPort: 7, seq: 0x1236, ack: 0xfffe, window: 4, data: CMD_PACKET.subarray(0, 22) } },
    { name: 'EACK, one entry', pdu: { type: 'EACK', srcPort: 7, dstPort: 1024, seq: 0xffff, ack: 0x1235, window: 2, eack: [0x1237], data: NONE } },
    { name: 'EACK, three entries', pdu: { type: 'EACK', srcPort: 7, dstPort: 1024, seq: 0xffff, ack: 0x1235, window: 2, eack: [0x1237, 0x1239, 0], data: NONE } },
    { name: 'NUL', pdu: { type: 'NUL', srcPort: 1024, dstPort: 7, seq: 0x1238, ack: 0xfffe, window: 4, data: NONE } },
    { name: 'RST maximum retries exceeded', pdu: { type: 'RST', srcPort: 1024, dstPort: 7, seq: 0x1239, ack: 0, window: 0, reason: 5, data: NONE } },
    { name: 'RST with ACK flag (50)', pdu: { type: 'RST', ackFlag: true, srcPort: 7, dstPort: 1024, seq: 0, ack: 0x1239, window: 0, reason: 4, data: NONE } },
    // Deliberate corruption: the right checksum plus one.
    { name: 'DATA with a corrupted checksum', pdu: { type: 'DATA', srcPort: 1024, dstPort: 7, seq: 1, ack: 2, window: 3, data: fromHex('AABBCC') }, checksum: +1, good: false },
  ];
  const encoded = cases.map((c) => {
    let b = encodePdu(c.pdu);
    if (c.checksum !== undefined) b = encodePdu(c.pdu, { checksum: (((b[16] << 8) | b[17]) + c.checksum) & 0xffff });
    return b;
  });
  let frames: TsharkFrame[] = [];
  before(() => {
    frames = tsharkPayloads(encoded, { port: PORT, dport: PORT, sport: 40000 });
  });

  it('tshark sees every frame', () => {
    assert.equal(frames.length, cases.length);
  });
  cases.forEach((c, i) => {
    it(`${c.name}: every field as intended, checksum ${c.good === false ? 'bad' : 'good'}`, () => {
      assertTsharkShows(frames[i], c.pdu, encoded[i], c.good !== false);
      // Our decoder agrees with Wireshark's verdict.
      assert.equal(decodePdu(encoded[i]).checksumOk, c.good !== false);
    });
  });
  it('the corrupted one: Wireshark names the checksum we compute', () => {
    const f = frames[cases.length - 1];
    const ours = decodePdu(encoded[cases.length - 1]).computedChecksum;
    assert.match(String(field(f, '_ws.expert.message')), new RegExp(`should be 0x${ours.toString(16).padStart(4, '0')}\\]`));
  });
  it("Wireshark's heuristic (cattp_udp) also accepts every PDU we encode", () => {
    const h = tsharkPayloads(encoded, { heuristic: true, sport: 40000, dport: 40002 });
    assert.equal(h.filter((f) => f.cattp).length, encoded.length);
  });
});

describe('CAT_TP decode errors (InputError with layer, field, offset)', () => {
  const b = (h: string) => fromHex(h);
  it('truncated fixed header', () => {
    expectInputError(() => decodePdu(b('40000012 0001 0400 0017')), 'sequence number', 10, /truncated: 10 octets/);
    expectInputError(() => decodePdu(new Uint8Array(0)), 'flags', 0);
  });
  it('unknown flag combinations', () => {
    expectInputError(() => decodePdu(b('00000012 0001 0400 0000 0000 0000 0000 0000')), 'flags', 0, /unknown flag combination/);
    expectInputError(() => decodePdu(b('08000012 0001 0400 0000 0000 0000 0000 0000')), 'flags', 0, /NUL/);
    expectInputError(() => decodePdu(b('90000013 0001 0400 0000 0000 0000 0000 0000 00')), 'flags', 0, /SYN\+RST/);
    expectInputError(() => decodePdu(b('44000012 0001 0400 0000 0000 0000 0000 0000')), 'flags', 0, /SEG set on a PDU without data/);
  });
  it('version bits other than 0', () => {
    expectInputError(() => decodePdu(b('41000012 0001 0400 0000 0000 0000 0000 0000')), 'version', 0);
  });
  it('header length that disagrees with the flags / variable part', () => {
    // SYN with identification length 10 but header length 32.
    expectInputError(() => decodePdu(b('80000020 0400 0001 0000 1234 0000 0004 5E37 0400 0800 0A 9888120100004076 82')), 'header length', 3, /identification length 10/);
    // ACK with header length 19.
    expectInputError(() => decodePdu(b('40000013 0001 0400 0000 0000 0000 0000 0000 00')), 'header length', 3, /no variable header/);
    // RST with header length 18 (reason code missing).
    expectInputError(() => decodePdu(b('10000012 0001 0400 0000 0000 0000 0000 0000')), 'header length', 3);
    // Header length below 18, and past the datagram.
    expectInputError(() => decodePdu(b('40000011 0001 0400 0000 0000 0000 0000 0000')), 'header length', 3);
    expectInputError(() => decodePdu(b('40000030 0001 0400 0000 0000 0000 0000 0000')), 'header length', 3, /only 18 present/);
  });
  it('data length past the datagram, or short of it', () => {
    expectInputError(() => decodePdu(b('40000012 0001 0400 0017 1235 5678 0004 8125 011B0D')), 'data length', 8, /says 23 octets, 3 present/);
    expectInputError(() => decodePdu(b('40000012 0001 0400 0001 1235 5678 0004 8125 011B0D')), 'data length', 8, /3 follow/);
    expectInputError(() => decodePdu(b('48000012 0001 0400 0001 1235 5678 0004 8125 01')), 'data length', 8, /NUL PDU carries no data/);
  });
  it('EACK list with an odd length', () => {
    expectInputError(() => decodePdu(b('60000015 0400 0001 0000 1236 5678 0004 863C 5679 56')), 'EACK list', 18, /odd length 3/);
  });
  it('offsets count from the start of the whole input when decoding at an offset', () => {
    const buf = b('FFFF 60000015 0400 0001 0000 1236 5678 0004 863C 5679 56');
    expectInputError(() => decodePdu(buf, 2), 'EACK list', 20);
    expectInputError(() => decodePdu(b('FFFF 40000012 0001 0400 0017 1235'), 2), 'acknowledgement number', 14);
  });
  it('decode overrides reach the wire for deliberate corruption', () => {
    const p: CattpPdu = { type: 'ACK', srcPort: 1, dstPort: 2, seq: 3, ack: 4, window: 5, data: NONE };
    expectInputError(() => decodePdu(encodePdu(p, { hlen: 20 })), 'header length', 3);
    expectInputError(() => decodePdu(encodePdu(p, { dataLength: 9 })), 'data length', 8);
    expectInputError(() => decodePdu(encodePdu(p, { flags: 0 })), 'flags', 0);
  });
});

// ---------------------------------------------------------------- segmentation

describe('CAT_TP segmentation (§4: SEG on all but the last segment)', () => {
  it('splits into maxPdu − 18 octet payloads with consecutive sequence numbers across the wrap', () => {
    const sdu = Uint8Array.from({ length: 50 }, (_, i) => i);
    const pdus = segmentSdu(sdu, { maxPdu: 38, firstSeq: 0xffff, srcPort: 1024, dstPort: 1, ack: 7, window: 4 });
    // 50 octets at 20 per PDU → 20, 20, 10 (by hand).
    assert.deepEqual(pdus.map((p) => p.data.length), [20, 20, 10]);
    assert.deepEqual(pdus.map((p) => p.seq), [0xffff, 0, 1]);
    assert.deepEqual(pdus.map((p) => !!p.seg), [true, true, false]);
    assert.ok(pdus.every((p) => encodePdu(p).length <= 38));
    assert.deepEqual(pdus[2].data, sdu.subarray(40));
  });
  it('an SDU that fits is one PDU without SEG', () => {
    const pdus = segmentSdu(CMD_PACKET, { maxPdu: 1024, firstSeq: 0x5679, srcPort: 1, dstPort: 1024, ack: 0x1235, window: 4 });
    assert.equal(pdus.length, 1);
    // The verified §6 command PDU.
    assert.equal(toHex(encodePdu(pdus[0])), V.cmd.replace(/ /g, ''));
  });
  it('rejects an empty SDU, a useless max PDU size and an SDU over the peer maximum', () => {
    const o = { firstSeq: 0, srcPort: 1, dstPort: 2, ack: 0, window: 1 };
    expectInputError(() => segmentSdu(NONE, { ...o, maxPdu: 100 }), 'SDU', undefined);
    expectInputError(() => segmentSdu(CMD_PACKET, { ...o, maxPdu: 18 }), 'maximum PDU size', undefined);
    expectInputError(() => segmentSdu(CMD_PACKET, { ...o, maxPdu: 100, maxSdu: 10 }), 'maximum SDU size', undefined);
  });
  it('reassembles out of order, across the wrap, and reports duplicates, conflicts and gaps', () => {
    const sdu1 = Uint8Array.from({ length: 45 }, (_, i) => i);
    const sdu2 = fromHex('A1A2A3');
    const o = { maxPdu: 38, srcPort: 1, dstPort: 2, ack: 0, window: 4 };
    const a = segmentSdu(sdu1, { ...o, firstSeq: 0xfffe }); // fffe, ffff, 0000
    const c = segmentSdu(sdu2, { ...o, firstSeq: 1 });
    const shuffled = [a[2], c[0], a[0], a[1], { ...a[1] }, { ...a[0], data: Uint8Array.of(9) }];
    const r = reassemble(shuffled);
    assert.equal(r.sdus.length, 2);
    assert.deepEqual(r.sdus[0].data, sdu1);
    assert.deepEqual([r.sdus[0].firstSeq, r.sdus[0].lastSeq, r.sdus[0].complete], [0xfffe, 0, true]);
    assert.deepEqual(r.sdus[1].data, sdu2);
    assert.deepEqual(r.duplicates.sort(), [0xfffe, 0xffff].sort());
    assert.deepEqual(r.conflicts, [0xfffe]);
    assert.deepEqual(r.gaps, []);
    // Drop the middle segment: a gap, and nothing claims to be complete.
    const g = reassemble([a[0], a[2], c[0]]);
    assert.deepEqual(g.gaps, [0xffff]);
    assert.deepEqual(g.sdus.map((s) => s.complete), [false, false, true]);
  });
});

// ---------------------------------------------------------------- sessions

/** Every frame of a session, as Wireshark decodes it, in the order recorded. */
function tsharkSession(records: DatagramRecord[], serverUdpPort: number): TsharkFrame[] {
  const frames = tsharkRecords(toPcapRecords(records), { port: serverUdpPort });
  assert.equal(frames.length, records.length);
  for (const [i, f] of frames.entries()) {
    assert.ok(f.cattp, `frame ${i + 1} not dissected as CAT-TP`);
    assert.equal(field(f, 'cattp.checksum.status'), '1', `frame ${i + 1}: Wireshark reports a bad checksum`);
  }
  return frames;
}

const num = (f: TsharkFrame, k: string) => Number(field(f, k));
const flagsOf = (f: TsharkFrame) => Number(field(f, 'cattp.flags'));

describe('CAT_TP loopback session (serve + send)', () => {
  const SERVER_ISN = 0xfffe; // response sequence numbers wrap (ffff, 0000, ...)
  const CLIENT_ISN = 0x1234;
  const RESPONSE = Uint8Array.from({ length: 61 }, (_, i) => (i * 7) & 0xff);
  const serverLog: PduLogEntry[] = [];
  const clientLog: PduLogEntry[] = [];
  const got: { sdu: Uint8Array; id: Uint8Array }[] = [];
  let result: Awaited<ReturnType<typeof send>>;
  let serverRecords: DatagramRecord[];
  let serverPort = 0;

  before(async () => {
    const srv = await serve({
      port: 0,
      cattpPort: 1,
      maxPdu: 40, // forces segmentation of the 42-octet command packet: 22 + 20
      maxSdu: 512,
      window: 2,
      isn: SERVER_ISN,
      timeoutMs: 1000, // long enough that a loaded machine rarely retransmits (retransmissions are tolerated below)
      retries: 3,
      maxSessions: 1,
      log: (e) => serverLog.push(e),
      onSdu: (sdu, info) => {
        got.push({ sdu, id: info.identification });
        return RESPONSE;
      },
    });
    serverPort = srv.address.port;
    result = await send({
      to: { host: '127.0.0.1', port: serverPort },
      sdu: CMD_PACKET,
      srcPort: 1024,
      dstPort: 1,
      identification: iccidToIdentification(ICCID),
      maxPdu: 50, // the response comes in 32-octet pieces: 32 + 29
      window: 3,
      isn: CLIENT_ISN,
      timeoutMs: 1000,
      retries: 3,
      log: (e) => clientLog.push(e),
    });
    const summary = await srv.done; // maxSessions: 1 stops the server after the RST
    assert.deepEqual([summary.sessions, summary.sdus, summary.errors.length], [1, 1, 0]);
    serverRecords = srv.records;
  });

  it('the server receives the SDU and the identification; the response arrives', () => {
    assert.equal(got.length, 1);
    assert.deepEqual(got[0].sdu, CMD_PACKET);
    assert.equal(toHex(got[0].id), '988812010000407682F5');
    assert.deepEqual(result.response, RESPONSE);
    assert.deepEqual([result.peer.isn, result.peer.maxPdu, result.peer.maxSdu, result.peer.window], [SERVER_ISN, 40, 512, 2]);
  });

  it('every PDU went to log, in both directions, all decoded with good checksums', () => {
    for (const log of [serverLog, clientLog]) {
      assert.ok(log.some((e) => e.dir === 'sent') && log.some((e) => e.dir === 'received'));
      assert.ok(log.every((e) => e.decoded && e.decoded.checksumOk && !e.error));
    }
    assert.equal(clientLog.length, result.records.length);
  });

  it("the client's capture decodes in tshark with good checksums and consistent seq/ack (§5)", () => {
    const frames = tsharkSession(result.records, serverPort);
    // On a loaded machine a retransmission timer may fire before the answer is read: the PDU is
    // then sent again with the same flags, sequence number and data. The checks below are on
    // the first copy of each PDU (a pure ACK counts as new when it acknowledges something new).
    const firstCopies = (list: TsharkFrame[]) => {
      const seen = new Set<string>();
      return list.filter((f) => {
        const k = [flagsOf(f), num(f, 'cattp.seq'), num(f, 'cattp.datalen') > 0 ? f.data : num(f, 'cattp.ack')].join('/');
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    };
    const c2s = firstCopies(frames.filter((f) => f.udp.dstport === serverPort));
    const s2c = firstCopies(frames.filter((f) => f.udp.srcport === serverPort));
    const resent = frames.length - c2s.length - s2c.length;
    if (resent) console.log(`# ${resent} retransmitted PDU(s) in the client's capture`);
    // Handshake: SYN (ISN, ICCID) → SYN/ACK (ack = ISN) → ACK (ack = server ISN).
    assert.equal(flagsOf(c2s[0]), 0x80);
    assert.deepEqual([num(c2s[0], 'cattp.seq'), num(c2s[0], 'cattp.srcport'), num(c2s[0], 'cattp.dstport')], [CLIENT_ISN, 1024, 1]);
    assert.equal(field(c2s[0], 'cattp.iccid'), '8988211000000467285F');
    assert.deepEqual([num(c2s[0], 'cattp.maxpdu'), num(c2s[0], 'cattp.windowsize')], [50, 3]);
    assert.equal(flagsOf(s2c[0]), 0xc0);
    assert.deepEqual([num(s2c[0], 'cattp.seq'), num(s2c[0], 'cattp.ack'), num(s2c[0], 'cattp.maxpdu')], [SERVER_ISN, CLIENT_ISN, 40]);
    assert.equal(flagsOf(c2s[1]), 0x40);
    assert.deepEqual([num(c2s[1], 'cattp.seq'), num(c2s[1], 'cattp.ack')], [CLIENT_ISN + 1, SERVER_ISN]);

    // Client data: consecutive from ISN+1, SEG on all but the last, within the server's max PDU.
    const cData = c2s.filter((f) => num(f, 'cattp.datalen') > 0);
    assert.deepEqual(cData.map((f) => num(f, 'cattp.seq')), [CLIENT_ISN + 1, CLIENT_ISN + 2]);
    assert.deepEqual(cData.map((f) => field(f, 'cattp.flags.seg')), ['1', '0']);
    assert.ok(cData.every((f) => num(f, 'cattp.hlen') + num(f, 'cattp.datalen') <= 40));
    assert.equal(cData.map((f) => f.data).join(''), toHex(CMD_PACKET).toLowerCase());

    // Server data: consecutive from its ISN+1 (wrapping), within the client's max PDU; carries ack of the last client PDU.
    const sData = s2c.filter((f) => num(f, 'cattp.datalen') > 0);
    assert.deepEqual(sData.map((f) => num(f, 'cattp.seq')), [0xffff, 0x0000]);
    assert.deepEqual(sData.map((f) => field(f, 'cattp.flags.seg')), ['1', '0']);
    assert.ok(sData.every((f) => num(f, 'cattp.ack') === CLIENT_ISN + 2));
    assert.ok(sData.every((f) => num(f, 'cattp.hlen') + num(f, 'cattp.datalen') <= 50));
    assert.equal(sData.map((f) => f.data).join(''), toHex(RESPONSE).toLowerCase());

    // Every client data PDU is acknowledged by a server ACK with that number; likewise the response.
    const sAcks = s2c.filter((f) => flagsOf(f) === 0x40 && num(f, 'cattp.datalen') === 0).map((f) => num(f, 'cattp.ack'));
    for (const f of cData) assert.ok(sAcks.includes(num(f, 'cattp.seq')), `client seq ${num(f, 'cattp.seq')} never acknowledged`);
    const cAcks = c2s.filter((f) => flagsOf(f) === 0x40 && num(f, 'cattp.datalen') === 0).map((f) => num(f, 'cattp.ack'));
    for (const f of sData) assert.ok(cAcks.includes(num(f, 'cattp.seq')), `server seq ${num(f, 'cattp.seq')} never acknowledged`);
    // Pure ACKs carry the next unconsumed sequence number.
    assert.ok(s2c.filter((f) => flagsOf(f) === 0x40 && num(f, 'cattp.datalen') === 0).every((f) => num(f, 'cattp.seq') === 0xffff || num(f, 'cattp.seq') === 1));
    // Close: RST normal ending from the client, last frame.
    const last = frames[frames.length - 1];
    assert.deepEqual([flagsOf(last), field(last, 'cattp.rc'), num(last, 'cattp.seq')], [0x10, '0', CLIENT_ISN + 3]);
    // Windows as announced.
    assert.ok(c2s.every((f) => f === last || num(f, 'cattp.windowsize') === 3));
    assert.ok(s2c.every((f) => num(f, 'cattp.windowsize') === 2));
  });

  it("the server's capture decodes in tshark too, also through Wireshark's heuristic", () => {
    tsharkSession(serverRecords, serverPort);
    const h = tsharkRecords(toPcapRecords(serverRecords), { heuristic: true });
    assert.equal(h.filter((f) => f.cattp && field(f, 'cattp.checksum.status') === '1').length, serverRecords.length);
  });
});

describe('CAT_TP sessions: failures are bounded NetworkErrors', () => {
  it('a send to a UDP port nobody serves fails with NetworkError (exit 4) quickly', async () => {
    // Find a free port by binding and releasing it.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(r));
    const t0 = Date.now();
    await assert.rejects(send({ to: { host: '127.0.0.1', port }, sdu: CMD_PACKET, timeoutMs: 100, retries: 2 }), (e: unknown) => {
      assert.ok(e instanceof NetworkError);
      assert.equal(e.exitCode, 4);
      assert.equal(e.where.layer, 'CAT_TP');
      assert.match(e.message, /SYN-SENT/);
      return true;
    });
    assert.ok(Date.now() - t0 < 10_000, 'not bounded'); // nominally well under 1 s; a loaded 2-core machine may be slow
  });

  it('a silent peer: SYN retransmitted `retries` times, then NetworkError naming SYN-SENT and RST 05', async () => {
    const hole = dgram.createSocket('udp4');
    let seen = 0;
    hole.on('message', () => seen++);
    await new Promise<void>((r) => hole.bind(0, '127.0.0.1', r));
    const log: PduLogEntry[] = [];
    const t0 = Date.now();
    try {
      await assert.rejects(
        send({ to: { host: '127.0.0.1', port: hole.address().port }, sdu: CMD_PACKET, timeoutMs: 100, retries: 2, log: (e) => log.push(e) }),
        (e: unknown) => e instanceof NetworkError && /no SYN\/ACK after 2 retransmissions/.test(e.message) && e.where.field === 'SYN-SENT',
      );
      const dt = Date.now() - t0;
      assert.ok(dt >= 250 && dt < 10_000, `took ${dt} ms`); // at least the timers' wait; the upper bound only says bounded
      assert.deepEqual(log.map((e) => e.decoded!.pdu.type), ['SYN', 'SYN', 'SYN', 'RST']);
      assert.equal(log[3].decoded!.pdu.reason, 5);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen, 4);
    } finally {
      hole.close();
    }
  });

  it('the server resets a SYN for a CAT_TP port it does not serve (RST 03)', async () => {
    const srv = await serve({ port: 0, cattpPort: 7, onSdu: () => undefined, timeoutMs: 100 });
    try {
      await assert.rejects(
        send({ to: { host: '127.0.0.1', port: srv.address.port }, dstPort: 1, sdu: CMD_PACKET, timeoutMs: 100, retries: 1 }),
        (e: unknown) => e instanceof NetworkError && /reset by peer: reason 3 \(requested port not available\)/.test(e.message),
      );
    } finally {
      await srv.close();
    }
  });

  it('a response that never comes ends in NetworkError within responseTimeoutMs', async () => {
    const srv = await serve({ port: 0, onSdu: () => undefined, timeoutMs: 100 });
    try {
      const t0 = Date.now();
      await assert.rejects(
        send({ to: { host: '127.0.0.1', port: srv.address.port }, sdu: CMD_PACKET, timeoutMs: 100, retries: 1, responseTimeoutMs: 150 }),
        (e: unknown) => e instanceof NetworkError && /no response SDU within 150 ms/.test(e.message),
      );
      assert.ok(Date.now() - t0 < 10_000); // bounded (nominally ~0.5 s)
      // Without expecting a response the same exchange succeeds.
      const r = await send({ to: { host: '127.0.0.1', port: srv.address.port }, sdu: CMD_PACKET, timeoutMs: 100, retries: 1, expectResponse: false });
      assert.equal(r.response, undefined);
    } finally {
      await srv.close();
    }
  });
});

describe('CAT_TP server robustness', () => {
  it('survives garbage datagrams (logs them with the decode error) and still serves', async () => {
    const log: PduLogEntry[] = [];
    const ac = new AbortController();
    const srv = await serve({ port: 0, onSdu: (s) => s.slice().reverse(), timeoutMs: 100, signal: ac.signal, log: (e) => log.push(e) });
    const raw = dgram.createSocket('udp4');
    const replies: Buffer[] = [];
    raw.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', r));
    const garbage = [
      Buffer.from('hello'),
      Buffer.from(fromHex('80000021 0400 0001 0000 1234 0000 0004 5E37 0400 0800 0A 98881201')), // truncated SYN
      Buffer.from(fromHex(V.data23Bad)), // bad checksum
      Buffer.from(fromHex('60000015 0400 0001 0000 1236 5678 0004 863C 5679 56')), // odd EACK list
    ];
    for (const g of garbage) raw.send(g, srv.address.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    const errs = log.filter((e) => e.error);
    assert.equal(errs.length, 3);
    assert.ok(errs.every((e) => e.error instanceof InputError && e.error.where.layer === 'CAT_TP' && e.error.where.offset !== undefined));
    assert.deepEqual(errs.map((e) => e.error!.where.field), ['source port', 'header length', 'EACK list']);
    assert.ok(log.some((e) => e.note === 'bad checksum: dropped'));
    assert.equal(replies.length, 0, 'garbage must not be answered');
    raw.close();
    const r = await send({ to: { host: '127.0.0.1', port: srv.address.port }, sdu: CMD_PACKET, timeoutMs: 100, retries: 2 });
    assert.deepEqual(r.response, CMD_PACKET.slice().reverse());
    ac.abort(); // a signal stops the server
    const s = await srv.done;
    assert.equal(s.sdus, 1);
  });

  it('a lost data segment: the out-of-order one is EACKed, the lost one retransmitted, the SDU delivered', async () => {
    const serverLog: PduLogEntry[] = [];
    const clientLog: PduLogEntry[] = [];
    const srv = await serve({ port: 0, maxPdu: 40, window: 4, onSdu: (s) => Uint8Array.of(s.length), timeoutMs: 150, log: (e) => serverLog.push(e) });
    // A UDP relay between client and server that drops the first data PDU from the client.
    const relay = dgram.createSocket('udp4');
    let client: { address: string; port: number } | undefined;
    let dropped = false;
    relay.on('message', (m, rinfo) => {
      if (rinfo.port === srv.address.port) {
        if (client) relay.send(m, client.port, client.address);
        return;
      }
      client = { address: rinfo.address, port: rinfo.port };
      if (!dropped && m.length > 18 && (m[0] & 0x40) && ((m[8] << 8) | m[9]) > 0) {
        dropped = true;
        return;
      }
      relay.send(m, srv.address.port, '127.0.0.1');
    });
    await new Promise<void>((r) => relay.bind(0, '127.0.0.1', r));
    try {
      const r = await send({ to: { host: '127.0.0.1', port: relay.address().port }, sdu: CMD_PACKET, isn: 100, timeoutMs: 150, retries: 3, log: (e) => clientLog.push(e) });
      assert.deepEqual(r.response, Uint8Array.of(42));
      assert.ok(dropped);
      assert.ok(clientLog.some((e) => e.dir === 'sent' && e.decoded!.pdu.seq === 101 && /retransmission 1\//.test(e.note ?? '')));
      // Wireshark's view of the server side: an EACK naming seq 102, good checksums throughout.
      const frames = tsharkSession(srv.records, srv.address.port);
      const eacks = frames.filter((f) => flagsOf(f) === 0x60);
      assert.ok(eacks.length >= 1, 'no EACK sent');
      assert.equal(field(eacks[0], 'cattp.eak'), '102');
      assert.equal(num(eacks[0], 'cattp.ack'), 100);
    } finally {
      relay.close();
      await srv.close();
    }
  });

  it('close() with a connection open sends RST and resolves', async () => {
    const srv = await serve({ port: 0, onSdu: () => new Promise<undefined>(() => {}), timeoutMs: 100 }); // never answers
    const p = send({ to: { host: '127.0.0.1', port: srv.address.port }, sdu: CMD_PACKET, timeoutMs: 100, retries: 1, responseTimeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    const s = await srv.close();
    assert.equal(s.sessions, 1);
    await assert.rejects(p, (e: unknown) => e instanceof NetworkError && /peer closed the connection \(RST 0, normal ending\) before a response/.test(e.message));
  });
});

describe('CAT_TP server: what counts as a session', () => {
  it('a SYN that never completes the handshake is not a session (onUnopened, not counted against maxSessions)', async () => {
    const unopened: { session: number; err?: OtaError }[] = [];
    const ended: number[] = [];
    const srv = await serve({
      port: 0,
      maxSessions: 1,
      timeoutMs: 50,
      retries: 1,
      onSdu: (s) => s.slice().reverse(),
      onUnopened: (info, err) => unopened.push({ session: info.session, err }),
      onSessionEnd: (info) => ended.push(info.session),
    });
    const raw = dgram.createSocket('udp4');
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', r));
    try {
      // The §6 SYN, never followed by its ACK: SYN/ACK, one retransmission, then the server gives up.
      raw.send(Buffer.from(fromHex(V.syn)), srv.address.port, '127.0.0.1');
      const t0 = Date.now();
      while (!unopened.length && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(unopened.length, 1, 'onUnopened not called');
      assert.equal(unopened[0].session, 0);
      assert.ok(unopened[0].err instanceof NetworkError && /no ACK of our SYN\/ACK/.test(unopened[0].err.message), String(unopened[0].err));
    } finally {
      raw.close();
    }
    // maxSessions 1 is still open for a real session.
    const r = await send({ to: { host: '127.0.0.1', port: srv.address.port }, sdu: CMD_PACKET, timeoutMs: 100, retries: 2 });
    assert.deepEqual(r.response, CMD_PACKET.slice().reverse());
    const s = await srv.done;
    assert.deepEqual([s.sessions, s.unopened, s.errors.length, s.sdus], [1, 1, 0, 1]);
    assert.deepEqual(ended, [1]);
  });

  it('push mode: a peer closing before answering ends the session in a NetworkError, unless no answer was required', async () => {
    for (const expectAnswer of [true, false]) {
      const errs: (OtaError | undefined)[] = [];
      const srv = await serve({
        port: 0,
        maxSessions: 1,
        timeoutMs: 100,
        responseTimeoutMs: 5000, // the card gives up first
        onOpen: () => ({ sdu: CMD_PACKET, expectAnswer }),
        onSdu: () => undefined,
        onSessionEnd: (_i, err) => errs.push(err),
      });
      // The card side takes the SDU, answers nothing and closes (RST 00) after its own response timeout.
      const r = await send({ to: { host: '127.0.0.1', port: srv.address.port }, onSdu: () => undefined, timeoutMs: 100, retries: 1, responseTimeoutMs: 100 });
      assert.deepEqual(r.exchanges.map((x) => x.received), [CMD_PACKET]);
      const s = await srv.done;
      assert.equal(s.sessions, 1);
      if (expectAnswer) {
        assert.equal(s.errors.length, 1);
        assert.ok(errs[0] instanceof NetworkError);
        assert.match(errs[0].message, /peer closed the connection \(RST 0, normal ending\) before the answer to our SDU arrived/);
      } else {
        assert.deepEqual([s.errors.length, errs], [0, [undefined]]);
      }
    }
  });

  it('push mode, no answer required: the server closes normally after responseTimeoutMs', async () => {
    const errs: (OtaError | undefined)[] = [];
    const srv = await serve({
      port: 0,
      maxSessions: 1,
      timeoutMs: 100,
      responseTimeoutMs: 100,
      onOpen: () => ({ sdu: CMD_PACKET, expectAnswer: false }),
      onSdu: () => undefined,
      onSessionEnd: (_i, err) => errs.push(err),
    });
    const t0 = Date.now();
    // This card would wait 5 s for more; the server's RST 00 ends the session first.
    const r = await send({ to: { host: '127.0.0.1', port: srv.address.port }, onSdu: () => undefined, timeoutMs: 100, retries: 1, responseTimeoutMs: 5000 });
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.equal(r.exchanges.length, 1);
    const s = await srv.done;
    assert.deepEqual([s.sessions, s.errors.length, errs], [1, 0, [undefined]]);
  });
});
