/**
 * Issue "CAT_TP: secured packets over ETSI TS 102 127", end to end through the
 * CLI (`cattp build`, `build cattp`, `build por --format pdu`, `parse` of
 * PDUs, `cattp serve` + `cattp send` as two real processes on loopback).
 *
 * Where expected values come from (never from our own encoder alone):
 *  - the hex PDUs of spec digest cat-tp.md §6, each hand-built and decoded by
 *    tshark 4.0.17 with "Checksum Status: Good" (quoted below);
 *  - the worked example of cat-tp.md §7.3 (the TS 102 225 CAT_TP-dialect
 *    packet, same keys as secured-packet.md §12.1), quoted below;
 *  - Wireshark's CAT-TP dissector on every pcap the CLI writes:
 *      tshark -r FILE -d udp.port==N,cattp -T json --no-duplicate-keys
 *    (test/helpers/tshark-cattp.ts; fails, never skips, without tshark);
 *  - the openssl CLI for the CC of the PoRs exchanged in sessions:
 *      openssl enc -des-ede-cbc -K KIDKEY -iv 0000000000000000 -nopad
 *    over the zero-padded CC input, last block (secured-packet.md §7.2).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, isOneLineError, start, ROOT } from './helpers/cli.js';
import { field, tsharkFile, type TsharkFrame } from './helpers/tshark-cattp.js';
import { exampleCard } from '../src/card/card.js';

// secured-packet.md §12.1 keys (KVN 1, 3DES 2-key), used by cat-tp.md §7.3.
const KIC_KEY = 'F09C43EE1A0391665CC9F05AF4E0BD10';
const KID_KEY = '01981F4A20999F62AF99988007BAF6CA';
const K1 = ['--kic-key', KIC_KEY, '--kid-key', KID_KEY];
// cat-tp.md §7.3 inputs: SPI 06 09, KIc/KID 15, TAR B00010, CNTR 0, data A0A40000027F20A0C0000016.
const SEC73 = ['--tar', 'B00010', '--spi', '0609', '--kic', '15', '--kid', '15', ...K1, '--counter', '0', '--data', 'A0A40000027F20A0C0000016'];
// cat-tp.md §7.3: "packet : 01 28 15 06 09 15 15 B0 00 10 064105D6…126808".
const PACKET73 = '01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808';
// cat-tp.md §7.3: the CC of that packet.
const CC73 = '550594D33098D06C';

// cat-tp.md §6 verified PDUs (tshark 4.0.17: checksum correct for each), spaces removed.
const S6 = {
  syn: '800000210400000100001234000000045E37040008000A988812010000407682F5',
  synAck: 'C0000017000104000000567812340004C7360400080000',
  ack23: '40000012000104000017123556780004812501' + '1B0D00000000B00010000000000000A0A40000027F20',
  ack23Bad: '40000012000104000017123556780004812401' + '1B0D00000000B00010000000000000A0A40000027F20', // "Bad checksum [should be 0x8125]"
  nul: '48000012040000010000123656780004' + '4B3A',
  eack: '60000016040000010000123656780004863C56795680',
  rst: '10000013040000010000123700000000D9B400',
  cmd: '4000001200010400002A567912350004CFE7' + PACKET73,
};

const DIR = mkdtempSync(join(tmpdir(), 'cli-cattp-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
let nfile = 0;
const tmp = (ext: string) => join(DIR, `f${++nfile}.${ext}`);

const flagsOf = (f: TsharkFrame) => Number(field(f, 'cattp.flags'));
const num = (f: TsharkFrame, k: string) => Number(field(f, k));

/** Every frame dissected as CAT-TP with a good checksum (Wireshark: cattp.checksum.status 1). */
function cattpFrames(pcap: string, port: number, n?: number): TsharkFrame[] {
  const frames = tsharkFile(pcap, { port });
  if (n !== undefined) assert.equal(frames.length, n, 'frames in the pcap');
  assert.ok(frames.length > 0, 'empty pcap');
  frames.forEach((f, i) => {
    assert.ok(f.cattp, `frame ${i + 1} not dissected as CAT-TP`);
    assert.equal(field(f, 'cattp.checksum.status'), '1', `frame ${i + 1}: Wireshark reports a bad checksum`);
  });
  return frames;
}

function openssl(args: string[], input: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(execFileSync('openssl', args, { input: Buffer.from(input), stdio: ['pipe', 'pipe', 'pipe'] }));
  } catch (e) {
    assert.fail(`openssl ${args.join(' ')} failed (is the openssl CLI installed?): ${(e as Error).message}`);
  }
}
const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/**
 * Independent check of an unciphered CAT_TP-dialect PoR with a 3DES CC
 * (cat-tp.md §7.2: RPI, RPL and RHL are in the CC input, no UDH): recompute
 * the CC with openssl over RPI RPL RHL TAR CNTR PCNTR status data.
 */
function checkPorCc(porHex: string): { status: number; data: string } {
  const b = h(porHex);
  assert.equal(b[0], 0x02, 'RPI');
  assert.ok(b[1] < 0x80 && b[1] === b.length - 2, 'one-octet BER RPL matching the length');
  assert.equal(b[2], 0x12, 'RHL 18 = 10 + 8-octet CC');
  const cc = b.subarray(13, 21);
  const input = Buffer.concat([b.subarray(0, 13), b.subarray(21)]);
  const padded = Buffer.concat([input, Buffer.alloc((8 - (input.length % 8)) % 8)]);
  const mac = openssl(['enc', '-des-ede-cbc', '-K', KID_KEY, '-iv', '0000000000000000', '-nopad'], padded).slice(-8);
  assert.equal(hex(mac), hex(cc), 'PoR CC recomputed with openssl');
  return { status: b[12], data: hex(b.subarray(21)) };
}

// ---------------------------------------------------------------- cattp build

