/**
 * `parse --read FILE`: OTA traffic in pcap / pcapng captures (issue 3: "parse
 * peels every layer ... of held-out captures from real equipment").
 *
 * Where expected values come from (never from our reader alone):
 *  - Captures written by hand below, byte by byte from the file-format specs
 *    (pcap: draft-ietf-opsawg-pcap; pcapng: draft-ietf-opsawg-pcapng), the
 *    link/IP/UDP RFCs and libosmocore's gsmtap.h, wrapping the real card
 *    traces of the spec digest: sms-pp.md §8.2 (Gemalto ENVELOPE / FETCH /
 *    TERMINAL RESPONSE), secured-packet.md §12.1 (sysmoISIM-SJA2 command and
 *    PoR), §12.2 (SJA5 AES), cat-tp.md §6/§7.3 (CAT_TP PDUs). The decoded
 *    values expected (TAR, CNTR, RC/CC, status, data) are the digest's.
 *  - Wireshark reads every hand-written capture as intended (tshark -T json:
 *    the APDU instructions, status words, SMS addresses, CAT-TP checksums, no
 *    malformed packets), so the bytes are a capture as real tools write it.
 *  - editcap -F pcapng / mergecap (shipped with tshark) make pcapng files
 *    from pcaps; missing tools fail the test with a clear message.
 *  - Captures written by our own --pcap are read back, with the digest's
 *    packets as the expected values where the build reproduces them.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, isOneLineError, start } from './helpers/cli.js';
import { tsharkJson, findAll, problems, type TsharkPacket } from './helpers/tshark.js';
import { exampleCard } from '../src/card/card.js';

const DIR = mkdtempSync(join(tmpdir(), 'read-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
let nfile = 0;
const tmp = (ext: string) => join(DIR, `c${++nfile}.${ext}`);

/** A Wireshark companion tool (editcap, mergecap); a missing one is a failure, never a skip. */
function tool(name: string): string {
  for (const p of [`/usr/bin/${name}`, `/usr/local/bin/${name}`]) if (existsSync(p)) return p;
  throw new Error(`${name} not found (it ships with tshark: apt-get install tshark); these tests need it to make pcapng files independently of our code`);
}

// ---------------------------------------------------------------- keys and digest values

// secured-packet.md §12.1 (sysmoISIM-SJA2, KVN 1, 3DES 2-key).
const K1 = ['--kic-key', 'F09C43EE1A0391665CC9F05AF4E0BD10', '--kid-key', '01981F4A20999F62AF99988007BAF6CA'];
// secured-packet.md §12.2 (sysmoISIM-SJA5, AES-128).
const K2 = ['--kic-key', '200102030405060708090A0B0C0D0E0F', '--kid-key', '201102030405060708090A0B0C0D0E0F'];
// secured-packet.md §12.3: the Gemalto KIc key (the KID is CRC-32, no key).
const KG = ['--kic-key', '263B48DBCBC1C21C0AA13E4D4516C446'];

// §12.1 step 7: the SJA2 command packet; its PoR user data as received from the card.
const SJA2_CMD = '00281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';
const SJA2_POR_UD = '027100002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39';
// §12.2: SJA5 command packet and PoR user data.
const SJA5_CMD = '00281506192222B00011E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058';
const SJA5_POR_UD = '027100002412B00011EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F';
// sms-pp.md §7 worked example: the ENVELOPE around the SJA2 command (tshark-verified in the digest).
const SJA2_ENVELOPE =
  '80C200004F' + 'D14D' + '82028381' + '8606919471 0100F0' + '8B3F' + '44' + '0991942143 65F7' + '7FF6' + '52107131452100' + '2D' + '027000' + SJA2_CMD;
// sms-pp.md §8.2: the real Gemalto exchange (CRC-32 + 3DES, PoR by SMS-SUBMIT).
const GEMALTO = {
  envelope: '80C200003C D13A 82028381 8B34 44 038119F0 7FF6 15112413582204 25 027000 00201115351515C000004D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203',
  envelopeSw: '9149',
  fetch: '8012000049',
  fetchResponse:
    'D047 810301130082028183 0500 8B3A 41 00 038119F0 00 F6 31 027100 002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695',
  terminalResponse: '801400000C 810301130082028281830100',
};
// §12.3: the Gemalto command decrypted (CNTR 0x76, RC 155D3A1A, data) and its PoR (RC A343BCAE, data).
const GEMALTO_CMD = '00201115351515C000004D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203';
// cat-tp.md §6 verified PDUs (tshark: checksum correct) and §7.3 packet.
const PACKET73 = '01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808';
const S6 = {
  syn: '800000210400000100001234000000045E37040008000A988812010000407682F5',
  synAck: 'C0000017000104000000567812340004C7360400080000',
  cmd: '4000001200010400002A567912350004CFE7' + PACKET73,
};

// ---------------------------------------------------------------- bytes by hand

type Bytes = number[];
const hex = (s: string): Bytes => [...Buffer.from(s.replace(/\s+/g, ''), 'hex')];
const be16 = (n: number): Bytes => [(n >>> 8) & 0xff, n & 0xff];
const le16 = (n: number): Bytes => [n & 0xff, (n >>> 8) & 0xff];
const be32 = (n: number): Bytes => [...be16(n >>> 16), ...be16(n & 0xffff)];
const le32 = (n: number): Bytes => [...le16(n & 0xffff), ...le16(n >>> 16)];
const pad4 = (b: Bytes): Bytes => [...b, ...new Array((4 - (b.length % 4)) % 4).fill(0)];

