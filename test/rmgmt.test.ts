/**
 * Remote management scripts (rfm / ram): CAP reading, APDUs against the
 * GlobalPlatform / TS 102 226 / TS 102 221 / TS 51.011 codings written out
 * byte by byte (source named at each), PUT KEY wrapping and KCVs against
 * `openssl enc`, round trips through the card simulator over SMS-PP and
 * CAT_TP, bad input.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runAsync, isOneLineError, KEYSET, BIN, ROOT } from './helpers/cli.js';
import { capFile, components, ORDER, PACKAGE_AID, APPLET_AID } from './helpers/cap.js';
import { readCap, LOAD_ORDER } from '../src/remote/gp/cap.js';

const dir = mkdtempSync(join(tmpdir(), 'uicc-rmgmt-'));
const CAP = join(dir, 'hello.cap');
writeFileSync(CAP, capFile());
const SEC = ['--keyset', KEYSET, '--kvn', '1'];

function openssl(args: string[], input: Buffer): string {
  return execFileSync('openssl', ['enc', ...args, '-nopad'], { input }).toString('hex').toUpperCase();
}
const hx = (s: string) => Buffer.from(s, 'hex');

/** The C-APDUs of a --dry-run --json, per packet. */
function dry(args: string[]): string[][] {
  const r = run([...args, '--dry-run', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).packets.map((p: { apdus: string[] }) => p.apdus);
}

function newCard(): string {
  const f = join(dir, `card-${Math.random().toString(36).slice(2)}.json`);
  assert.equal(run(['card', 'init', '--out', f]).code, 0);
  return f;
}

describe('CAP file', () => {
  test('the ZIP is valid for unzip (independent reader) and components come out in the JCVM load order, Debug dropped', () => {
    const list = execFileSync('unzip', ['-Z1', CAP]).toString().trim().split('\n');
    assert.equal(list.length, 13);
    const cap = readCap(new Uint8Array(readFileSync(CAP)));
    // JCVM specification ch. 6: Header, Directory, Import, Applet, Class, Method, StaticField, Export, ConstantPool, ReferenceLocation, Descriptor.
    assert.deepEqual(cap.components.map((c) => c.name), ORDER);
    assert.deepEqual(LOAD_ORDER.map((c) => c.name), ORDER);
    assert.equal(Buffer.from(cap.packageAid).toString('hex').toUpperCase(), PACKAGE_AID);
    assert.deepEqual(cap.appletAids.map((a) => Buffer.from(a).toString('hex').toUpperCase()), [APPLET_AID]);
    const c = components();
    const body = Buffer.concat(ORDER.map((n) => Buffer.from(c[n])));
    // GP Card Specification cl. 11.6.2.3: Load File Data Block = C4 ‖ BER length (82 xx xx for 256 … 65535) ‖ components.
    assert.equal(Buffer.from(cap.loadFileDataBlock).toString('hex').toUpperCase(), ('C482' + body.length.toString(16).padStart(4, '0') + body.toString('hex')).toUpperCase());
    // `unzip -l` (an independent ZIP reader) lists the components; the Load File Data Block holds what `unzip -p`
    // extracts of each, in the JCVM order (Debug and the manifest left out).
    const listed = execFileSync('unzip', ['-l', CAP]).toString();
    const names = ORDER.map((n) => {
      const m = new RegExp(`\\s(\\S*/javacard/${n}\\.cap)\\n`).exec(listed);
      assert.ok(m, `unzip -l lists ${n}.cap`);
      return m![1];
    });
    const extracted = Buffer.concat(names.map((f) => execFileSync('unzip', ['-p', CAP, f])));
    assert.equal(Buffer.from(cap.loadFileDataBlock.subarray(4)).toString('hex'), extracted.toString('hex'));
    // Stored (not deflated) entries read the same.
    const stored = readCap(capFile({ deflate: false }));
    assert.deepEqual(stored.loadFileDataBlock, cap.loadFileDataBlock);
  });
});

describe('scripts against the specification codings', () => {
  test('RFM uicc: SELECT by path from MF (TS 102 221 cl. 11.1.1: P1 08, P2 0C, path without 3F00) + READ BINARY (cl. 11.1.3)', () => {
    assert.deepEqual(dry(['rfm', 'read', '--path', '3F00/7F20/6F07', ...SEC]), [['00A4080C047F206F07', '00B0000000']]);
    assert.deepEqual(dry(['rfm', 'read', '--path', '3F00/7F20/6F07', '--offset', '260', '--length', '4', ...SEC]), [['00A4080C047F206F07', '00B0010404']]);
    // FID chain: SELECT each FID (P1 00, P2 0C).
    assert.deepEqual(dry(['rfm', 'read', '--path', '3F00/7F20/6F07', '--select', 'fid', ...SEC]), [['00A4000C023F00', '00A4000C027F20', '00A4000C026F07', '00B0000000']]);
    // UPDATE RECORD 2, absolute mode P2 04 (TS 102 221 cl. 11.1.5 / 11.1.6).
    assert.deepEqual(dry(['rfm', 'update', '--path', '3F00/7F10/6F40', '--record', '2', '--data', 'AABB', ...SEC]), [['00A4080C047F106F40', '00DC020402AABB']]);
    // SELECT with FCP (P2 04): compact coding has no Le, so a GET RESPONSE follows.
    assert.deepEqual(dry(['rfm', 'select', '--path', '3F00/2FE2', ...SEC]), [['00A40804022FE2', '00C0000000']]);
    assert.deepEqual(dry(['rfm', 'select', '--path', '3F00/2FE2', '--expanded', ...SEC]), [['00A40804022FE200']]);
  });

  test('RFM sim: class A0, every FID selected (TS 51.011 cl. 9.2.1: A0 A4 00 00 02 FID), READ BINARY A0 B0', () => {
    assert.deepEqual(dry(['rfm', 'read', '--family', 'sim', '--path', '3F00/7F20/6F07', '--length', '9', ...SEC]), [['A0A40000023F00', 'A0A40000027F20', 'A0A40000026F07', 'A0B0000009']]);
    // The SJA2 trace of TS 102 226 practice (pySim docs): A0A40000027F20 then A0C0 GET RESPONSE.
    assert.deepEqual(dry(['rfm', 'select', '--family', 'sim', '--path', '7F20', ...SEC]), [['A0A40000027F20', 'A0C0000000']]);
  });

  test('GET STATUS of the ISD, legacy layout, expanded: the real eUICC script AA0A 2208 80F28000024F0000 (pySim laforge/ota test)', () => {
    const r = run(['ram', 'status', '--subset', 'isd', '--legacy', '--expanded', ...SEC, '--dry-run', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).packets[0].data, 'AA0A220880F28000024F0000');
    // TLV form (GP cl. 11.4.2.1: P1 40 applications, P2 02); compact (TS 102 226 cl. 5.1.1): the case-4
    // command is coded without Le and a GET RESPONSE fetches the data.
    assert.deepEqual(dry(['ram', 'status', ...SEC]), [['80F24002024F00', '00C0000000']]);
  });

  test('INSTALL [for load], LOAD blocks, INSTALL [for install and make selectable] (GP cl. 11.5, 11.6), toolkit parameters (TS 102 226 cl. 8.2.1.3.2.1)', () => {
    const p = dry(['ram', 'load', '--cap', CAP, '--install', '--max-block', '100', '--bearer', 'cattp', '--access-domain', '00', '--priority', '1', '--max-timers', '0',
      '--menu-text-length', '21', ...Array(5).fill(['--menu', '0:0']).flat(), '--max-channels', '0', '--volatile-quota', '255', '--non-volatile-quota', '255', ...SEC]);
    assert.equal(p.length, 1, 'one CAT_TP SDU holds the whole script');
    const a = p[0];
    // GP Table 11-44 (INSTALL [for load] data): LV load file AID ‖ LV SD AID (00) ‖ LV hash (00) ‖ LV load parameters (00) ‖ LV token (00).
    assert.equal(a[0], '80E60200' + '0D' + '08' + PACKAGE_AID + '00' + '00' + '00' + '00');
    const c = components();
    const block = 'C4820213' + ORDER.map((n) => Buffer.from(c[n]).toString('hex').toUpperCase()).join('');
    assert.equal(block.length / 2, 4 + 0x213);
    // LOAD: P1 00 more blocks / 80 last, P2 block number from 00 (GP cl. 11.6.2).
    const blocks = a.slice(1, -1);
    assert.equal(blocks.length, 6);
    blocks.forEach((x, i) => {
      const last = i === blocks.length - 1;
      const chunk = block.slice(i * 200, (i + 1) * 200);
      assert.equal(x, '80E8' + (last ? '80' : '00') + i.toString(16).padStart(2, '0').toUpperCase() + (chunk.length / 2).toString(16).padStart(2, '0').toUpperCase() + chunk);
    });
    // The STK parameters of pySim's cap-tutorial (HelloSTK on a sysmoISIM-SJA2): 010001001505000000000000000000000000.
    const ca = '010001001505000000000000000000000000';
    // GP Table 11-49: C9 00 (application specific, empty) ‖ EF { C7 00FF ‖ C8 00FF ‖ CA … } (TS 102 226 cl. 8.2.1.3.2).
    const sys = 'C70200FF' + 'C80200FF' + 'CA12' + ca;
    const params = 'C900' + 'EF' + (sys.length / 2).toString(16).toUpperCase() + sys;
    const data = '08' + PACKAGE_AID + '09' + APPLET_AID + '09' + APPLET_AID + '0100' + (params.length / 2).toString(16).toUpperCase().padStart(2, '0') + params + '00';
    assert.equal(a[a.length - 1], '80E60C00' + (data.length / 2).toString(16).toUpperCase() + data);
  });

  test('INSTALL [for load] with the Load File Data Block hash (openssl dgst over the components unzip extracts), DAP block before C4', () => {
    // The C4 value: the components in load order, as `unzip -p` extracts them (an independent ZIP reader).
    const names = execFileSync('unzip', ['-Z1', CAP]).toString().trim().split('\n');
    const value = Buffer.concat(ORDER.map((n) => execFileSync('unzip', ['-p', CAP, names.find((x) => x.endsWith(`/${n}.cap`))!])));
    for (const [alg, len] of [['sha1', '14'], ['sha256', '20']] as const) {
      const hash = execFileSync('openssl', ['dgst', `-${alg}`, '-binary'], { input: value }).toString('hex').toUpperCase();
      const p = dry(['ram', 'load', '--cap', CAP, '--hash', alg, '--dap', 'A000000151000000:0102', '--bearer', 'cattp', '--max-block', '100', ...SEC]);
      const a = p[0];
      // GP Table 11-44: LV load file AID ‖ LV SD AID ‖ LV hash ‖ LV load parameters ‖ LV token.
      const data = '08' + PACKAGE_AID + '00' + len + hash + '00' + '00';
      assert.equal(a[0], '80E60200' + (data.length / 2).toString(16).toUpperCase() + data, alg);
      // GP cl. 11.6.2.3: Load File = E2 { 4F SD AID ‖ C3 signature } ‖ C4 Load File Data Block.
      const dap = 'E2' + '0E' + '4F08A000000151000000' + 'C3020102';
      assert.ok(a[1].startsWith('80E8000064' + dap + 'C4820213' + value.subarray(0, 100 - 16 - 4).toString('hex').toUpperCase()), a[1]);
    }
    // A DAP without the hash it signs is refused before anything is built.
    const r = run(['ram', 'load', '--cap', CAP, '--dap', 'A000000151000000', '--dry-run', ...SEC]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--dap: .*give --hash/);
  });

  test('UICC System Specific Parameters (EA) of INSTALL [for install]: toolkit 80, access 81, administrative access 82 (TS 102 226 cl. 8.2.1.3.2.2)', () => {
    const p = dry(['ram', 'install', '--package-aid', PACKAGE_AID, '--applet-aid', APPLET_AID, '--uicc-toolkit', '--priority', '1', '--max-timers', '2',
      '--menu-text-length', '16', '--menu', '1:1', '--max-channels', '1', '--msl', '12', '--toolkit-tar', 'B20100', '--max-services', '3',
      '--uicc-access', ':00', '--uicc-admin-access', 'A0000000871002:02:', '--expanded', ...SEC]);
    // cl. 8.2.1.3.2.2.1: priority 01, timers 02, text length 10, 1 menu entry (position 01, id 01), channels 01,
    // MSL length 01 ‖ 12, TAR length 03 ‖ B20100, services 03.
    const tk = '01' + '02' + '10' + '01' + '0101' + '01' + '0112' + '03B20100' + '03';
    // cl. 8.2.1.3.2.3.1: UICC shared file system (AID length 00), access domain length 01 ‖ 00 (full access), DAP length 00.
    const acc = '00' + '0100' + '00';
    // cl. 8.2.1.3.2.4.1: ADF A0000000871002, access domain 02, no DAP.
    const adm = '07A0000000871002' + '0102' + '00';
    const ea = '80' + (tk.length / 2).toString(16).padStart(2, '0').toUpperCase() + tk + '81' + '04' + acc + '82' + '0B' + adm;
    const params = 'C900' + 'EA' + (ea.length / 2).toString(16).toUpperCase() + ea;
    const data = '08' + PACKAGE_AID + '09' + APPLET_AID + '09' + APPLET_AID + '0100' + (params.length / 2).toString(16).toUpperCase().padStart(2, '0') + params + '00';
    assert.equal(p[0][0], '80E60C00' + (data.length / 2).toString(16).toUpperCase() + data);
  });

  test('DELETE (GP cl. 11.2: 80 E4 00 P2 Lc 4F len AID; P2 80 = with related objects)', () => {
    assert.deepEqual(dry(['ram', 'delete', '--aid', PACKAGE_AID, '--related', ...SEC]), [['80E400800A4F08' + PACKAGE_AID]]);
  });

  test('PUT KEY: keys wrapped with the KIK (openssl enc -des-ede-ecb / -aes-128-ecb), KCVs (openssl on 00×8 / 01×16)', () => {
    const kic = '00112233445566778899AABBCCDDEEFF';
    const kid = '0123456789ABCDEFFEDCBA9876543210';
    // KVN 1 KIK of vectors/keysets/test.json (3DES 2-key).
    const kik1 = '8F8AEE5CDCC5D361368BC45673D99195';
    const desField = (k: string) => '8010' + openssl(['-des-ede-ecb', '-K', kik1], hx(k)) + '03' + openssl(['-des-ede-ecb', '-K', k], Buffer.alloc(8)).slice(0, 6);
    // GP cl. 11.8.2: P1 01 (replace KVN 1), P2 81 (several keys, first id 1); data: new KVN ‖ key data fields.
    const data = '01' + desField(kic) + desField(kid);
    assert.deepEqual(dry(['ram', 'put-key', '--new-kvn', '1', '--replace-kvn', '1', '--new-kic', kic, '--new-kid', kid, ...SEC]), [['80D80181' + (data.length / 2).toString(16).toUpperCase() + data]]);
    // AES (KVN 2's AES KIK): 88 ‖ 11 ‖ 10 ‖ AES-ECB(key) ‖ 03 ‖ AES(01×16)[0..2] (GP Amendment D).
    const kik2 = '202102030405060708090A0B0C0D0E0F';
    const aesField = (k: string) => '881110' + openssl(['-aes-128-ecb', '-K', kik2], hx(k)) + '03' + openssl(['-aes-128-ecb', '-K', k], Buffer.alloc(16, 1)).slice(0, 6);
    const d2 = '03' + aesField(kid);
    assert.deepEqual(dry(['ram', 'put-key', '--new-kvn', '3', '--new-kid', kid, '--new-alg', 'aes', '--keyset', KEYSET, '--kvn', '2']), [['80D80002' + (d2.length / 2).toString(16).toUpperCase() + d2]]);
  });
});

describe('round trips through the card simulator', () => {
  test('SMS-PP ENVELOPEs: load + install (one packet per SMS, counters from the store) → card process → PoRs decoded with --por', () => {
    const card = newCard();
    const st = join(dir, 'st-env.json');
    // SPI 1629: CC, ciphered, counter higher; PoR required with a CC (SPI2 29), so each PoR is verified.
    const args = ['ram', 'load', '--cap', CAP, '--install', ...SEC, '--spi', '1629', '--state', st];
    const b = run([...args, '--counter', 'next', '--format', 'envelope']);
    assert.equal(b.code, 0, b.stderr);
    const lines = b.stdout.trim().split('\n');
    assert.equal(lines.length, 7);
    assert.equal(JSON.parse(readFileSync(st, 'utf8')).counters['kvn1/000000'], 7, 'one counter per packet');
    const pors: string[] = [];
    for (const l of lines) {
      const r = run(['card', 'process', '--card', card, l]);
      assert.equal(r.code, 0, r.stderr);
      pors.push(r.stdout.trim());
    }
    const d = run([...args, '--por', '-', '--json'], { input: pors.join('\n') });
    assert.equal(d.code, 0, d.stderr + d.stdout);
    const j = JSON.parse(d.stdout);
    assert.equal(j.pors.length, 7);
    assert.ok(j.pors.every((p: { status: string; verified: boolean }) => p.status === '00' && p.verified === true));
    const reg = JSON.parse(readFileSync(card, 'utf8')).registry;
    assert.deepEqual(reg.loadFiles, [{ aid: PACKAGE_AID, modules: [APPLET_AID] }]);
    assert.equal(reg.instances[0].aid, APPLET_AID);
    // List, decoded: the instance, SELECTABLE.
    const s = run(['ram', 'status', ...SEC, '--state', st, '--counter', 'next', '--card', card, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const e = JSON.parse(s.stdout).pors[0].answer.answers[0].entries;
    assert.deepEqual(e.map((x: { aid: string; lifeCycleName: string; loadFile: string }) => [x.aid, x.lifeCycleName, x.loadFile]), [[APPLET_AID, 'SELECTABLE', PACKAGE_AID]]);
    // Delete the load file with its instance, then the list is empty (6A88).
    assert.equal(run(['ram', 'delete', '--aid', PACKAGE_AID, '--related', ...SEC, '--state', st, '--counter', 'next', '--card', card]).code, 0);
    const s2 = run(['ram', 'status', '--subset', 'load-files', ...SEC, '--state', st, '--counter', 'next', '--card', card]);
    assert.equal(s2.code, 1);
    assert.match(s2.stderr, /6A88/);
  });

  test('CAT_TP: load as data PDUs in one SDU → card process → PoR; list modules over CAT_TP with --card', () => {
    const card = newCard();
    const args = ['ram', 'load', '--cap', CAP, '--bearer', 'cattp', ...SEC];
    const b = run([...args, '--counter', '1']);
    assert.equal(b.code, 0, b.stderr);
    const r = run(['card', 'process', '--card', card], { input: b.stdout });
    assert.equal(r.code, 0, r.stderr);
    const d = run([...args, '--por', r.stdout.trim(), '--json']);
    assert.equal(d.code, 0, d.stderr + d.stdout);
    const s = run(['ram', 'status', '--subset', 'modules', '--expanded', '--bearer', 'cattp', ...SEC, '--counter', '2', '--card', card, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const e = JSON.parse(s.stdout).pors[0].answer.answers[0].entries;
    assert.deepEqual(e, [{ aid: PACKAGE_AID, lifeCycle: 1, lifeCycleName: 'LOADED', privileges: '00', modules: [APPLET_AID] }]);
  });

  test('CAT_TP round trip with --card: load + install, list, RFM update/read, delete, PUT KEY (one SDU per packet)', () => {
    const card = newCard();
    const st = join(dir, 'st-cattp-rt.json');
    const base = ['--bearer', 'cattp', ...SEC, '--spi', '1629', '--counter', 'next', '--state', st, '--card', card];
    const l = run(['ram', 'load', '--cap', CAP, '--install', ...base, '--json']);
    assert.equal(l.code, 0, l.stderr);
    assert.equal(JSON.parse(l.stdout).pors.length, 1, 'the whole script in one CAT_TP SDU (1024 octets)');
    const s = run(['ram', 'status', ...base, '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(JSON.parse(s.stdout).pors[0].answer.answers[0].entries.map((x: { aid: string; lifeCycleName: string }) => [x.aid, x.lifeCycleName]), [[APPLET_AID, 'SELECTABLE']]);
    // EF ICCID of card init's example card (3F00/2FE2): update the first two octets, read back.
    const before = run(['rfm', 'read', '--path', '3F00/2FE2', ...base, '--json']);
    assert.equal(before.code, 0, before.stderr);
    const iccid: string = JSON.parse(before.stdout).pors[0].answer.answers.at(-1).data;
    assert.equal(run(['rfm', 'update', '--path', '3F00/2FE2', '--data', 'ABCD', ...base]).code, 0);
    const after = run(['rfm', 'read', '--path', '3F00/2FE2', ...base, '--json']);
    assert.equal(JSON.parse(after.stdout).pors[0].answer.answers.at(-1).data, 'ABCD' + iccid.slice(4));
    assert.equal(run(['ram', 'delete', '--aid', PACKAGE_AID, '--related', ...base]).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(card, 'utf8')).registry.instances, []);
    const nk = 'FEDCBA98765432100123456789ABCDEF';
    assert.equal(run(['ram', 'put-key', '--new-kvn', '6', '--new-kic', nk, '--new-kid', nk, ...base]).code, 0);
    assert.equal(JSON.parse(readFileSync(card, 'utf8')).keysets.find((k: { kvn: number }) => k.kvn === 6).kid.key, nk);
    assert.equal(JSON.parse(readFileSync(st, 'utf8')).counters['kvn1/000000'], 4, 'one counter per packet (RAM)');
  });

  test('PUT KEY rotates KVN 1: the next command with the new keys verifies, one with the old keys fails', () => {
    const card = newCard();
    const nk = { kic: '00112233445566778899AABBCCDDEEFF', kid: '0123456789ABCDEFFEDCBA9876543210', kik: '1111111111111111222222222222222A' };
    const p = run(['ram', 'put-key', '--new-kvn', '1', '--replace-kvn', '1', '--new-kic', nk.kic, '--new-kid', nk.kid, '--new-kik', nk.kik, ...SEC, '--counter', '1', '--card', card]);
    assert.equal(p.code, 0, p.stderr);
    const ks = JSON.parse(readFileSync(card, 'utf8')).keysets.find((k: { kvn: number }) => k.kvn === 1);
    assert.equal(ks.kic.key, nk.kic);
    const keys = join(dir, 'new-keys.json');
    writeFileSync(keys, JSON.stringify({ keysets: [{ kvn: 1, kic: { algorithm: '3des-2key-cbc', key: nk.kic }, kid: { algorithm: '3des-2key-cbc-mac', key: nk.kid }, kik: { algorithm: '3des-2key-cbc', key: nk.kik } }] }));
    const ok = run(['ram', 'status', '--subset', 'isd', '--keyset', keys, '--spi', '1629', '--counter', '2', '--card', card, '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).pors[0].verified, true);
    const old = run(['ram', 'status', '--subset', 'isd', ...SEC, '--counter', '3', '--card', card]);
    assert.equal(old.code, 1);
    assert.match(old.stderr, /PoR status 0[15]/);
    // A KCV that does not match is refused by the card (6A80) and the keys stay.
    const bad = run(['ram', 'put-key', '--new-kvn', '1', '--replace-kvn', '1', '--new-kic', nk.kic, '--keyset', keys, '--counter', '4', '--dry-run', '--json']);
    const apdu: string = JSON.parse(bad.stdout).packets[0].apdus[0];
    const broken = apdu.slice(0, -2) + (apdu.endsWith('00') ? '01' : '00');
    const x = run(['build', 'sms', '--keyset', keys, '--tar', '000000', '--counter', '5', '--apdu', broken]);
    const y = run(['card', 'process', '--card', card, '--json', x.stdout.trim()]);
    assert.equal(y.code, 0, y.stderr);
    assert.equal(JSON.parse(y.stdout).executed[0].sw, '6A80');
  });

  test('hash and EA checked by the card: a hash that does not match is refused with 6985, a malformed EA with 6A80', () => {
    const card = newCard();
    const base = ['ram', 'load', '--cap', CAP, '--hash', 'sha1', '--bearer', 'cattp', '--expanded', ...SEC];
    const apdus: string[] = dry(base)[0];
    // Flip the last hash octet in INSTALL [for load] (… ‖ 14 HASH ‖ 00 ‖ 00): the LOAD of the last block must fail.
    const i = apdus[0].length - 4 - 2;
    const tampered = apdus[0].slice(0, i) + (apdus[0].slice(i, i + 2) === '00' ? '01' : '00') + apdus[0].slice(i + 2);
    const x = run(['build', 'cattp', ...SEC, '--tar', '000000', '--counter', '1', '--expanded', '--format', 'packet', '--apdu', tampered, ...apdus.slice(1).flatMap((a) => ['--apdu', a])]);
    assert.equal(x.code, 0, x.stderr);
    const y = run(['card', 'process', '--card', card, '--json', x.stdout.trim()]);
    assert.equal(y.code, 0, y.stderr);
    const ex = JSON.parse(y.stdout).executed;
    assert.deepEqual(ex.map((e: { sw: string }) => e.sw), ['9000', '9000', '9000', '6985']);
    assert.deepEqual(JSON.parse(readFileSync(card, 'utf8')).registry.loadFiles, [], 'load file discarded');
    // The untampered script loads (the hash verified), with an EA the card reads through.
    const ok = run([...base, '--install', '--uicc-toolkit', '--max-services', '1', '--uicc-access', ':00', '--counter', '2', '--card', card]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(JSON.parse(readFileSync(card, 'utf8')).registry.instances[0].installParams, /^C900EA/);
    // EA/80 cut short (priority and timers only): refused.
    const bad = run(['ram', 'install', '--package-aid', PACKAGE_AID, '--applet-aid', APPLET_AID, '--instance-aid', APPLET_AID + '02', '--uicc-toolkit-params', '0100', ...SEC, '--counter', '3', '--card', card]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /6A80/);
  });

  test('RFM: read and update an EF by path (uicc, compact and expanded) and by FID chain (sim), answers decoded', () => {
    const card = newCard();
    const rd = (extra: string[]) => {
      const r = run(['rfm', 'read', '--path', '3F00/7F20/6F07', ...SEC, '--card', card, '--json', ...extra]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).pors[0].answer.answers;
    };
    assert.equal(rd(['--counter', '1']).at(-1).data, '082943019999999999');
    const u = run(['rfm', 'update', '--path', '3F00/7F20/6F07', '--offset', '7', '--data', '1234', ...SEC, '--counter', '2', '--card', card]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(rd(['--counter', '3', '--expanded']).at(-1).data, '082943019999991234');
    const sim = rd(['--counter', '4', '--family', 'sim']);
    assert.equal(sim.at(-1).data, '082943019999991234');
    // FCP of the selected EF (TS 102 221 cl. 11.1.1.3), via GET RESPONSE in the compact format.
    const s = run(['rfm', 'select', '--path', '3F00/7F10/6F40', ...SEC, '--counter', '5', '--card', card, '--json']);
    assert.equal(s.code, 0, s.stderr);
    const f = JSON.parse(s.stdout).pors[0].answer.answers[0].file;
    assert.deepEqual([f.fid, f.type, f.structure, f.recordLength, f.records], ['6F40', 'EF', 'linear-fixed', 14, 2]);
    // A pipeline as documented: build, card process, decode with --por.
    const b = run(['rfm', 'read', '--record', '2', '--path', '3F00/7F10/6F40', ...SEC, '--counter', '6', '--format', 'tpdu']);
    const por = run(['card', 'process', '--card', card, b.stdout.trim()]);
    const d = run(['rfm', 'read', '--record', '2', '--path', '3F00/7F10/6F40', ...SEC, '--por', por.stdout.trim()]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /Record: 14 octets\s+\[F{28}\]/);
  });
});

/** `scp81 serve` as a child process: resolves its TLS port from the "listening on TLS addr:port" line. */
function serve(args: string[], limitMs = 30000): { port: Promise<number>; done: Promise<{ code: number; err: string }> } {
  const p = spawn(process.execPath, [BIN, 'scp81', 'serve', '--port', '0', ...args], { env: { ...process.env, NO_COLOR: '1' }, cwd: ROOT });
  let err = '';
  let got: (n: number) => void = () => undefined;
  let lost: (e: Error) => void = () => undefined;
  const port = new Promise<number>((res, rej) => ((got = res), (lost = rej)));
  port.catch(() => undefined);
  p.stderr.on('data', (d) => {
    err += d;
    const m = /listening on TLS [\d.]+:(\d+)/.exec(err);
    if (m) got(Number(m[1]));
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), limitMs);
  const done = new Promise<{ code: number; err: string }>((res) => p.on('close', (code) => {
    clearTimeout(timer);
    lost(new Error(`serve exited (${code}): ${err}`));
    res({ code: code ?? -1, err });
  }));
  return { port, done };
}

describe('SCP81 (HTTPS): rfm/ram --format scp81-scripts → scp81 serve --scripts → scp81 agent --card', () => {
  const ID = 'agent-rmgmt';
  const PSK = '000102030405060708090A0B0C0D0E0F';

  test('the command strings are the expanded, indefinite scripting template around the GP APDUs', () => {
    const r = run(['ram', 'delete', '--aid', PACKAGE_AID, '--format', 'scp81-scripts', '--scp81-agent', ID]);
    assert.equal(r.code, 0, r.stderr);
    // TS 102 226 cl. 5.2.1: AE 80 (indefinite Command Scripting template) ‖ 22 L C-APDU ‖ 00 00;
    // GP Card Specification cl. 11.2.2: DELETE = 80 E4 00 00 Lc 4F len AID.
    const del = `80E400000A4F08${PACKAGE_AID}`;
    assert.deepEqual(JSON.parse(r.stdout), { [ID]: [`AE8022${(del.length / 2).toString(16).toUpperCase().padStart(2, '0')}${del}0000`] });
  });

  test('load + install and a listing run by the agent on the simulated card (no registry in CARD.json beforehand), answers decoded', async () => {
    const card = newCard();
    // A card file as a user may write it: no "registry" at all, the security domain without a "handler".
    const raw = JSON.parse(readFileSync(card, 'utf8'));
    delete raw.registry;
    for (const a of raw.applications) if (a.tar === '000000') delete a.handler;
    writeFileSync(card, JSON.stringify(raw, null, 2));
    const load = ['ram', 'load', '--cap', CAP, '--install', '--format', 'scp81-scripts'];
    const scripts = join(dir, 'scp81-scripts.json');
    const b = run(load);
    assert.equal(b.code, 0, b.stderr);
    writeFileSync(scripts, b.stdout);
    const responses = join(dir, 'scp81-responses.jsonl');
    const srv = serve(['--psk', `${ID}:${PSK}`, '--scripts', scripts, '--responses', responses, '--max-sessions', '1', '--quiet']);
    const port = await srv.port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', PSK, '--card', card, '--quiet']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal((await srv.done).code, 0);
    const reg = JSON.parse(readFileSync(card, 'utf8')).registry;
    assert.deepEqual(reg.loadFiles, [{ aid: PACKAGE_AID, modules: [APPLET_AID] }]);
    assert.equal(reg.instances[0].lifeCycle, '07');
    // The response string the server logged, decoded against the five commands asked.
    const d = run([...load, '--por', '-', '--json'], { input: readFileSync(responses, 'utf8') });
    assert.equal(d.code, 0, d.stderr + d.stdout);
    const ans = JSON.parse(d.stdout).pors[0].answer;
    assert.deepEqual(ans.answers.map((x: { title: string; sw: string }) => [x.title.split(' ')[0], x.sw]),
      [['INSTALL', '9000'], ['LOAD', '9000'], ['LOAD', '9000'], ['LOAD', '9000'], ['INSTALL', '9000']]);
    // A listing over HTTPS: GET STATUS with Le in the expanded format, the entries decoded.
    const st = ['ram', 'status', '--format', 'scp81-scripts'];
    writeFileSync(scripts, run(st).stdout);
    const responses2 = join(dir, 'scp81-responses2.jsonl');
    const srv2 = serve(['--psk', `${ID}:${PSK}`, '--scripts', scripts, '--responses', responses2, '--max-sessions', '1', '--quiet']);
    const a2 = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${await srv2.port}`, '--psk-identity', ID, '--psk-key', PSK, '--card', card, '--quiet']);
    assert.equal(a2.code, 0, a2.stderr);
    await srv2.done;
    const l = run([...st, '--por', '-', '--json'], { input: readFileSync(responses2, 'utf8') });
    assert.equal(l.code, 0, l.stderr);
    const e = JSON.parse(l.stdout).pors[0].answer.answers[0].entries;
    assert.deepEqual(e.map((x: { aid: string; lifeCycleName: string }) => [x.aid, x.lifeCycleName]), [[APPLET_AID, 'SELECTABLE']]);
  });

  test('--max-script N: a long script split into several command strings of at most N octets, run in order by the agent', async () => {
    const load = ['ram', 'load', '--cap', CAP, '--install', '--format', 'scp81-scripts', '--scp81-agent', ID];
    const whole = run(load);
    assert.equal(whole.code, 0, whole.stderr);
    const one = JSON.parse(whole.stdout)[ID] as string[];
    assert.equal(one.length, 1);
    const b = run([...load, '--max-script', '120']);
    assert.equal(b.code, 0, b.stderr);
    const strings = JSON.parse(b.stdout)[ID] as string[];
    assert.ok(strings.length > 2, `${strings.length} strings`);
    for (const x of strings) {
      // TS 102 226 cl. 5.2.1: each string a complete indefinite Command Scripting template, AE 80 … 00 00.
      assert.ok(x.length / 2 <= 120, `${x.length / 2} octets`);
      assert.match(x, /^AE80(22[0-9A-F]+)0000$/);
    }
    // The C-APDUs of the split strings, in order: INSTALL [for load], LOAD blocks numbered from 00 with the last flagged
    // (P1 80, GP cl. 11.6.2.1), INSTALL [for install] (GP cl. 11.5): read from the strings, not from our planner.
    const apdus = strings.flatMap((x) => {
      const out: string[] = [];
      let i = 4;
      const h = x.slice(0, -4);
      while (i < h.length) {
        assert.equal(h.slice(i, i + 2), '22');
        let len = parseInt(h.slice(i + 2, i + 4), 16);
        let at = i + 4;
        if (len === 0x81) { len = parseInt(h.slice(i + 4, i + 6), 16); at = i + 6; }
        out.push(h.slice(at, at + len * 2));
        i = at + len * 2;
      }
      return out;
    });
    assert.ok(apdus[0].startsWith('80E60200'), apdus[0]);
    const loads = apdus.filter((a) => a.startsWith('80E8'));
    assert.deepEqual(loads.map((a) => a.slice(4, 8)), loads.map((_, k) => `${k === loads.length - 1 ? '80' : '00'}${k.toString(16).toUpperCase().padStart(2, '0')}`));
    assert.ok(apdus.at(-1)!.startsWith('80E60C00'), apdus.at(-1));
    // Run by the agent on a fresh card: the applet is there afterwards; every response string decodes.
    const card = newCard();
    const scripts = join(dir, 'scp81-split.json');
    writeFileSync(scripts, b.stdout);
    const responses = join(dir, 'scp81-split.jsonl');
    const srv = serve(['--psk', `${ID}:${PSK}`, '--scripts', scripts, '--responses', responses, '--max-sessions', '1', '--quiet']);
    const port = await srv.port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', PSK, '--card', card, '--quiet']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal((await srv.done).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(card, 'utf8')).registry.loadFiles, [{ aid: PACKAGE_AID, modules: [APPLET_AID] }]);
    const d = run([...load, '--max-script', '120', '--por', '-', '--json'], { input: readFileSync(responses, 'utf8') });
    assert.equal(d.code, 0, d.stderr + d.stdout);
    assert.equal(JSON.parse(d.stdout).pors.length, strings.length);
    // Too small for one command: exit 2 naming --max-script.
    const small = run([...load, '--max-script', '16']);
    assert.equal(small.code, 2);
    assert.match(small.stderr, /^uicc-ota: --max-script: .*does not fit an SCP81 command string of 16 octets\n$/);
    assert.match(run(['ram', 'status', '--max-script', '100']).stderr, /--max-script: is for --format scp81-scripts/);
  });

  test('a failing command in the response string fails the check (exit 1) and is named', () => {
    // TS 102 226 cl. 5.2.2: AF 80 ‖ 23 02 6A 88 (R-APDU of DELETE: referenced data not found) ‖ 00 00.
    const r = run(['ram', 'delete', '--aid', PACKAGE_AID, '--format', 'scp81-scripts', '--por', 'AF8023026A880000']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /DELETE D07002CA44900101: SW 6A88/);
  });
});

describe('bad input: one line, exit 2, nothing secured, no counter consumed', () => {
  const st = join(dir, 'st-bad.json');
  const notZip = join(dir, 'notzip.cap');
  writeFileSync(notZip, 'hello');
  const noMethod = join(dir, 'nomethod.cap');
  writeFileSync(noMethod, capFile({ drop: ['Method'] }));
  const cases: [string, string[], RegExp][] = [
    ['CAP not a ZIP', ['ram', 'load', '--cap', notZip], /not a ZIP/],
    ['mandatory component missing', ['ram', 'load', '--cap', noMethod], /mandatory component Method/],
    ['AID of the wrong length', ['ram', 'delete', '--aid', 'A0000001'], /--aid: an AID is 5 … 16 octets/],
    ['block size that cannot fit one SMS', ['ram', 'load', '--cap', CAP, '--max-block', '200'], /--max-block: a LOAD of 200 octets does not fit one SMS/],
    ['path with an unknown FID form', ['rfm', 'read', '--path', '3F00/7F2/6F07'], /element 2 "7F2" is not a file identifier/],
  ];
  for (const [what, args, re] of cases) {
    test(what, () => {
      const r = run([...args, ...SEC, '--counter', 'next', '--state', st]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, re);
      assert.equal(r.stdout, '');
      assert.equal(existsSync(st), false, 'no counter consumed');
    });
  }
  test('the bundle runs rfm --help', () => {
    const r = spawnSync(process.execPath, [BIN, 'rfm', 'read', '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--path/);
  });
});

describe('rfm/ram --allow-weak-key', () => {
  test('a 3DES key with K1 = K2 is refused (exit 2, one line) unless --allow-weak-key, which notes it', () => {
    // K1 = K2: 3DES 2-key degrades to single DES (the build sms case checks the CC with openssl; here the option's path)
    const W = '0123456789ABCDEF0123456789ABCDEF';
    const a = ['ram', 'status', '--spi', '1221', '--kic', '15', '--kid', '15', '--kic-key', W, '--kid-key', W, '--counter', '1'];
    const r = run(a);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /single DES/);
    const ok = run([...a, '--allow-weak-key', '--json']);
    assert.equal(ok.code, 0, ok.stderr);
    const j = JSON.parse(ok.stdout);
    assert.match(j.notes.join(' '), /KID key: .*single DES.*--allow-weak-key/);
    assert.ok(!ok.stdout.includes(W), 'the key is not printed');
  });
});