describe('cattp build: every PDU type', () => {
  it('reproduces the verified PDUs of cat-tp.md §6 from named header fields', () => {
    const cases: [string[], string][] = [
      [['syn', '--src-port', '1024', '--dst-port', '1', '--seq', '0x1234', '--window', '4', '--max-pdu', '1024', '--max-sdu', '2048', '--iccid', '8988211000000467285'], S6.syn],
      [['synack', '--src-port', '1', '--dst-port', '1024', '--seq', '0x5678', '--ack', '0x1234', '--window', '4', '--max-pdu', '1024', '--max-sdu', '2048'], S6.synAck],
      [['ack', '--src-port', '1', '--dst-port', '1024', '--seq', '0x1235', '--ack', '0x5678', '--data', '011B0D00000000B00010000000000000A0A40000027F20'], S6.ack23],
      [['data', '--src-port', '1', '--dst-port', '1024', '--seq', '0x5679', '--ack', '0x1235', '--data', PACKET73], S6.cmd],
      [['nul', '--seq', '0x1236', '--ack', '0x5678'], S6.nul],
      [['eack', '--seq', '0x1236', '--ack', '0x5678', '--eack', '0x5679,0x5680'], S6.eack],
      [['rst', '--seq', '0x1237', '--reason', '0'], S6.rst],
      // Deliberately wrong checksum: the §6 "bad" row.
      [['ack', '--src-port', '1', '--dst-port', '1024', '--seq', '0x1235', '--ack', '0x5678', '--data', '011B0D00000000B00010000000000000A0A40000027F20', '--checksum', '8124'], S6.ack23Bad],
    ];
    for (const [args, want] of cases) {
      const r = run(['cattp', 'build', ...args]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, want + '\n', args.join(' '));
    }
  });

  it('each type, written with --pcap, is decoded by Wireshark with the intended fields and a good checksum', () => {
    const common = ['--src-port', '4096', '--dst-port', '7', '--ack', '513', '--window', '9'];
    const types: { args: string[]; flags: number; check(f: TsharkFrame): void }[] = [
      {
        args: ['syn', '--seq', '0xFFF0', '--max-pdu', '300', '--max-sdu', '1500', '--iccid', '89490000000000000017'],
        flags: 0x80,
        check: (f) => {
          assert.deepEqual([num(f, 'cattp.maxpdu'), num(f, 'cattp.maxsdu'), num(f, 'cattp.idlen'), num(f, 'cattp.hlen')], [300, 1500, 10, 33]);
          assert.equal(field(f, 'cattp.iccid'), '89490000000000000017');
        },
      },
      {
        args: ['synack', '--seq', '77', '--max-pdu', '64', '--max-sdu', '256', '--identification', 'A1B2C3'],
        flags: 0xc0,
        check: (f) => {
          assert.deepEqual([num(f, 'cattp.maxpdu'), num(f, 'cattp.maxsdu'), num(f, 'cattp.idlen'), num(f, 'cattp.hlen')], [64, 256, 3, 26]);
          assert.equal(field(f, 'cattp.identification'), 'a1:b2:c3');
        },
      },
      { args: ['ack', '--seq', '78'], flags: 0x40, check: (f) => assert.deepEqual([num(f, 'cattp.hlen'), num(f, 'cattp.datalen')], [18, 0]) },
      {
        args: ['data', '--seq', '78', '--seg', '--data', '0102030405'],
        flags: 0x44,
        check: (f) => {
          assert.equal(field(f, 'cattp.flags.seg'), '1');
          assert.equal(num(f, 'cattp.datalen'), 5);
          assert.equal(f.data, '0102030405');
        },
      },
      {
        args: ['eack', '--seq', '79', '--eack', '80,82,65535'],
        flags: 0x60,
        check: (f) => {
          assert.equal(num(f, 'cattp.eaks'), 3);
          assert.deepEqual(field(f, 'cattp.eak'), ['80', '82', '65535']);
        },
      },
      { args: ['rst', '--seq', '79', '--reason', '5'], flags: 0x10, check: (f) => assert.deepEqual([field(f, 'cattp.rc'), num(f, 'cattp.hlen')], ['5', 19]) },
      { args: ['rst', '--seq', '79', '--reason', '3', '--rst-ack'], flags: 0x50, check: (f) => assert.equal(field(f, 'cattp.rc'), '3') },
      { args: ['nul', '--seq', '79'], flags: 0x48, check: (f) => assert.equal(num(f, 'cattp.datalen'), 0) },
    ];
    for (const t of types) {
      const pcap = tmp('pcap');
      const r = run(['cattp', 'build', ...t.args, ...common, '--pcap', pcap, '--udp-port', '3000:4000']);
      assert.equal(r.code, 0, r.stderr);
      const [f] = cattpFrames(pcap, 4000, 1);
      assert.deepEqual([f.udp.srcport, f.udp.dstport], [3000, 4000]);
      assert.equal(flagsOf(f), t.flags, t.args.join(' '));
      assert.equal(field(f, 'cattp.version'), '0x00');
      assert.deepEqual([num(f, 'cattp.srcport'), num(f, 'cattp.dstport'), num(f, 'cattp.ack'), num(f, 'cattp.windowsize')], [4096, 7, 513, 9]);
      assert.equal(num(f, 'cattp.seq'), Number(t.args[t.args.indexOf('--seq') + 1]));
      t.check(f);
      // The printed hex is the frame's UDP payload.
      const payload = (f.layers.udp as Record<string, string>)['udp.payload']?.replace(/:/g, '').toUpperCase();
      if (payload !== undefined) assert.equal(payload, r.stdout.trim());
    }
  });

  it('--show and --json decode what was built; --checksum makes a PDU Wireshark calls bad', () => {
    const show = run(['cattp', 'build', 'syn', '--iccid', '8988211000000467285', '--show', '--no-bits']);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /ICCID 8988211000000467285F/);
    assert.match(show.stdout, /Checksum: 0x[0-9A-F]{4}.*correct/);
    const j = JSON.parse(run(['cattp', 'build', 'eack', '--eack', '1,2', '--json']).stdout);
    assert.deepEqual([j.type, j.eack, j.checksum.verified, j.hlen], ['eack', [1, 2], true, 22]);
    const pcap = tmp('pcap');
    assert.equal(run(['cattp', 'build', 'nul', '--checksum', '0000', '--pcap', pcap]).code, 0);
    const [f] = tsharkFile(pcap, { port: 2000 });
    assert.equal(field(f, 'cattp.checksum.status'), '0', 'Wireshark should flag the wrong checksum');
  });

  it('bad options: one line on stderr, exit 2', () => {
    const bad: [string[], RegExp][] = [
      [['foo'], /not a PDU type/],
      [['eack'], /--eack/],
      [['syn', '--reason', '1'], /--reason.*only for rst/],
      [['rst', '--iccid', '8949'], /only for syn/],
      [['syn', '--iccid', '89AB'], /ICCID/],
      [['ack', '--seq', '70000'], /--seq/],
      [['eack', '--eack', '1,x'], /--eack entry 2/],
      [['nul', '--version', '4'], /--version/],
      [['data'], /needs data/],
    ];
    for (const [args, re] of bad) {
      const r = run(['cattp', 'build', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, re);
    }
  });
});

// ---------------------------------------------------------------- build cattp / build por --format pdu