/** RFC 1071 Internet checksum of 16-bit big-endian words. */
function inetSum(b: Bytes): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** GSMTAP v2 header (libosmocore gsmtap.h), 16 octets: SIM (type 4), sub-type 0 = APDU. */
const gsmtapSim = (apdu: Bytes, subType = 0): Bytes => [
  0x02, // version
  0x04, // hdr_len in 32-bit words
  0x04, // type: GSMTAP_TYPE_SIM
  0x00, // timeslot
  ...be16(0), // arfcn
  0x00, // signal_dbm
  0x00, // snr_db
  ...be32(0), // frame_number
  subType, // sub_type: GSMTAP_SIM_APDU
  0x00, // antenna_nr
  0x00, // sub_slot
  0x00, // res
  ...apdu,
];

/** RFC 768 UDP header, checksum 0 (none: allowed over IPv4). */
const udp4 = (sport: number, dport: number, payload: Bytes): Bytes => [...be16(sport), ...be16(dport), ...be16(8 + payload.length), ...be16(0), ...payload];

/** RFC 791 IPv4 header (20 octets, DF, TTL 64, protocol 17) with its header checksum. */
function ipv4(src: Bytes, dst: Bytes, udp: Bytes, id: number): Bytes {
  const h = [0x45, 0x00, ...be16(20 + udp.length), ...be16(id), 0x40, 0x00, 64, 17, 0, 0, ...src, ...dst];
  const c = inetSum(h);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...udp];
}

/** RFC 8200 IPv6 header + UDP with its mandatory checksum (RFC 768 over the RFC 8200 §8.1 pseudo-header). */
function ipv6Udp(src: Bytes, dst: Bytes, sport: number, dport: number, payload: Bytes): Bytes {
  const len = 8 + payload.length;
  const udp = [...be16(sport), ...be16(dport), ...be16(len), 0, 0, ...payload];
  const c = inetSum([...src, ...dst, ...be32(len), 0, 0, 0, 17, ...udp]) || 0xffff;
  udp[6] = c >> 8;
  udp[7] = c & 0xff;
  return [0x60, 0, 0, 0, ...be16(len), 17, 64, ...src, ...dst, ...udp];
}

/** Ethernet II (IEEE 802.3): dst MAC, src MAC, [802.1Q tag 8100 + TCI], EtherType 0800. */
const ether = (ip: Bytes, vlan?: number): Bytes => [
  ...hex('020000000002'), ...hex('020000000001'), ...(vlan === undefined ? [] : [...be16(0x8100), ...be16(vlan)]), ...be16(0x0800), ...ip,
];

/** Linux cooked v1 (LINKTYPE_LINUX_SLL 113): packet type, ARPHRD, address length, 8 octets of address, protocol. */
const sll = (ip: Bytes): Bytes => [...be16(0), ...be16(772), ...be16(0), ...new Array(8).fill(0), ...be16(0x0800), ...ip];
/** Linux cooked v2 (LINKTYPE_LINUX_SLL2 276): protocol, reserved, interface index, ARPHRD, packet type, address length, 8 octets of address. */
const sll2 = (ip: Bytes): Bytes => [...be16(0x0800), ...be16(0), ...be32(1), ...be16(772), 0x04, 0x00, ...new Array(8).fill(0), ...ip];

/** Classic pcap: 24-octet file header, then per record ts_sec, ts_frac, incl_len, orig_len, data. */
function pcapFile(o: { little: boolean; nano?: boolean; linktype: number; frames: Bytes[] }): Uint8Array {
  const u16 = o.little ? le16 : be16;
  const u32 = o.little ? le32 : be32;
  const out: Bytes = [
    ...u32(o.nano ? 0xa1b23c4d : 0xa1b2c3d4), // magic: µs or ns timestamps
    ...u16(2), ...u16(4), // version 2.4
    ...u32(0), ...u32(0), // thiszone, sigfigs
    ...u32(65535), // snaplen
    ...u32(o.linktype),
  ];
  o.frames.forEach((f, i) => out.push(...u32(1767225600 + i), ...u32(i * 1000), ...u32(f.length), ...u32(f.length), ...f));
  return Uint8Array.from(out);
}

/** pcapng block: type, total length, body (padded to 32 bits), total length again. */
function block(little: boolean, type: number, body: Bytes): Bytes {
  const u32 = little ? le32 : be32;
  const b = pad4(body);
  return [...u32(type), ...u32(b.length + 12), ...b, ...u32(b.length + 12)];
}
/** Section Header Block: byte-order magic 1A2B3C4D, version 1.0, section length -1 (unknown). */
const shb = (little: boolean): Bytes => block(little, 0x0a0d0d0a, [...(little ? le32 : be32)(0x1a2b3c4d), ...(little ? le16 : be16)(1), ...(little ? le16 : be16)(0), ...new Array(8).fill(0xff)]);
/** Interface Description Block: link type, reserved, snaplen, options (if_tsresol = 9 → ns, then opt_endofopt). */
const idb = (little: boolean, linktype: number, nano = false): Bytes => {
  const u16 = little ? le16 : be16;
  const opts = nano ? [...u16(9), ...u16(1), 9, 0, 0, 0, ...u16(0), ...u16(0)] : [];
  return block(little, 1, [...u16(linktype), ...u16(0), ...(little ? le32 : be32)(0), ...opts]);
};
/** Enhanced Packet Block: interface id, timestamp high/low, captured length, original length, data. */
const epb = (little: boolean, iface: number, data: Bytes, ts = 0): Bytes => {
  const u32 = little ? le32 : be32;
  return block(little, 6, [...u32(iface), ...u32(0), ...u32(ts), ...u32(data.length), ...u32(data.length), ...data]);
};
/** Simple Packet Block: original length, data (interface 0). */
const spb = (little: boolean, data: Bytes): Bytes => block(little, 3, [...(little ? le32 : be32)(data.length), ...data]);