describe('build cattp: the TS 102 225 CAT_TP dialect in data PDUs', () => {
  it('--format packet gives the cat-tp.md §7.3 packet; its data PDU with the §6 header fields is the §6 PDU', () => {
    const p = run(['build', 'cattp', ...SEC73, '--format', 'packet']);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, PACKET73 + '\n');
    // §6 last row: ports 1 → 1024, seq 0x5679, ack 0x1235, window 4.
    const d = run(['build', 'cattp', ...SEC73, '--src-port', '1', '--dst-port', '1024', '--seq', '0x5679', '--ack', '0x1235', '--window', '4']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, S6.cmd + '\n');
  });

  it('splits the SDU within --max-pdu with SEG; Wireshark reassembles the §7.3 packet from the pcap', () => {
    const pcap = tmp('pcap');
    const r = run(['build', 'cattp', ...SEC73, '--max-pdu', '30', '--seq', '65534', '--pcap', pcap]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4, '42 octets in 12-octet pieces');
    const frames = cattpFrames(pcap, 2000, 4);
    assert.deepEqual(frames.map((f) => num(f, 'cattp.seq')), [65534, 65535, 0, 1]);
    assert.deepEqual(frames.map((f) => field(f, 'cattp.flags.seg')), ['1', '1', '1', '0']);
    assert.ok(frames.every((f) => num(f, 'cattp.hlen') + num(f, 'cattp.datalen') <= 30));
    assert.deepEqual(frames.map((f) => [num(f, 'cattp.srcport'), num(f, 'cattp.dstport')]), Array(4).fill([1, 1024]));
    assert.equal(frames.map((f) => f.data).join('').toUpperCase(), PACKET73);
    // ... and `parse` reassembles those lines (in any order) and verifies the packet with the keys.
    const j = JSON.parse(run(['parse', lines[2], lines[0], lines[3], lines[1], ...K1, '--json']).stdout);
    assert.deepEqual([j.hex, j.checksum.value, j.checksum.verified, j.verified], [PACKET73, CC73, true, true]);
    assert.deepEqual(j.layers, ['CAT_TP', 'command packet']);
  });

  it('--show / --json: PDU trees and the command packet', () => {
    const s = run(['build', 'cattp', ...SEC73, '--show', '--no-bits']);
    assert.equal(s.code, 0);
    assert.match(s.stdout, /CAT_TP: DATA/);
    assert.match(s.stdout, new RegExp(`CC: ${CC73}`));
    const j = JSON.parse(run(['build', 'cattp', ...SEC73, '--json', '--max-pdu', '40']).stdout);
    assert.equal(j.hex, PACKET73);
    assert.deepEqual(j.pdus.map((p: { seq: number; flags: string[] }) => [p.seq, p.flags]), [[1, ['ack', 'seg']], [2, ['ack']]]);
    assert.equal(j.output.length, 2);
  });

  it('same security options as build sms (keyset, --apdu); a max PDU without room for data is bad input', () => {
    const ks = join(ROOT, 'vectors', 'keysets', 'test.json');
    const r = run(['build', 'cattp', '--keyset', ks, '--tar', 'B00010', '--spi', '0609', '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016', '--format', 'packet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, PACKET73 + '\n');
    const bad = run(['build', 'cattp', ...SEC73, '--max-pdu', '18']);
    assert.equal(bad.code, 2);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
  });

  it('build por --cattp --format pdu: the PoR in data PDUs (card → server), its CC checked with openssl', () => {
    const packet = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--sw', '9000']);
    assert.equal(packet.code, 0, packet.stderr);
    checkPorCc(packet.stdout.trim());
    const pcap = tmp('pcap');
    const r = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--sw', '9000', '--format', 'pdu', '--seq', '0x1236', '--ack', '0x5679', '--max-pdu', '30', '--pcap', pcap]);
    assert.equal(r.code, 0, r.stderr);
    const frames = cattpFrames(pcap, 2000);
    assert.equal(frames.length, r.stdout.trim().split('\n').length);
    assert.deepEqual([num(frames[0], 'cattp.srcport'), num(frames[0], 'cattp.dstport'), num(frames[0], 'cattp.seq'), num(frames[0], 'cattp.ack')], [1024, 1, 0x1236, 0x5679]);
    assert.equal(frames.map((f) => f.data).join('').toUpperCase(), packet.stdout.trim());
    // SMS-PP formats are refused with a CAT_TP packet and vice versa.
    assert.equal(run(['build', 'por', '--request', '00281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D', ...K1, '--format', 'pdu']).code, 2);
  });
});

// ---------------------------------------------------------------- parse

describe('parse: CAT_TP PDUs', () => {
  it('the §6 data PDU: the command packet inside verifies with the keys (CC of §7.3)', () => {
    const r = run(['parse', S6.cmd, ...K1, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.layers, ['CAT_TP', 'command packet']);
    assert.deepEqual([j.dialect, j.hex, j.checksum.value, j.checksum.verified, j.verified], ['cat_tp', PACKET73, CC73, true, true]);
    assert.deepEqual(j.apdus, ['A0A40000027F20', 'A0C0000016']); // §7.3 data
    const pdu = j.framing[0].pdus[0];
    assert.deepEqual([pdu.type, pdu.seq, pdu.ack, pdu.checksum.value, pdu.checksum.verified], ['data', 0x5679, 0x1235, 'CFE7', true]);
    const t = run(['parse', S6.cmd, ...K1, '--no-bits']);
    assert.match(t.stdout, /CAT_TP: DATA/);
    assert.match(t.stdout, /Checksum: 0xCFE7.*correct/);
    assert.match(t.stdout, /Verification: passed/);
  });

  it('PDUs without data (§6 SYN, SYN-ACK, NUL, EACK, RST) print the PDU and exit 0', () => {
    const syn = run(['parse', S6.syn, '--no-bits']);
    assert.equal(syn.code, 0, syn.stderr);
    assert.match(syn.stdout, /CAT_TP: SYN/);
    assert.match(syn.stdout, /ICCID 8988211000000467285F/);
    assert.match(syn.stdout, /Verification: passed/);
    const all = run(['parse', S6.syn, S6.synAck, S6.nul, S6.eack, S6.rst, '--json']);
    assert.equal(all.code, 0, all.stderr);
    const j = JSON.parse(all.stdout);
    assert.deepEqual(j.layers, ['CAT_TP']);
    assert.deepEqual(j.framing[0].pdus.map((p: { type: string }) => p.type), ['syn', 'synack', 'nul', 'eack', 'rst']);
    assert.deepEqual(j.framing[0].pdus[3].eack, [0x5679, 0x5680]);
    assert.deepEqual(j.framing[0].pdus[4].reason, { code: '00', name: 'normal ending' });
    assert.equal(j.verified, true);
  });

  it('a whole exchange pasted (handshake, command, PoR): both packets verified, the PoR against the command', () => {
    const por = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--sw', '9000', '--format', 'pdu', '--seq', '0x1236', '--ack', '0x5679']).stdout.trim();
    const r = run(['parse', S6.syn, S6.synAck, S6.cmd, por, ...K1, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.layers, ['CAT_TP', 'command packet', 'response packet']);
    assert.deepEqual(j.packets.map((p: { checksum: { verified: boolean } }) => p.checksum.verified), [true, true]);
    assert.equal(j.verified, true);
    // --pcap: the PDUs as UDP, both directions, decoded by Wireshark.
    const pcap = tmp('pcap');
    assert.equal(run(['parse', S6.syn, S6.synAck, S6.cmd, por, ...K1, '--pcap', pcap]).code, 0);
    const frames = cattpFrames(pcap, 2000, 4);
    assert.deepEqual(frames.map((f) => [f.udp.srcport, flagsOf(f)]), [[1000, 0x80], [2000, 0xc0], [2000, 0x40], [1000, 0x40]]);
  });

  it('a corrupted checksum is a verification failure: exit 1 naming the check (§6 "bad" row)', () => {
    const r = run(['parse', S6.ack23Bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /verification failed: CAT_TP checksum of DATA seq 4661: 0x8124, should be 0x8125/);
    assert.match(r.stdout, /Checksum: 0x8124.*bad, should be 0x8125/);
    // One corrupted octet in the packet inside the §6 command PDU: the CAT_TP checksum catches it.
    const flipped = S6.cmd.slice(0, 60) + (S6.cmd[60] === '0' ? '1' : '0') + S6.cmd.slice(61);
    const f = run(['parse', flipped, ...K1]);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /CAT_TP checksum/);
  });

  it('--json has the keys every parse has (type, dialect, hex, failures, notes): PDUs alone, a bad checksum, one packet, several', () => {
    const has = (j: Record<string, unknown>) => {
      for (const k of ['layers', 'type', 'dialect', 'hex', 'framing', 'verified', 'failures', 'notes']) assert.ok(k in j, `key ${k} missing: ${JSON.stringify(j)}`);
      assert.ok(Array.isArray(j.failures) && Array.isArray(j.notes));
      assert.ok(!/"note":/.test(JSON.stringify(j)), 'singular "note" key');
    };
    // PDUs without data (§6 SYN and RST): no secured packet.
    const a = run(['parse', S6.syn, S6.rst, '--json']);
    assert.equal(a.code, 0, a.stderr);
    const ja = JSON.parse(a.stdout);
    has(ja);
    assert.deepEqual([ja.type, ja.dialect, ja.hex, ja.verified, ja.failures, ja.notes], ['cattp-pdus', 'cat_tp', null, true, [], []]);
    // The §6 "bad" row (tshark: "Bad checksum [should be 0x8125]"); its 23 data octets are no TS 102 225
    // packet (CPI 01, but BER length 1B = 27 octets with 21 present).
    const b = run(['parse', S6.ack23Bad, '--json']);
    assert.equal(b.code, 1);
    const jb = JSON.parse(b.stdout);
    has(jb);
    assert.deepEqual([jb.type, jb.dialect, jb.hex, jb.verified], ['cattp-pdus', 'cat_tp', null, false]);
    assert.deepEqual(jb.failures, ['CAT_TP checksum of DATA seq 4661: 0x8124, should be 0x8125']);
    assert.equal(jb.notes.length, 1);
    assert.match(jb.notes[0], /not a TS 102 225 packet/);
    // The §6 command PDU with one octet of its packet changed: the CAT_TP checksum (CFE7 in §6) no longer matches.
    const flipped = S6.cmd.slice(0, 60) + (S6.cmd[60] === '0' ? '1' : '0') + S6.cmd.slice(61);
    const c = run(['parse', flipped, ...K1, '--json']);
    assert.equal(c.code, 1);
    const jc = JSON.parse(c.stdout);
    has(jc);
    assert.deepEqual([jc.type, jc.dialect, jc.hex, jc.verified], ['command', 'cat_tp', flipped.slice(36), false]);
    assert.ok(jc.failures.some((f: string) => /^CAT_TP checksum of DATA seq 22137: 0xCFE7, should be 0x[0-9A-F]{4}$/.test(f)), jc.failures.join('; '));
    // The untouched PDU: one command packet, nothing failed, nothing left unchecked.
    const jd = JSON.parse(run(['parse', S6.cmd, ...K1, '--json']).stdout);
    has(jd);
    assert.deepEqual([jd.type, jd.hex, jd.verified, jd.failures, jd.notes], ['command', PACKET73, true, [], []]);
    // Several packets (an exchange pasted): type cattp-packets, each packet with its own keys.
    const porPdu = (extra: string[]) => run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--sw', '9000', '--format', 'pdu', '--seq', '0x1236', '--ack', '0x5679', ...extra]).stdout.trim();
    const je = JSON.parse(run(['parse', S6.syn, S6.synAck, S6.cmd, porPdu([]), ...K1, '--json']).stdout);
    has(je);
    assert.deepEqual([je.type, je.dialect, je.hex, je.verified, je.failures], ['cattp-packets', 'cat_tp', null, true, []]);
    assert.deepEqual(je.packets.map((p: { type: string; dialect: string }) => [p.type, p.dialect]), [['command', 'cat_tp'], ['response', 'cat_tp']]);
    assert.equal(je.packets[0].hex, PACKET73);
    for (const p of je.packets) assert.ok(Array.isArray(p.failures) && Array.isArray(p.notes));
    // A PoR naming another TAR than the command: the failure is listed, in the packet and at the top.
    const f = run(['parse', S6.cmd, porPdu(['--tar', 'B00011']), ...K1, '--json']);
    assert.equal(f.code, 1);
    const jf = JSON.parse(f.stdout);
    has(jf);
    assert.equal(jf.verified, false);
    assert.deepEqual(jf.packets[1].failures, ["TAR of the PoR differs from the command's TAR"]);
    assert.deepEqual(jf.failures, ["TAR of the PoR differs from the command's TAR"]);
  });

  it('bad input: one line on stderr naming the field, exit 2', () => {
    const bad: [string[], RegExp][] = [
      // NUL with header length 19: disagrees with the flags (no variable header).
      [['48000013 0400 0001 0000 1236 5678 0004 4B39 00'], /CAT_TP header length at byte 3: .*NUL PDU has no variable header/],
      // RST with header length 18: the reason code is missing.
      [['10000012 0400 0001 0000 1237 0000 0000 D9B4'], /CAT_TP header length at byte 3: .*RST header is 19/],
      // SYN whose header length disagrees with its identification length.
      [['8000001F 0400 0001 0000 1234 0000 0004 5E37 0400 0800 0A 98881201 00004076'], /header length at byte 3: says 31 octets, but identification length 10/],
      // Data length past the datagram.
      [['4000001200010400002A567912350004CFE7 0128150609'], /CAT_TP data length at byte 8: says 42 octets, 5 present/],
      // Odd EACK list.
      [['60000015 0400 0001 0000 1236 5678 0004 863C 5679 56'], /CAT_TP EACK list at byte 18: odd length 3/],
      // Unknown flag combination (EAK + RST).
      [['30000012 0400 0001 0000 1236 5678 0004 863C'], /CAT_TP flags at byte 0: unknown flag combination/],
      // Version bits 01 (TS 102 127 up to V15: 0).
      [['41000012 0400 0001 0000 1236 5678 0004 863C'], /CAT_TP version at byte 0: version 1 not supported/],
      // The second of two segments only: its predecessor is missing (gap reported by number).
      [['44000012 0001 0400 0016 0001 0000 0004 DDA4 01281506091515B00010064105D61C8EB15B1810B318', '40000012 0001 0400 0014 0003 0000 0004 12D6 0734F2FA13BC3D285881CF8594299C9C9D126808'], /sequence number 2 missing/],
      // A segmented SDU whose last segment (SEG = 0) is absent.
      [['44000012 0001 0400 0016 0001 0000 0004 DDA4 01281506091515B00010064105D61C8EB15B1810B318'], /last segment is missing/],
      // Second input not a PDU.
      [[S6.syn, '0102'], /input 2/],
    ];
    for (const [args, re] of bad) {
      const r = run(['parse', ...args, ...K1]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, re);
    }
  });
});

// ---------------------------------------------------------------- sessions



async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(r));
  return port;
}

describe('cattp serve + cattp send: real sessions between two processes', () => {
  const card = join(DIR, 'CARD.json');
  before(() => writeFileSync(card, JSON.stringify(exampleCard(), null, 2)));

  it('the server pushes the §7.3 command, the card simulator answers, the server verifies the PoR; both pcaps read cleanly in tshark', async () => {
    const spcap = tmp('pcap');
    const cpcap = tmp('pcap');
    const t0 = Date.now();
    // The card accepts PDUs of at most 40 octets, the server 30: both directions are segmented.
    // --timeout 1500: long enough that a loaded machine rarely retransmits (retransmitted copies are skipped below).
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--max-pdu', '30', '--isn', '65533', '--timeout', '1500', '--json', '--brief', '--pcap', spcap]);
    const port = await srv.port;
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--max-pdu', '40', '--isn', '100', '--timeout', '1500', '--json', '--quiet', '--pcap', cpcap]);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.ok(Date.now() - t0 < 15000, 'bounded');
    assert.equal(c.code, 0, `send: ${c.stderr}`);
    assert.equal(s.code, 0, `serve: ${s.stderr}`);

    // Server: one JSON line for the session; what it sent is the §7.3 packet, what came back a verified PoR.
    const lines = s.stdout.trim().split('\n');
    assert.equal(lines.length, 1, s.stdout);
    const sess = JSON.parse(lines[0]);
    assert.equal(sess.iccid, '8949000000000000001F'); // exampleCard().iccid 8949000000000000001, as the SYN carries it
    assert.deepEqual(sess.sent, [PACKET73]);
    assert.equal(sess.received.length, 1);
    const got = sess.received[0];
    assert.deepEqual([got.type, got.dialect, got.checksum.verified, got.status.code, sess.verified], ['response', 'cat_tp', true, '00', true]);
    // Independently: the PoR's CC recomputed with openssl, its data the compact response of the card's SW table.
    const por = checkPorCc(got.sdu);
    assert.equal(por.status, 0);
    assert.equal(por.data, '02' + '9000' + '0000FFFF7F2002000000000009B106350400838A838A');
    // The brief log went to stderr, one line per PDU.
    assert.match(s.stderr, /← 127\.0\.0\.1:\d+ SYN 1024 → 1 seq=100/);

    // Card side: the command arrived intact and the simulator answered status 00.
    const cj = JSON.parse(c.stdout);
    assert.equal(cj.exchanges.length, 1);
    assert.equal(cj.exchanges[0].received.sdu, PACKET73);
    assert.equal(cj.exchanges[0].card.status.code, '00');
    assert.equal(cj.exchanges[0].sent, got.sdu);
    // ... and is shown as the card read it: deciphered with the card's key set KVN 1 (the §12.1 keys of
    // exampleCard()), its CC the one of cat-tp.md §7.3, its data the §7.3 APDUs; no claim that keys are missing.
    const rx = cj.exchanges[0].received;
    assert.deepEqual([rx.type, rx.deciphered, rx.checksum.value, rx.checksum.verified, rx.counter], ['command', true, CC73, true, 0]);
    assert.deepEqual(rx.apdus, ['A0A40000027F20', 'A0C0000016']);
    assert.deepEqual(rx.keys, { from: 'card', kic: 1, kid: 1, missing: [] });
    assert.ok(!c.stdout.includes('no KIc key'), c.stdout);
    assert.deepEqual([cj.ok, cj.failures], [true, []]);
    assert.deepEqual([sess.ok, sess.failures], [true, []]);

    // Wireshark's view of the server's capture.
    const frames = cattpFrames(spcap, port);
    const toSrv = frames.filter((f) => f.udp.dstport === port);
    const toCard = frames.filter((f) => f.udp.srcport === port);
    assert.deepEqual([flagsOf(toSrv[0]), num(toSrv[0], 'cattp.seq'), num(toSrv[0], 'cattp.maxpdu')], [0x80, 100, 40]);
    assert.equal(field(toSrv[0], 'cattp.iccid'), '8949000000000000001F');
    assert.deepEqual([flagsOf(toCard[0]), num(toCard[0], 'cattp.seq'), num(toCard[0], 'cattp.ack'), num(toCard[0], 'cattp.maxpdu')], [0xc0, 65533, 100, 30]);
    // A data PDU sent again after a retransmission timeout repeats its sequence number and data: first copies only.
    const firstCopies = (list: typeof frames) => list.filter((f, i) => list.findIndex((g) => num(g, 'cattp.seq') === num(f, 'cattp.seq') && g.data === f.data) === i);
    const cmdData = firstCopies(toCard.filter((f) => num(f, 'cattp.datalen') > 0));
    assert.deepEqual(cmdData.map((f) => num(f, 'cattp.seq')), [65534, 65535]); // 42 octets in PDUs of ≤ 40: 22 + 20, wrapping
    assert.deepEqual(cmdData.map((f) => field(f, 'cattp.flags.seg')), ['1', '0']);
    assert.equal(cmdData.map((f) => f.data).join('').toUpperCase(), PACKET73);
    const porData = firstCopies(toSrv.filter((f) => num(f, 'cattp.datalen') > 0));
    assert.ok(porData.length >= 4 && porData.every((f) => num(f, 'cattp.hlen') + num(f, 'cattp.datalen') <= 30));
    assert.deepEqual(porData.map((f) => num(f, 'cattp.seq')), porData.map((_, i) => 101 + i));
    assert.deepEqual(porData.map((f) => field(f, 'cattp.flags.seg')), porData.map((_, i) => (i < porData.length - 1 ? '1' : '0')));
    assert.equal(porData.map((f) => f.data).join('').toUpperCase(), got.sdu);
    // Every data PDU is acknowledged by the peer with its number.
    const acksFromCard = toSrv.filter((f) => num(f, 'cattp.datalen') === 0).map((f) => num(f, 'cattp.ack'));
    for (const f of cmdData) assert.ok(acksFromCard.includes(num(f, 'cattp.seq')));
    const acksFromSrv = toCard.filter((f) => num(f, 'cattp.datalen') === 0).map((f) => num(f, 'cattp.ack'));
    for (const f of porData) assert.ok(acksFromSrv.includes(num(f, 'cattp.seq')));
    // The server closes with RST, normal ending.
    const last = frames[frames.length - 1];
    assert.deepEqual([flagsOf(last), field(last, 'cattp.rc'), last.udp.srcport], [0x10, '0', port]);
    // The card's own capture holds the same exchange.
    assert.equal(cattpFrames(cpcap, port).length, frames.length);
  });

  it('card sends first (send --sdu): the server prints the verified command and answers --respond; send verifies the PoR', async () => {
    const por = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--sw', '9000']).stdout.trim();
    checkPorCc(por);
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...K1, '--respond', por, '--timeout', '300', '--quiet', '--no-bits']);
    const port = await srv.port;
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--sdu', PACKET73, ...K1, '--timeout', '300', '--json', '--quiet']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.code, 0, c.stderr);
    assert.match(s.stdout, new RegExp(`CC: ${CC73} .*verified`));
    assert.match(s.stdout, /Verification: passed/);
    const j = JSON.parse(c.stdout);
    assert.deepEqual([j.response.sdu, j.response.type, j.response.checksum.verified, j.verified], [por, 'response', true, true]);
  });

  it('a PoR that does not verify makes serve exit 1, naming the check', async () => {
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--timeout', '300', '--quiet']);
    const port = await srv.port;
    // A well-formed CAT_TP PoR whose CC is wrong (last CC octet changed).
    const good = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--sw', '9000']).stdout.trim();
    const bad = good.slice(0, 40) + (good[40] === '0' ? '1' : '0') + good.slice(41);
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--respond', bad, '--timeout', '300', '--quiet']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 1, s.stdout + s.stderr);
    assert.match(s.stderr, /session 1: verification failed: .*CC/);
    assert.match(s.stdout, /Verification: FAILED/);
  });

  it('a server survives malformed datagrams, and a card that stops answering ends the session with exit 4 in bounded time', async () => {
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--isn', '500', '--timeout', '150', '--retries', '1', '--brief']);
    const port = await srv.port;
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const replies: Buffer[] = [];
    sock.on('message', (m) => replies.push(m));
    const sendHex = (x: string) => new Promise<void>((r) => sock.send(Buffer.from(h(x)), port, '127.0.0.1', () => r()));
    const t0 = Date.now();
    try {
      await sendHex('68656c6c6f'); // "hello"
      await sendHex(S6.ack23Bad); // bad checksum
      await sendHex('60000015 0400 0001 0000 1236 5678 0004 863C 5679 56'); // odd EACK list
      // A card opening the connection (PDUs built with the CLI), then silent after its ACK.
      const syn = run(['cattp', 'build', 'syn', '--seq', '7', '--iccid', '8988211000000467285']).stdout.trim();
      const ack = run(['cattp', 'build', 'ack', '--seq', '8', '--ack', '500']).stdout.trim();
      await sendHex(syn);
      await new Promise((r) => setTimeout(r, 30));
      await sendHex(ack);
      const s = await srv.done;
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
      assert.equal(s.code, 4, s.stderr);
      assert.match(s.stderr, /malformed datagram/);
      assert.match(s.stderr, /bad checksum: dropped/);
      assert.match(s.stderr, /EACK list/);
      assert.match(s.stderr, /session 1 \(127\.0\.0\.1:\d+\): CAT_TP OPEN: no acknowledgement of DATA seq 501 after 1 retransmission/);
      // What the server sent: SYN/ACK, the data PDU twice (once retransmitted), RST "maximum retries exceeded" (05).
      const decoded = replies.map((m) => JSON.parse(run(['parse', m.toString('hex'), '--json']).stdout).framing[0].pdus[0]);
      const types = decoded.map((p: { type: string }) => p.type);
      assert.equal(types[0], 'synack');
      assert.deepEqual(types.slice(-3), ['data', 'data', 'rst'], types.join(' '));
      assert.ok(types.slice(0, -3).every((t: string) => t === 'synack'), types.join(' '));
      assert.equal(decoded[decoded.length - 1].reason.code, '05');
      assert.equal(decoded[decoded.length - 2].seq, 501);
    } finally {
      sock.close();
    }
  });

  it('send to a port nobody serves: NetworkError, exit 4, one line on stderr, quickly', async () => {
    const port = await freeUdpPort();
    const t0 = Date.now();
    const r = run(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--sdu', PACKET73, '--timeout', '100', '--retries', '1', '--quiet']);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(r.code, 4, r.stderr);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /CAT_TP SYN-SENT|unreachable|no SYN\/ACK/);
  });

  it('session options are checked before any packet goes out (exit 2)', () => {
    for (const args of [
      ['cattp', 'send', '--to', '127.0.0.1'],
      ['cattp', 'send', '--to', '127.0.0.1:9', '--sdu', '01', '--respond', '02'],
      ['cattp', 'send', '--to', '127.0.0.1:9'],
      ['cattp', 'serve', '--port', '0', '--packet', '0001'],
      ['cattp', 'serve', '--port', '70000'],
      ['cattp', 'serve', '--port', '0', ...SEC73, '--respond', '02'],
      // Options that shape a command to build, with nothing to build (no --apdu/--data) or a ready --packet.
      ['cattp', 'serve', '--port', '0', '--tar', 'B00010', ...K1],
      ['cattp', 'serve', '--port', '0', '--counter', 'next', ...K1],
      ['cattp', 'serve', '--port', '0', '--packet', PACKET73, '--spi', '0609'],
    ]) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(isOneLineError(r.stderr), r.stderr);
    }
  });

  it('a PoR with status 02 (CNTR low): serve fails the session and exits 1, so does send --sdu', async () => {
    // build por: the §7.3 command's PoR with status 02; independently, its status octet is 02 and its CC
    // recomputes with openssl. "02 CNTR low": secured-packet.md §11.1 (TS 102 225 Table 5).
    const por02 = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--status', '02']).stdout.trim();
    assert.equal(checkPorCc(por02).status, 2);

    // Server pushes the command; the card answers with that PoR.
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--timeout', '300', '--json', '--quiet']);
    const port = await srv.port;
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--respond', por02, '--timeout', '300', '--quiet']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 1, s.stdout + s.stderr);
    const sess = JSON.parse(s.stdout.trim());
    assert.equal(sess.received[0].sdu, por02);
    // The PoR itself verifies; the operation it reports failed.
    assert.deepEqual([sess.received[0].status.code, sess.received[0].checksum.verified, sess.verified, sess.ok], ['02', true, true, false]);
    assert.deepEqual(sess.failures, ['PoR status 02 (CNTR low)']);
    assert.match(s.stderr, /session 1: OTA command failed: PoR status 02 \(CNTR low\)/);
    assert.match(s.stderr, /uicc-ota: 1 session, 1 failed\n/);

    // Card sends the command first, the server answers with the same PoR: send verifies it and fails.
    const srv2 = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...K1, '--respond', por02, '--timeout', '300', '--quiet']);
    const port2 = await srv2.port;
    const tree = start(['cattp', 'send', '--to', `127.0.0.1:${port2}`, '--sdu', PACKET73, ...K1, '--timeout', '300', '--quiet', '--no-bits']);
    const [s2, t] = await Promise.all([srv2.done, tree.done]);
    assert.equal(s2.code, 0, s2.stderr);
    assert.equal(t.code, 1, t.stdout + t.stderr);
    assert.match(t.stdout, /Status: 0x02 CNTR low/);
    assert.match(t.stdout, /Verification: passed/);
    assert.match(t.stdout, /Result: FAILED: PoR status 02 \(CNTR low\)/);
    assert.match(t.stderr, /OTA command failed: PoR status 02 \(CNTR low\)/);
    // ... and the same as JSON.
    const srv3 = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...K1, '--respond', por02, '--timeout', '300', '--quiet']);
    const port3 = await srv3.port;
    const js = start(['cattp', 'send', '--to', `127.0.0.1:${port3}`, '--sdu', PACKET73, ...K1, '--timeout', '300', '--quiet', '--json']);
    const [, j] = await Promise.all([srv3.done, js.done]);
    assert.equal(j.code, 1, j.stderr);
    const jj = JSON.parse(j.stdout);
    assert.deepEqual([jj.response.status.code, jj.verified, jj.ok, jj.failures], ['02', true, false, ['PoR status 02 (CNTR low)']]);
  });

  it('--expect-status 02 makes that PoR status the expected outcome of serve and of send --sdu (negative tests); another status fails', async () => {
    // The PoR with status 02 as above (its status octet checked independently by checkPorCc, openssl CBC-MAC).
    const por02 = run(['build', 'por', '--cattp', '--request', PACKET73, ...K1, '--status', '02']).stdout.trim();
    assert.equal(checkPorCc(por02).status, 2);
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--timeout', '1000', '--json', '--quiet', '--expect-status', '02']);
    const port = await srv.port;
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--respond', por02, '--timeout', '1000', '--quiet']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.deepEqual([JSON.parse(s.stdout.trim()).ok, JSON.parse(s.stdout.trim()).failures], [true, []]);

    // send --sdu: 02 expected passes; 03 expected fails, naming both.
    for (const [want, code] of [['02', 0], ['01,03', 1]] as const) {
      const srv2 = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...K1, '--respond', por02, '--timeout', '1000', '--quiet']);
      const port2 = await srv2.port;
      const t = start(['cattp', 'send', '--to', `127.0.0.1:${port2}`, '--sdu', PACKET73, ...K1, '--timeout', '1000', '--quiet', '--json', '--expect-status', want]);
      const [s2, tt] = await Promise.all([srv2.done, t.done]);
      assert.equal(s2.code, 0, s2.stderr);
      assert.equal(tt.code, code, tt.stdout + tt.stderr);
      const j = JSON.parse(tt.stdout);
      assert.equal(j.response.status.code, '02');
      if (code) assert.match(j.failures.join(' '), /02/);
      else assert.deepEqual(j.failures, []);
    }
    // Nothing sent, nothing to expect: bad input, before any socket.
    const bad = run(['cattp', 'send', '--to', '127.0.0.1:9', '--respond', '00', '--expect-status', '02']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
    assert.match(bad.stderr, /--expect-status/);
    const bad2 = run(['cattp', 'send', '--to', '127.0.0.1:9', '--sdu', '00', '--expect-status', '2']);
    assert.equal(bad2.code, 2, bad2.stderr);
    assert.match(bad2.stderr, /not 2 hex digits/);
  });

  it("send --card shows the pushed command deciphered with the card's own keys, or names the key the card lacks", async () => {
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--timeout', '300', '--quiet']);
    const port = await srv.port;
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--dry-run', '--timeout', '300', '--quiet', '--no-bits']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    assert.equal(c.code, 0, c.stdout + c.stderr);
    // exampleCard() key set KVN 1 holds the secured-packet.md §12.1 keys: the CC is the one of cat-tp.md §7.3.
    assert.match(c.stdout, /Keys: from the card file: KIc: key set KVN 1 \(3des-2key-cbc\), KID: key set KVN 1 \(3des-2key-cbc-mac\)/);
    assert.match(c.stdout, /Command packet \(TS 102 225, CAT_TP dialect\): deciphered/);
    assert.match(c.stdout, new RegExp(`CC: ${CC73} .*verified`));
    assert.match(c.stdout, /C-APDU 1: SELECT .*\[A0A40000027F20\]/);
    assert.doesNotMatch(c.stdout, /no KIc key/);
    assert.match(s.stdout, /Result: PoR status 00 \(PoR OK\)/);

    // A card without key set 1: the command stays ciphered, and the view says which key the card lacks;
    // the card answers 06 (secured-packet.md §11.1: "unidentified security error"), which fails the server's session.
    const ex = exampleCard() as { keysets: { kvn: number }[] };
    const card2 = join(DIR, 'CARD-kvn2.json');
    writeFileSync(card2, JSON.stringify({ ...ex, keysets: ex.keysets.filter((k) => k.kvn !== 1) }, null, 2));
    const srv2 = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--timeout', '300', '--quiet', '--json']);
    const port2 = await srv2.port;
    const cli2 = start(['cattp', 'send', '--to', `127.0.0.1:${port2}`, '--card', card2, '--dry-run', '--timeout', '300', '--quiet', '--json']);
    const [s2, c2] = await Promise.all([srv2.done, cli2.done]);
    assert.equal(c2.code, 0, c2.stderr);
    const x = JSON.parse(c2.stdout).exchanges[0];
    assert.deepEqual([x.received.deciphered, x.card.status.code], [false, '06']);
    assert.deepEqual(x.received.keys, { from: 'card', kic: null, kid: null, missing: ['the card has no KIc key with KVN 1', 'the card has no KID key with KVN 1'] });
    assert.ok(x.received.notes.some((n: string) => /\(the card has no KIc key with KVN 1\)/.test(n)), x.received.notes.join('; '));
    assert.doesNotMatch(c2.stdout, /no KIc key given/);
    assert.equal(s2.code, 1, s2.stderr);
    assert.deepEqual(JSON.parse(s2.stdout).failures, ['PoR status 06 (unidentified security error)']);
  });

  /** A hand-driven card on a raw UDP socket (PDUs built with `cattp build`), to misbehave on purpose. */
  async function rawCard(port: number) {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const got: Buffer[] = [];
    const waiters: (() => void)[] = [];
    sock.on('message', (m) => {
      got.push(m);
      waiters.splice(0).forEach((w) => w());
    });
    return {
      got,
      send: (x: string) => new Promise<void>((r) => sock.send(Buffer.from(h(x)), port, '127.0.0.1', () => r())),
      /** The first PDU received so far (or within `ms`) that `pred` accepts. */
      async wait(pred: (m: Buffer) => boolean, ms = 3000): Promise<Buffer> {
        const t0 = Date.now();
        for (;;) {
          const m = got.find(pred);
          if (m) return m;
          if (Date.now() - t0 > ms) assert.fail(`no such PDU within ${ms} ms (got ${got.map((g) => g.toString('hex')).join(' ')})`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 50);
          });
        }
      },
      close: () => sock.close(),
    };
  }
  const SYN7 = () => run(['cattp', 'build', 'syn', '--seq', '7', '--iccid', '8988211000000467285']).stdout.trim();

  it('a stray SYN that never completes the handshake is no session: --max-sessions 1 still serves the card (stray gone first)', async () => {
    const syn = SYN7();
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--timeout', '100', '--retries', '1', '--json', '--quiet']);
    const port = await srv.port;
    const stray = await rawCard(port);
    try {
      await stray.send(syn);
      // The server gives up on it: SYN/ACK, one retransmission, RST 05 (flags 10, reason octet 05 at byte 18).
      const rst = await stray.wait((m) => m[0] === 0x10);
      assert.equal(rst[18], 5);
    } finally {
      stray.close();
    }
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--dry-run', '--timeout', '300', '--json', '--quiet']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const lines = s.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1, s.stdout);
    assert.deepEqual([lines[0].session, lines[0].iccid, lines[0].ok], [1, '8949000000000000001F', true]);
    assert.match(s.stderr, /connection from 127\.0\.0\.1:\d+ \(CAT_TP 1024 → 1\) closed before the handshake completed: .*no ACK of our SYN\/ACK.*; not a session/);
    assert.match(s.stderr, /uicc-ota: 1 session, 0 failed; 1 connection never completed the handshake\n/);
  });

  it('a stray SYN still pending when the real session ends is not counted as a session either', async () => {
    const syn = SYN7();
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--timeout', '1000', '--retries', '3', '--json', '--quiet']);
    const port = await srv.port;
    const stray = await rawCard(port);
    try {
      await stray.send(syn);
      await stray.wait((m) => m[0] === 0xc0); // its SYN/ACK: the connection waits in SYN-RCVD
      const t0 = Date.now();
      const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--dry-run', '--timeout', '300', '--json', '--quiet']);
      const [s, c] = await Promise.all([srv.done, cli.done]);
      assert.ok(Date.now() - t0 < 3000, 'the server stops after the real session, not after the stray one times out');
      assert.equal(c.code, 0, c.stderr);
      assert.equal(s.code, 0, s.stdout + s.stderr);
      assert.equal(s.stdout.trim().split('\n').length, 1, s.stdout);
      assert.deepEqual(JSON.parse(s.stdout).session, 1);
      assert.match(s.stderr, /uicc-ota: 1 session, 0 failed; 1 connection never completed the handshake\n/);
    } finally {
      stray.close();
    }
  });

  it('a card that takes the command and closes without a PoR fails the session (exit 4)', async () => {
    // SYN seq 7; ACK 8 of the server's ISN 500; then the ACK of its data PDU 501 and RST 00 (normal ending).
    const syn = SYN7();
    const ack500 = run(['cattp', 'build', 'ack', '--seq', '8', '--ack', '500']).stdout.trim();
    const ack501 = run(['cattp', 'build', 'ack', '--seq', '8', '--ack', '501']).stdout.trim();
    const rst = run(['cattp', 'build', 'rst', '--seq', '8', '--reason', '0']).stdout.trim();
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--isn', '500', '--timeout', '300', '--json', '--quiet']);
    const port = await srv.port;
    const cardSock = await rawCard(port);
    try {
      await cardSock.send(syn);
      await cardSock.wait((m) => m[0] === 0xc0);
      await cardSock.send(ack500);
      // The pushed command: a data PDU (ACK flag, data length > 0) with seq 501 carrying the §7.3 packet.
      const data = await cardSock.wait((m) => (m[0] & 0x40) !== 0 && m.readUInt16BE(8) > 0);
      assert.equal(data.readUInt16BE(10), 501);
      assert.equal(data.subarray(data[3]).toString('hex').toUpperCase(), PACKET73);
      await cardSock.send(ack501);
      await cardSock.send(rst);
      const s = await srv.done;
      assert.equal(s.code, 4, s.stdout + s.stderr);
      assert.match(s.stderr, /session 1 \(127\.0\.0\.1:\d+\): CAT_TP OPEN: peer closed the connection \(RST 0, normal ending\) before the answer to our SDU arrived/);
      assert.match(s.stderr, /uicc-ota: 1 session, 1 failed\n/);
      const sess = JSON.parse(s.stdout);
      assert.deepEqual([sess.received, sess.verified, sess.ok], [[], false, false]);
      assert.equal(sess.failures.length, 1);
      assert.match(sess.failures[0], /before the answer to our SDU arrived/);
    } finally {
      cardSock.close();
    }
  });

  it('a command whose SPI asks for no PoR: a session without one is a success', async () => {
    const srv = start(['cattp', 'serve', '--port', '0', '--max-sessions', '1', ...SEC73, '--spi', '0600', '--timeout', '300', '--response-timeout', '300', '--quiet', '--no-bits']);
    const port = await srv.port;
    const cli = start(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--dry-run', '--timeout', '300', '--response-timeout', '300', '--json', '--quiet']);
    const [s, c] = await Promise.all([srv.done, cli.done]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stdout + s.stderr);
    const x = JSON.parse(c.stdout).exchanges[0];
    assert.deepEqual([x.card.status.code, x.sent], ['00', null]);
    assert.match(s.stdout, /Result: no PoR \(SPI2 asks for none\)/);
    assert.match(s.stderr, /uicc-ota: 1 session, 0 failed\n/);
  });
});

describe('parse --each: one CAT_TP PDU per line', () => {
  it('PDUs without a packet are listed, a whole data PDU is parsed and verified, a bad checksum fails the batch', () => {
    // cat-tp.md §6 PDUs (tshark-verified); the data PDU carries the §7.3 packet whose CC is 550594D33098D06C
    const input = [S6.syn, S6.cmd, S6.ack23Bad].join('\n') + '\n';
    const r = run(['parse', '--each', '--json', '--kic-key', 'F09C43EE1A0391665CC9F05AF4E0BD10', '--kid-key', '01981F4A20999F62AF99988007BAF6CA'], { input });
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.deepEqual([lines[0].pdu.type, lines[0].verified], ['syn', true]);
    assert.deepEqual([lines[1].type, lines[1].dialect, lines[1].checksum.value, lines[1].checksum.verified], ['command', 'cat_tp', '550594D33098D06C', true]);
    assert.equal(lines[2].verified, false);
  });
});