const write = (ext: string, b: Uint8Array | Bytes): string => {
  const p = tmp(ext);
  writeFileSync(p, b instanceof Uint8Array ? b : Uint8Array.from(b));
  return p;
};

const SIMTRACE_IP = [127, 0, 0, 1];
/** A SIMtrace-style GSMTAP frame: from an ephemeral port to 4729 on loopback. */
const simFrame = (apdu: Bytes, i: number): Bytes => ipv4(SIMTRACE_IP, SIMTRACE_IP, udp4(50123, 4729, gsmtapSim(apdu)), i);

// ---------------------------------------------------------------- helpers on our output

interface ReadJson {
  file: string;
  format: string;
  captureFormat: string;
  frames: number;
  items: Record<string, any>[];
  apdus: Record<string, any>[];
  sessions: Record<string, any>[];
  summary: Record<string, number>;
  notes: string[];
  verified: boolean | null;
}

function readJson(file: string, extra: string[] = [], code = 0): ReadJson {
  const r = run(['parse', '--read', file, '--json', ...extra]);
  assert.equal(r.code, code, `exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReadJson;
}

const layersOf = (p: TsharkPacket) => p._source.layers as Record<string, unknown>;
const ins = (pkts: TsharkPacket[]) => pkts.map((p) => findAll(layersOf(p), 'gsm_sim.apdu.ins')[0]);
function noMalformed(pkts: TsharkPacket[]): void {
  for (const p of pkts) assert.deepEqual(findAll(layersOf(p), '_ws.malformed'), [], 'tshark reports a malformed packet');
}

// ---------------------------------------------------------------- hand-written captures of real traces

describe('hand-written captures of the digest\'s real card traces', () => {
  // sms-pp.md §8.2, as SIMtrace writes it: one GSMTAP SIM frame per APDU exchange
  // (header ‖ data ‖ SW), over Ethernet; an ARP frame and a STATUS around it.
  const arp = [...hex('ffffffffffff'), ...hex('020000000001'), ...be16(0x0806), ...hex('0001080006040001020000000001c0a80001000000000000c0a80002')];
  const gemaltoFrames = [
    arp, // frame 1: not IP
    ether(simFrame([...hex(GEMALTO.envelope), ...hex(GEMALTO.envelopeSw)], 1)), // 2: ENVELOPE → 91 49
    ether(simFrame([...hex(GEMALTO.fetch), ...hex(GEMALTO.fetchResponse), ...hex('9000')], 2), 100), // 3: FETCH (802.1Q VLAN 100)
    ether(simFrame([...hex(GEMALTO.terminalResponse), ...hex('9000')], 3)), // 4: TERMINAL RESPONSE → 90 00
    ether(simFrame(hex('80F2000C00 9000'), 4)), // 5: STATUS
  ];
  const gemaltoPcap = () => write('pcap', pcapFile({ little: true, linktype: 1, frames: gemaltoFrames }));

  it('Gemalto ENVELOPE + FETCH + TERMINAL RESPONSE (sms-pp.md §8.2) over Ethernet in a classic pcap: command and PoR verified (§12.3)', () => {
    const file = gemaltoPcap();
    // Wireshark sees the same exchange: ENVELOPE, FETCH, TERMINAL RESPONSE, STATUS; TP-OA and TP-DA "910".
    const ts = tsharkJson(file);
    assert.equal(ts.length, 5);
    assert.deepEqual(ins(ts).slice(1), ['0xc2', '0x12', '0x14', '0xf2']);
    assert.deepEqual(findAll(layersOf(ts[1]), 'gsm_sms.tp-oa'), ['910']);
    assert.deepEqual(findAll(layersOf(ts[2]), 'gsm_sms.tp-da'), ['910']);
    noMalformed(ts);

    const j = readJson(file, KG);
    assert.equal(j.captureFormat, 'pcap');
    assert.equal(j.frames, 5);
    assert.equal(j.items.length, 2);
    const [cmd, por] = j.items;
    assert.equal(cmd.frame, 2);
    assert.deepEqual(cmd.layers, ['GSMTAP SIM', 'ENVELOPE', 'SMS-DELIVER', 'user data', 'command packet']);
    // §12.3: TAR C00000, CNTR 0x76, PCNTR 4, CRC-32 155D3A1A, data 80CA00E000 00C0000000.
    assert.deepEqual([cmd.hex, cmd.tar, cmd.counter, cmd.pcntr, cmd.checksum.value, cmd.checksum.verified, cmd.data], [GEMALTO_CMD, 'C00000', 0x76, 4, '155D3A1A', true, '80CA00E00000C0000000']);
    assert.equal(por.frame, 3);
    assert.deepEqual(por.layers, ['GSMTAP SIM', 'proactive command', 'SMS-SUBMIT', 'user data', 'response packet']);
    // §12.3: status 00, PCNTR 6, RC A343BCAE over the deciphered PoR, data 01 9000 E012…8210.
    assert.deepEqual([por.tar, por.status.code, por.pcntr, por.checksum.value, por.checksum.verified], ['C00000', '00', 6, 'A343BCAE', true]);
    assert.equal(por.data, '019000E012C00401018210C00402018210C00403018210');
    assert.equal(por.requestFrame, 2, 'the PoR is checked against the ENVELOPE of frame 2 (same TAR)');
    assert.equal(j.verified, true);
    // The other APDUs listed briefly: the TERMINAL RESPONSE names the command and the result.
    assert.deepEqual(j.apdus.map((a) => a.frame), [4, 5]);
    assert.match(j.apdus[0].summary, /TERMINAL RESPONSE to SEND SHORT MESSAGE: result 00 \(performed successfully\)/);
    assert.match(j.apdus[1].summary, /^STATUS/);
    assert.equal(j.summary.otherFrames, 1); // the ARP frame

    // Tree: a node per item with its frame number, the ENVELOPE's SW, the brief TERMINAL RESPONSE line.
    const t = run(['parse', '--read', file, ...KG, '--no-bits']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /^Frame 2: ENVELOPE \(SMS-PP DOWNLOAD\) → command packet, TAR C00000/m);
    assert.match(t.stdout, /Status word: SW 9149 \(proactive command pending, 73 octets\)/);
    assert.match(t.stdout, /^Frame 3: FETCH: SEND SHORT MESSAGE → response packet, TAR C00000, status 00/m);
    assert.match(t.stdout, /^Frame 4: TERMINAL RESPONSE to SEND SHORT MESSAGE/m);
    assert.match(t.stdout, /RC: 155D3A1A \[crc32\]  ✓ verified/);
    assert.match(t.stdout, /RC: A343BCAE \[crc32\]  ✓ verified/);
    assert.match(t.stdout, /^Verification: passed/m);
    // Keys are never printed.
    assert.ok(!/263B48DBCBC1C21C0AA13E4D4516C446/i.test(t.stdout + t.stderr));
  });

  it('a wrong key makes the checks fail: exit 1, naming the frame', () => {
    const file = gemaltoPcap();
    const r = run(['parse', '--read', file, '--kic-key', '00112233445566778899AABBCCDDEEFF']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^uicc-ota: verification failed: frame 2: /m);
    assert.match(r.stdout, /Verification: FAILED/);
  });

  it('SJA2 (secured-packet.md §12.1) in pcapng: ENVELOPE answered 61 31, the PoR fetched by GET RESPONSE, two interfaces (SLL, SLL2)', () => {
    // The card answers the ENVELOPE with 61 31 (49 octets waiting, T=0); the ME fetches them with GET RESPONSE.
    const env = sll(simFrame([...hex(SJA2_ENVELOPE), ...hex('6131')], 1));
    const getResponse = sll2(simFrame([...hex('00C0000031'), ...hex(SJA2_POR_UD), ...hex('9000')], 2));
    const file = write('pcapng', [
      ...shb(true),
      ...idb(true, 113, true), // interface 0: Linux cooked, ns timestamps
      ...idb(true, 276), // interface 1: Linux cooked v2
      ...epb(true, 0, env, 1000),
      ...block(true, 4, [...le16(0), ...le16(0)]), // a Name Resolution Block (empty): no packet
      ...epb(true, 1, getResponse, 2000),
    ]);
    const ts = tsharkJson(file);
    assert.deepEqual(ins(ts), ['0xc2', '0xc0']);
    assert.deepEqual(findAll(layersOf(ts[0]), 'gsm_sms.tp-oa'), ['491234567']);
    noMalformed(ts);

    const j = readJson(file, K1);
    assert.equal(j.captureFormat, 'pcapng');
    assert.equal(j.frames, 2);
    const [cmd, por] = j.items;
    // §12.1: CC 78CFE8C148CC3556 over the deciphered command, data A0A40000027F20 A0C0000016.
    assert.deepEqual([cmd.frame, cmd.hex, cmd.checksum.value, cmd.checksum.verified, cmd.data], [1, SJA2_CMD, '78CFE8C148CC3556', true, 'A0A40000027F20A0C0000016']);
    assert.deepEqual(por.layers, ['GSMTAP SIM', 'GET RESPONSE', 'user data', 'response packet']);
    // §12.1: status 00, CC 8FEAF52EF40EC214, data 02 9000 0000FFFF…838A.
    assert.deepEqual([por.frame, por.status.code, por.checksum.value, por.checksum.verified, por.requestFrame], [2, '00', '8FEAF52EF40EC214', true, 1]);
    assert.equal(por.data, '0290000000FFFF7F2002000000000009B106350400838A838A');
    assert.equal(por.framing[1].envelopeFrame, 1);
    assert.equal(j.verified, true);
  });

  it('the same exchange as GSMTAP SIM TPDU sub-types (4 header, 5 command body, 6 response body, 7 SW) is put back together', () => {
    // libosmocore gsmtap.h: GSMTAP_SIM_TPDU_HDR 4, _CMD 5, _RSP 6, _SW 7 — one frame per part.
    const env = hex(SJA2_ENVELOPE);
    const part = (b: Bytes, sub: number, i: number) => ipv4(SIMTRACE_IP, SIMTRACE_IP, udp4(50123, 4729, gsmtapSim(b, sub)), i);
    const frames = [
      part(env.slice(0, 5), 4, 1), part(env.slice(5), 5, 2), part(hex('6131'), 7, 3),
      part(hex('00C0000031'), 4, 4), part(hex(SJA2_POR_UD), 6, 5), part(hex('9000'), 7, 6),
    ];
    const file = write('pcap', pcapFile({ little: true, linktype: 101, frames }));
    const j = readJson(file, K1);
    assert.deepEqual(j.items.map((i) => [i.frame, i.frames, i.type, i.checksum.value, i.checksum.verified]), [
      [1, [1, 2, 3], 'command', '78CFE8C148CC3556', true],
      [4, [4, 5, 6], 'response', '8FEAF52EF40EC214', true],
    ]);
    assert.equal(j.items[0].framing[0].subType, 'TPDU');
  });

  it('SJA5 AES (§12.2) in a big-endian nanosecond pcap on BSD loopback: the PoR in the ENVELOPE response data (T=1)', () => {
    // SMS-DELIVER (sms-pp.md §4): 44, TP-OA 910, PID 7F, DCS F6, SCTS, UDL, 02 70 00 ‖ packet.
    const ud = [...hex('027000'), ...hex(SJA5_CMD)];
    const tpdu = [...hex('44 038119F0 7FF6 52107131452100'), ud.length, ...ud];
    // ENVELOPE (sms-pp.md §7): D1 { 82 02 83 81, 8B len TPDU }, Lc = length of the D1 TLV.
    const d1Value = [...hex('82028381'), 0x8b, tpdu.length, ...tpdu];
    const d1 = [0xd1, d1Value.length, ...d1Value];
    const apdu = [...hex('80C20000'), d1.length, ...d1, ...hex(SJA5_POR_UD), ...hex('9000')];
    // LINKTYPE_NULL: 4-octet address family in the capturing host's order (big-endian here), AF_INET = 2.
    const file = write('pcap', pcapFile({ little: false, nano: true, linktype: 0, frames: [[...be32(2), ...simFrame(apdu, 1)]] }));
    const ts = tsharkJson(file);
    assert.deepEqual(ins(ts), ['0xc2']);
    noMalformed(ts);

    const j = readJson(file, K2);
    assert.equal(j.items.length, 2);
    const [cmd, por] = j.items;
    assert.deepEqual([cmd.frame, cmd.hex, cmd.checksum.value, cmd.checksum.verified, cmd.data], [1, SJA5_CMD, 'ECBAB1F8F55502C5', true, '00A40004023F00']);
    assert.deepEqual(por.layers, ['GSMTAP SIM', 'ENVELOPE response', 'user data', 'response packet']);
    // §12.2: "decrypts to 0000000000 0E 00 34D237DB461C150B 01 6132 00…00(14)".
    assert.deepEqual([por.frame, por.pcntr, por.status.code, por.checksum.value, por.checksum.verified, por.data], [1, 14, '00', '34D237DB461C150B', true, '016132']);
  });

  it('CAT_TP PDUs of cat-tp.md §6 over IPv6 in a big-endian pcapng (Simple Packet Blocks): handshake listed, the §7.3 command verified', () => {
    const card = hex('20010db8000000000000000000000001');
    const srv = hex('20010db8000000000000000000000002');
    const file = write('pcapng', [
      ...shb(false),
      ...idb(false, 101), // raw IP: the version nibble says IPv6
      ...spb(false, ipv6Udp(card, srv, 40000, 4000, hex(S6.syn))),
      ...spb(false, ipv6Udp(srv, card, 4000, 40000, hex(S6.synAck))),
      ...spb(false, ipv6Udp(srv, card, 4000, 40000, hex(S6.cmd))),
    ]);
    // Wireshark's CAT-TP dissector (forced on port 4000): three PDUs, every checksum good.
    const ts = tsharkJson(file, ['-d', 'udp.port==4000,cattp']);
    assert.equal(ts.length, 3);
    for (const p of ts) assert.deepEqual(findAll(layersOf(p), 'cattp.checksum.status'), ['1']);
    assert.deepEqual(ts.flatMap((p) => problems(p)), []);

    const j = readJson(file, K1);
    assert.equal(j.items.length, 1);
    const cmd = j.items[0];
    assert.deepEqual(cmd.layers, ['UDP', 'CAT_TP', 'command packet']);
    // cat-tp.md §7.3: the packet, TAR B00010, CC 550594D33098D06C.
    assert.deepEqual([cmd.frame, cmd.dialect, cmd.hex, cmd.tar, cmd.checksum.value, cmd.checksum.verified], [3, 'cat_tp', PACKET73, 'B00010', '550594D33098D06C', true]);
    assert.equal(cmd.framing[0].src, '[2001:db8::2]:4000');
    assert.equal(j.sessions.length, 1);
    assert.deepEqual(j.sessions[0].pdus.map((p: { frame: number; checksumOk: boolean }) => [p.frame, p.checksumOk]), [[1, true], [2, true], [3, true]]);
    assert.match(j.sessions[0].pdus[0].summary, /^SYN 1024 → 1 seq=4660/);

    // One flipped octet in the command's data: Wireshark and we both report the CAT_TP checksum (exit 1).
    const cmdBad = hex(S6.cmd);
    cmdBad[30] ^= 0x01;
    const badFile = write('pcapng', [...shb(false), ...idb(false, 101), ...spb(false, ipv6Udp(card, srv, 40000, 4000, hex(S6.syn))), ...spb(false, ipv6Udp(srv, card, 4000, 40000, hex(S6.synAck))), ...spb(false, ipv6Udp(srv, card, 4000, 40000, cmdBad))]);
    assert.deepEqual(findAll(layersOf(tsharkJson(badFile, ['-d', 'udp.port==4000,cattp'])[2]), 'cattp.checksum.status'), ['0']); // 0 = Bad
    const r = run(['parse', '--read', badFile, ...K1]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /verification failed: frame 3: CAT_TP checksum of DATA seq 22137: 0xCFE7, should be 0x/);
  });

  it('editcap -F pcapng of the hand-written Gemalto pcap reads the same', () => {
    const file = gemaltoPcap();
    const ng = tmp('pcapng');
    execFileSync(tool('editcap'), ['-F', 'pcapng', file, ng]);
    assert.equal(Buffer.from(readFileSync(ng)).readUInt32BE(0), 0x0a0d0d0a, 'editcap wrote pcapng');
    const a = readJson(file, KG);
    const b = readJson(ng, KG);
    assert.equal(b.captureFormat, 'pcapng');
    assert.deepEqual(b.items, a.items);
    assert.deepEqual(b.apdus, a.apdus);
  });
});

// ---------------------------------------------------------------- captures written by our own --pcap

describe('captures written by --pcap, read back', () => {
  const SJA2_BUILD = ['--tar', 'B00010', '--spi', '0619', '--kic', '15', '--kid', '15', ...K1, '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016'];

  it('build sms --format envelope and build por --format proactive: the §12.1 command and PoR, also as pcapng (editcap)', () => {
    const env = tmp('pcap');
    assert.equal(run(['build', 'sms', ...SJA2_BUILD, '--format', 'envelope', '--pcap', env]).code, 0);
    // The §12.1 PoR plaintext: CNTR 0, status 00, data 02 9000 + 22 octets.
    const por = tmp('pcap');
    const b = run(['build', 'por', '--request', SJA2_CMD, ...K1, '--executed', '2', '--sw', '9000', '--rdata', '0000FFFF7F2002000000000009B106350400838A838A', '--format', 'proactive', '--pcap', por]);
    assert.equal(b.code, 0, b.stderr);
    const both = tmp('pcap');
    execFileSync(tool('mergecap'), ['-F', 'pcap', '-a', '-w', both, env, por]);
    const j = readJson(both, K1);
    assert.equal(j.items.length, 2);
    assert.equal(j.items[0].hex, SJA2_CMD);
    assert.equal(j.items[0].checksum.verified, true);
    // The card's real PoR of §12.1, rebuilt: same packet octets after the 02 71 00 UDH.
    assert.equal(j.items[1].hex, SJA2_POR_UD.slice(6));
    assert.deepEqual([j.items[1].frame, j.items[1].requestFrame, j.items[1].checksum.value, j.items[1].checksum.verified], [2, 1, '8FEAF52EF40EC214', true]);
    // pcapng made by Wireshark's editcap from our pcap: identical items.
    const ng = tmp('pcapng');
    execFileSync(tool('editcap'), ['-F', 'pcapng', both, ng]);
    const k = readJson(ng, K1);
    assert.equal(k.captureFormat, 'pcapng');
    assert.deepEqual(k.items, j.items);
  });

  it('a concatenated command (two ENVELOPEs) is reassembled across frames; a missing segment is exit 2 naming the frame', () => {
    const data = 'A0A40000027F20'.repeat(24);
    const file = tmp('pcap');
    const built = run(['build', 'sms', '--tar', 'B00010', '--spi', '0619', '--kic', '15', '--kid', '15', ...K1, '--counter', '0', '--data', data, '--format', 'envelope', '--concat-ref', '9', '--pcap', file]);
    assert.equal(built.code, 0, built.stderr);
    // Wireshark: two ENVELOPEs with the concatenation IE, reference 9, parts 1 and 2 of 2.
    const ts = tsharkJson(file);
    assert.deepEqual(ts.map((p) => findAll(layersOf(p), 'gsm_sms.udh.mm.msg_part')[0]), ['1', '2']);
    assert.deepEqual(ts.map((p) => findAll(layersOf(p), 'gsm_sms.udh.mm.msg_id')[0]), ['9', '9']);
    const j = readJson(file, K1);
    assert.equal(j.items.length, 1);
    const it0 = j.items[0];
    assert.deepEqual([it0.frame, it0.frames], [1, [1, 2]]);
    assert.deepEqual(it0.layers, ['GSMTAP SIM', 'ENVELOPE', 'SMS-DELIVER', 'user data', 'concatenated SMS', 'command packet']);
    assert.equal(it0.data, data);
    assert.equal(it0.checksum.verified, true);
    // The bare packet built with the same options is what was reassembled.
    assert.equal(it0.hex, run(['build', 'sms', '--tar', 'B00010', '--spi', '0619', '--kic', '15', '--kid', '15', ...K1, '--counter', '0', '--data', data]).stdout.trim());
    // Drop frame 2 (editcap deletes by frame number): part 2 of 2 is missing.
    const cut = tmp('pcap');
    execFileSync(tool('editcap'), [file, cut, '2']);
    const r = run(['parse', '--read', cut, ...K1]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /frame 1: concatenated SMS \(8-bit reference 9\) Message part number: part 2 of 2 missing/);
  });

  it('build por --format deliver-report (exported-PDU link type) pairs with --request', () => {
    const file = tmp('pcap');
    assert.equal(run(['build', 'por', '--request', SJA2_CMD, ...K1, '--sw', '9000', '--format', 'deliver-report', '--pcap', file]).code, 0);
    // Wireshark: an SMS-DELIVER-REPORT (TP-MTI 0 from the MS) carrying the PoR.
    const ts = tsharkJson(file);
    assert.deepEqual(findAll(layersOf(ts[0]), 'gsm_sms.tp-mti'), ['0']);
    const j = readJson(file, [...K1, '--request', SJA2_CMD]);
    assert.deepEqual(j.items[0].layers, ['exported PDU', 'SMS-DELIVER-REPORT', 'user data', 'response packet']);
    assert.deepEqual([j.items[0].status.code, j.items[0].checksum.verified], ['00', true]);
  });

  it('CAT_TP written by parse --pcap (handshake, §7.3 command, PoR): both packets verified, the PoR against the command', () => {
    const por = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--sw', '9000', '--format', 'pdu', '--seq', '0x1236', '--ack', '0x5679']).stdout.trim();
    const file = tmp('pcap');
    assert.equal(run(['parse', S6.syn, S6.synAck, S6.cmd, por, ...K1, '--pcap', file]).code, 0);
    const j = readJson(file, K1);
    assert.deepEqual(j.items.map((i) => [i.frame, i.type, i.checksum.verified]), [[3, 'command', true], [4, 'response', true]]);
    assert.equal(j.items[0].checksum.value, '550594D33098D06C'); // cat-tp.md §7.3
    assert.equal(j.items[1].requestFrame, 3);
    // The §6 exchange skips the card's data PDU 0x1235 (SYN ISN 0x1234, PoR at 0x1236): noted, the PoR is whole by its length.
    assert.match(j.notes.join(' '), /PDU with sequence number 4661 missing \(1024 → 1, initial sequence number 4660\)/);
  });

  it('a real loopback session (cattp serve + send --pcap): the segmented command and PoR reassembled and verified', async () => {
    const cardFile = join(DIR, 'CARD.json');
    writeFileSync(cardFile, JSON.stringify(exampleCard(), null, 2));
    const spcap = tmp('pcap');
    const sec = ['--tar', 'B00010', '--spi', '0609', '--kic', '15', '--kid', '15', ...K1, '--counter', '0', '--data', 'A0A40000027F20A0C0000016'];
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...sec, '--max-pdu', '30', '--timeout', '300', '--quiet', '--pcap', spcap]);
    const port = await srv.port;
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', cardFile, '--max-pdu', '40', '--timeout', '300', '--quiet']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stderr);
    const j = readJson(spcap, K1);
    assert.equal(j.items.length, 2);
    const [cmd, por] = j.items;
    assert.equal(cmd.hex, PACKET73); // cat-tp.md §7.3
    assert.ok(cmd.frames.length >= 2, 'the command came in several PDUs (max PDU 40)');
    assert.deepEqual([por.type, por.status.code, por.checksum.verified, por.requestFrame], ['response', '00', true, cmd.frame]);
    const types = j.sessions[0].pdus.map((p: { summary: string }) => p.summary.split(' ')[0]);
    assert.deepEqual([types[0], types[1], types[types.length - 1]], ['SYN', 'SYN/ACK', 'RST']);
    // The RST closes the session: its items are printed then, before an exchange that comes later in the capture.
    const env = tmp('pcap');
    assert.equal(run(['build', 'sms', ...K1, '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '1', '--apdu', '00A40004023F00', '--format', 'envelope', '--pcap', env]).code, 0);
    const both = tmp('pcapng');
    execFileSync(tool('mergecap'), ['-a', '-w', both, spcap, env]);
    const recs = run(['parse', '--read', both, '--ndjson', ...K1]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    const order = recs.map((x: { record: string; layers?: string[] }) => (x.record === 'item' ? x.layers![0] : x.record));
    assert.deepEqual(order, ['session', 'UDP', 'UDP', 'GSMTAP SIM', 'end']);
    // Without the first segment of the command (editcap deletes that frame) the SDU cannot be
    // reassembled: the SYN/ACK's initial sequence number shows what is missing (exit 2).
    const cut = tmp('pcap');
    execFileSync(tool('editcap'), [spcap, cut, String(cmd.frames[0])]);
    const r = run(['parse', '--read', cut, ...K1]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /CAT_TP sequence number: data PDU with sequence number \d+ missing \(1 → 1024, initial sequence number \d+\): the SDU starting at sequence number \d+ lacks its start/);
  });
});

// ---------------------------------------------------------------- what an analyst should be told

describe('parse --read notes what went wrong between the ME and the card', () => {
  const notesOf = (frames: Bytes[], keys: string[] = K1) => readJson(write('pcap', pcapFile({ little: true, linktype: 101, frames: frames.map((f, i) => simFrame(f, i + 1)) })), keys).notes;

  it('an ENVELOPE answered 61xx whose response data (the PoR) is never fetched: by the next APDU, a reset, or the end of the capture', () => {
    const env = [...hex(SJA2_ENVELOPE), ...hex('6131')];
    const lost = (why: string) => `frame 1: the card answered the ENVELOPE (SMS-PP DOWNLOAD) with SW 6131, 49 octets of response data (the PoR, when the command asked for one) waiting, but ${why}: they were never read`;
    assert.ok(notesOf([env, hex('80F2000C00 9000')]).includes(lost('the next APDU (frame 2, STATUS) is not a GET RESPONSE')));
    assert.ok(notesOf([env, [...hex(SJA2_ENVELOPE), ...hex('9000')]]).includes(lost('the next APDU (frame 2) is another ENVELOPE (SMS-PP DOWNLOAD), not a GET RESPONSE')));
    assert.ok(notesOf([env, hex('00C0000031 6F00')]).includes(lost('the GET RESPONSE of frame 2 returned no data (SW 6F00)')));
    assert.ok(notesOf([env]).includes(lost('the capture ends before a GET RESPONSE')));
    // Fetched (the SJA2 trace): nothing of the kind.
    assert.ok(!notesOf([env, [...hex('00C0000031'), ...hex(SJA2_POR_UD), ...hex('9000')]]).some((n) => /never read/.test(n)));
  });

  it('the same command packet twice (an SMS delivered twice, a replay)', () => {
    const env = [...hex(SJA2_ENVELOPE), ...hex('9000')];
    const notes = notesOf([env, env]);
    // SJA2's SPI 06 19 has no counter (b5b4 = 00): no card would refuse it for that.
    assert.ok(notes.includes('frame 2: command packet (TAR B00010) repeats the one of frame 1 octet for octet (delivered twice, or replayed)'), notes.join('\n'));
  });

  it("a counter the command's SPI makes the card refuse: not higher, not exactly one higher; not compared after a failed CC (a wrong key)", () => {
    const cmd = (spi: string, counter: number, apdu: string) => [...hex(run(['build', 'sms', '--spi', spi, '--kic', '15', '--kid', '15', ...K1, '--tar', 'B00010', '--counter', String(counter), '--apdu', apdu, '--format', 'envelope']).stdout.trim()), ...hex('9000')];
    // SPI 16 21: CC, ciphered, counter "higher" (b5b4 = 10); 1A 21: CC, not ciphered, counter "exactly one higher" (b5b4 = 11).
    const higher = notesOf([cmd('1621', 5, '00A40004023F00'), cmd('1621', 5, '00A40004027F20')]);
    assert.ok(higher.includes('frame 2: command packet (TAR B00010) has CNTR 5 after CNTR 5 of the command of frame 1 (same keys); its SPI asks for a counter higher than the last one (PoR status 02, CNTR low), so a card that accepted the first refuses it'), higher.join('\n'));
    const oneHigher = notesOf([cmd('1A21', 5, '00A40004023F00'), cmd('1A21', 7, '00A40004023F00'), cmd('1A21', 8, '00A40004023F00')]);
    assert.deepEqual(oneHigher.filter((n) => /has CNTR/.test(n)), ['frame 2: command packet (TAR B00010) has CNTR 7 after CNTR 5 of the command of frame 1 (same keys); its SPI asks for a counter exactly one higher than the last one (PoR status 03, CNTR high), so a card that accepted the first refuses it']);
    // With a wrong KIc key the counters read are noise, and the CC fails: no counter note.
    const wrong = readJson(write('pcap', pcapFile({ little: true, linktype: 101, frames: [cmd('1621', 5, '00A40004023F00'), cmd('1621', 5, '00A40004027F20')].map((f, i) => simFrame(f, i + 1)) })), ['--kic-key', '00112233445566778899AABBCCDDEEFF', K1[2], K1[3]], 1).notes;
    assert.ok(!wrong.some((n) => /has CNTR/.test(n)), wrong.join('\n'));
  });
});

// ---------------------------------------------------------------- bad and empty files

describe('malformed and empty captures', () => {
  const good = () => pcapFile({ little: true, linktype: 101, frames: [simFrame([...hex(GEMALTO.envelope), ...hex('9000')], 1)] });

  it('a broken file is one line on stderr naming the file, block or frame and the byte, exit 2', () => {
    const g = good();
    const ng = [...shb(true), ...idb(true, 101), ...epb(true, 0, simFrame([...hex(GEMALTO.envelope), ...hex('9000')], 1))];
    const cases: [string, Uint8Array | Bytes, RegExp][] = [
      ['pcap', g.subarray(0, 10), /file header at byte 0: 10 octets, a pcap file header needs 24/],
      ['pcap', Buffer.from('GET / HTTP/1.1\r\n\r\n'), /file header at byte 0: magic number 0x47455420 is neither pcap/],
      ['pcap', g.subarray(0, g.length - 5), /frame 1 at byte 24: record says \d+ captured octets, \d+ present \(file cut short\)/],
      ['pcapng', ng.slice(0, ng.length - 8), /block 3 \(Enhanced Packet Block\) at byte \d+: block total length \d+ runs past the end of the file/],
      ['pcapng', [...ng.slice(0, ng.length - 4), 0, 0, 0, 0], /block 3 \(Enhanced Packet Block\) at byte \d+: trailing block total length 0 differs/],
      ['pcapng', [...shb(true), ...epb(true, 0, [1, 2, 3])], /block 2 \(Enhanced Packet Block\) at byte 36: interface id 0 has no Interface Description Block/],
      ['pcapng', [...shb(true).slice(0, 8), 0x4d, 0x3c, 0x2b, 0x1b, ...shb(true).slice(12)], /block 1 \(Section Header Block\) at byte 8: byte-order magic/],
    ];
    for (const [ext, bytes, re] of cases) {
      const f = write(ext, bytes);
      const r = run(['parse', '--read', f]);
      assert.equal(r.code, 2, `${re}: ${r.stdout}${r.stderr}`);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.ok(r.stderr.includes(f), 'names the file');
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
    }
    // A file that cannot be opened is a file error (exit 3, EXIT STATUS in the man page).
    const missing = run(['parse', '--read', join(DIR, 'nope.pcap')]);
    assert.equal(missing.code, 3);
    assert.ok(isOneLineError(missing.stderr));
  });

  it('--read with hex inputs, --pcap or --each is a usage error', () => {
    const f = write('pcap', good());
    for (const args of [['parse', '--read', f, '0102'], ['parse', '--read', f, '--pcap', join(DIR, 'x.pcap')], ['parse', '--read', f, '--each'], ['parse', 'por', '--read', f, '--each']]) {
      const r = run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
    }
  });

  it('a capture with nothing OTA-related: exit 0 with a note (empty file of records, other traffic, plain APDUs)', () => {
    const empty = write('pcap', pcapFile({ little: true, linktype: 1, frames: [] }));
    const e = run(['parse', '--read', empty]);
    assert.equal(e.code, 0, e.stderr);
    assert.match(e.stdout, /nothing OTA-related in 0 frames/);
    // DNS-like UDP, a SELECT and READ BINARY as GSMTAP SIM frames.
    const dns = ipv4([10, 0, 0, 1], [10, 0, 0, 53], udp4(5353, 53, hex('12340100000100000000000003777777076578616d706c6503636f6d0000010001')), 7);
    const other = write('pcap', pcapFile({ little: true, linktype: 101, frames: [dns, simFrame(hex('00A4000402 3F00 9000'), 1), simFrame(hex('00B0000004 01020304 9000'), 2)] }));
    const j = readJson(other);
    assert.deepEqual(j.items, []);
    assert.equal(j.verified, null);
    assert.match(j.notes.join(' '), /nothing OTA-related in 3 frames/);
    assert.deepEqual(j.apdus.map((a) => [a.frame, a.layers[1]]), [[2, 'SELECT'], [3, 'READ BINARY']]);
    const t = run(['parse', '--read', other]);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /^Frames 2–3: 2 other APDUs \(SELECT, READ BINARY\)/m);
    assert.match(t.stdout, /Verification: nothing to verify/);
  });
});

// ---------------------------------------------------------------- processes


