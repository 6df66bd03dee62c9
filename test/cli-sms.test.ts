/**
 * Issue "SCP80 secured packets for SMS-PP", end to end through the CLI.
 * Expected bytes are the real-card worked examples of the spec digest
 * (../shared/spec/secured-packet.md §12), which were recomputed there with an
 * independent implementation and match real cards; never our own output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runAsync, isOneLineError, KEYSET } from './helpers/cli.js';

// §12.1 keys (sysmoISIM-SJA2, published in pySim docs/smpp-ota-tool.rst)
const K1 = ['--kic-key', 'F09C43EE1A0391665CC9F05AF4E0BD10', '--kid-key', '01981F4A20999F62AF99988007BAF6CA'];
// §12.2 keys (sysmoISIM-SJA5 AES-128)
const K2 = ['--kic-key', '200102030405060708090A0B0C0D0E0F', '--kid-key', '201102030405060708090A0B0C0D0E0F'];

// §12.1 step 7: command packet of the real SJA2 exchange.
const SJA2_CMD = '00281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';
// §12.1: the card's PoR user data.
const SJA2_POR = '027100002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39';
// §12.2: SJA5 AES command packet and the card's PoR.
const SJA5_CMD = '00281506192222B00011E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058';
const SJA5_POR = '027100002412B00011EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F';
// §12.3: Gemalto CRC-32 + 3DES command packet.
const GEMALTO_CMD = '00201115351515C000004D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203';
// §12.4: unciphered CC-only packet.
const CC_ONLY = '00221502091515B00010000000000100826D5654A08AF149A0A40000027F20A0C0000016';
// §12.1, counter mode: user data of the second real command.
const SJA2_CMD_CNTR = '02700000281516191515B000103A4F599E94F2B5DCFBBDA984761B7977DF6514C57A580FB4844787C436D2EADE';

test('spi decode / encode: the contract examples of the issue', () => {
  const e = run(['spi', 'encode', '--cc', '--cipher', '--counter', 'higher', '--por', 'required', '--por-cc', '--por-cipher', '--por-via', 'submit']);
  assert.equal(e.code, 0);
  assert.equal(e.stdout, '1639\n'); // bit arithmetic: 02|04|10 = 16; 01|08|10|20 = 39 (digest §3 tables)
  const d = run(['spi', 'decode', '1621', '--json']);
  const j = JSON.parse(d.stdout);
  assert.deepEqual(
    { hex: j.hex, integrity: j.integrity, ciphering: j.ciphering, counter: j.counter, porRequest: j.porRequest, porIntegrity: j.porIntegrity, porCiphered: j.porCiphered, porVia: j.porVia },
    { hex: '1621', integrity: 'cc', ciphering: true, counter: 'higher', porRequest: 'required', porIntegrity: 'none', porCiphered: false, porVia: 'submit' },
  );
  const tree = run(['spi', 'decode', '1621']).stdout;
  for (const s of ['Counter', 'Ciphering', 'RC/CC/DS', 'PoR transport', 'PoR ciphering', 'PoR RC/CC/DS', 'PoR required']) assert.match(tree, new RegExp(s.replace(/[/()]/g, '.')));
  // reserved bits are reported
  assert.match(run(['spi', 'decode', 'E1C3']).stdout, /reserved/i);
});

test('kic / kid decode name the algorithms (digest §4, §5)', () => {
  assert.equal(JSON.parse(run(['kic', 'decode', '15', '--json']).stdout).algorithm, '3des-2key-cbc');
  assert.equal(JSON.parse(run(['kic', 'decode', '22', '--json']).stdout).algorithm, 'aes-cbc');
  assert.equal(JSON.parse(run(['kic', 'decode', '19', '--json']).stdout).algorithm, '3des-3key-cbc');
  assert.equal(JSON.parse(run(['kic', 'decode', '1D', '--json']).stdout).algorithm, 'des-ecb');
  assert.equal(JSON.parse(run(['kid', 'decode', '15', '--json']).stdout).algorithm, '3des-2key-cbc-mac');
  assert.equal(JSON.parse(run(['kid', 'decode', '15', '--rc', '--json']).stdout).algorithm, 'crc32');
  assert.equal(JSON.parse(run(['kid', 'decode', '11', '--rc', '--json']).stdout).algorithm, 'crc16');
  assert.equal(JSON.parse(run(['kid', 'decode', '12', '--json']).stdout).algorithm, 'aes-cmac');
  assert.equal(JSON.parse(run(['kic', 'decode', '16', '--json']).stdout).algorithm, 'reserved');
  assert.match(run(['kid', 'decode', '15', '--rc']).stdout, /CRC-32/);
});

test('build sms reproduces the real-card command packets (digest §12.1–§12.4)', () => {
  const a = run(['build', 'sms', '--tar', 'B00010', '--spi', '0619', '--kic', '15', '--kid', '15', ...K1, '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, SJA2_CMD + '\n');
  const b = run(['build', 'sms', '--tar', 'B00011', '--spi', '0619', '--kic', '22', '--kid', '22', ...K2, '--counter', '0', '--apdu', '00A40004023F00']);
  assert.equal(b.stdout, SJA5_CMD + '\n');
  const c = run(['build', 'sms', '--tar', 'C00000', '--spi', '1535', '--kic', '15', '--kid', '15', '--kic-key', '263B48DBCBC1C21C0AA13E4D4516C446', '--counter', '0x76', '--data', '80CA00E00000C0000000']);
  assert.equal(c.stdout, GEMALTO_CMD + '\n');
  const d = run(['build', 'sms', '--tar', 'B00010', '--spi', '0209', '--kic', '15', '--kid', '15', ...K1, '--counter', '1', '--data', 'A0A40000027F20A0C0000016']);
  assert.equal(d.stdout, CC_ONLY + '\n');
  const e = run(['build', 'sms', '--format', 'ud', '--tar', 'B00010', '--spi', '1619', '--kic', '15', '--kid', '15', ...K1, '--counter', '100', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016']);
  assert.equal(e.stdout, SJA2_CMD_CNTR + '\n');
});

test('keys from the environment and from a keyset file give the same packet', () => {
  const env = run(['build', 'sms', '--tar', 'B00010', '--spi', '0619', '--kic', '15', '--kid', '15', '--counter', '0', '--data', 'A0A40000027F20A0C0000016'],
    { env: { UICC_OTA_KIC: 'F09C43EE1A0391665CC9F05AF4E0BD10', UICC_OTA_KID: '01981F4A20999F62AF99988007BAF6CA' } });
  assert.equal(env.stdout, SJA2_CMD + '\n');
  const ks = run(['build', 'sms', '--keyset', KEYSET, '--tar', 'B00010', '--spi', '0619', '--counter', '0', '--data', 'A0A40000027F20A0C0000016']);
  assert.equal(ks.stdout, SJA2_CMD + '\n');
  const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-'));
  writeFileSync(join(dir, 'kic'), 'F09C43EE1A0391665CC9F05AF4E0BD10\n');
  writeFileSync(join(dir, 'kid'), '01 98 1F 4A 20 99 9F 62 AF 99 98 80 07 BA F6 CA\n');
  const file = run(['build', 'sms', '--kic-key', '@' + join(dir, 'kic'), '--kid-key', '@' + join(dir, 'kid'), '--kic', '15', '--kid', '15', '--tar', 'B00010', '--spi', '0619', '--counter', '0', '--data', 'A0A40000027F20A0C0000016']);
  assert.equal(file.stdout, SJA2_CMD + '\n');
});

test('parse sms: every field of the SJA2 command, verified', () => {
  const r = run(['parse', 'sms', SJA2_CMD, ...K1, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tar, 'B00010');
  assert.equal(j.spi.hex, '0619');
  assert.equal(j.kic.hex, '15');
  assert.equal(j.kid.hex, '15');
  assert.equal(j.counter, 0);
  assert.equal(j.pcntr, 6);
  assert.deepEqual([j.checksum.type, j.checksum.value, j.checksum.verified], ['cc', '78CFE8C148CC3556', true]);
  assert.equal(j.data, 'A0A40000027F20A0C0000016');
  assert.deepEqual(j.apdus, ['A0A40000027F20', 'A0C0000016']);
  // with the UDH, from stdin
  const u = run(['parse', 'sms', '-', ...K1, '--json'], { input: '02 70 00 ' + SJA2_CMD + '\n' });
  assert.equal(JSON.parse(u.stdout).checksum.verified, true);
  assert.deepEqual(JSON.parse(u.stdout).layers, ['user data', 'command packet']);
});

test('parse: AES, CRC-32 and unciphered packets verify', () => {
  const a = JSON.parse(run(['parse', SJA5_CMD, ...K2, '--json']).stdout);
  assert.deepEqual([a.checksum.value, a.checksum.verified, a.data, a.pcntr], ['ECBAB1F8F55502C5', true, '00A40004023F00', 11]);
  const g = JSON.parse(run(['parse', GEMALTO_CMD, '--kic-key', '263B48DBCBC1C21C0AA13E4D4516C446', '--json']).stdout);
  assert.deepEqual([g.checksum.type, g.checksum.value, g.checksum.verified, g.counter, g.pcntr], ['rc', '155D3A1A', true, 0x76, 4]);
  const c = JSON.parse(run(['parse', CC_ONLY, ...K1, '--json']).stdout);
  assert.deepEqual([c.checksum.value, c.checksum.verified, c.counter], ['826D5654A08AF149', true, 1]);
});

test('parse without keys shows the clear header and says what it could not check', () => {
  const r = run(['parse', 'sms', SJA2_CMD]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /TAR: B00010/);
  assert.match(r.stdout, /no KIc key/);
  const j = JSON.parse(run(['parse', 'sms', SJA2_CMD, '--json']).stdout);
  assert.equal(j.checksum.verified, null);
  assert.equal(j.counter, null);
  // unciphered CC packet without the KID key: data shown, CC not checked
  const c = JSON.parse(run(['parse', CC_ONLY, '--json']).stdout);
  assert.equal(c.data, 'A0A40000027F20A0C0000016');
  assert.equal(c.checksum.verified, null);
});

test('wrong keys and corrupted packets are verification failures: exit 1, the failing check named', () => {
  const badKid = run(['parse', SJA2_CMD, '--kic-key', 'F09C43EE1A0391665CC9F05AF4E0BD10', '--kid-key', '11981F4A20999F62AF99988007BAF6CA']);
  assert.equal(badKid.code, 1);
  assert.match(badKid.stderr, /CC mismatch/);
  const badKic = run(['parse', SJA2_CMD, '--kic-key', '119C43EE1A0391665CC9F05AF4E0BD10', '--kid-key', '01981F4A20999F62AF99988007BAF6CA']);
  assert.equal(badKic.code, 1);
  assert.match(badKic.stderr, /(CC mismatch|PCNTR)/);
  // one flipped bit in the CRC-32 of the Gemalto packet (last octet 03 → 02)
  const flipped = GEMALTO_CMD.slice(0, -2) + '02';
  const r = run(['parse', flipped, '--kic-key', '263B48DBCBC1C21C0AA13E4D4516C446', '--json']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.stdout);
  assert.equal(j.verified, false);
  // unciphered CC-only packet with one data octet changed
  const c = run(['parse', CC_ONLY.slice(0, -2) + '17', ...K1]);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /CC mismatch/);
});

test('PoR: parse the real SJA2 and SJA5 answers, from --request or --spi', () => {
  const a = run(['parse', 'por', SJA2_POR, '--request', SJA2_CMD, ...K1, '--json']);
  assert.equal(a.code, 0, a.stderr);
  const j = JSON.parse(a.stdout);
  assert.equal(j.tar, 'B00010');
  assert.deepEqual(j.status, { code: '00', name: 'PoR OK' });
  assert.deepEqual([j.checksum.type, j.checksum.value, j.checksum.verified], ['cc', '8FEAF52EF40EC214', true]);
  assert.equal(j.data, '0290000000FFFF7F2002000000000009B106350400838A838A');
  assert.equal(j.response.executed, 2);
  assert.equal(j.response.sw, '9000');
  const b = JSON.parse(run(['parse', SJA5_POR, '--spi', '0619', '--kic', '22', '--kid', '22', ...K2, '--json']).stdout);
  assert.deepEqual([b.status.code, b.checksum.value, b.checksum.verified, b.data, b.pcntr], ['00', '34D237DB461C150B', true, '016132', 14]);
  // §12.1: the replay rejection, unsecured, status 06
  const c = JSON.parse(run(['parse', '027100000B0AB0001000000000000006', '--spi', '1619', '--kic', '15', '--kid', '15', ...K1, '--json']).stdout);
  assert.deepEqual(c.status, { code: '06', name: 'unidentified security error' });
});

test('build por reproduces the card PoRs of §12.1 and §12.2', () => {
  const a = run(['build', 'por', '--request', SJA2_CMD, ...K1, '--executed', '2', '--sw', '9000', '--rdata', '0000FFFF7F2002000000000009B106350400838A838A', '--format', 'ud']);
  assert.equal(a.stdout, SJA2_POR + '\n', a.stderr);
  const b = run(['build', 'por', '--spi', '0619', '--kic', '22', '--kid', '22', ...K2, '--tar', 'B00011', '--counter', '0', '--data', '016132', '--format', 'ud']);
  assert.equal(b.stdout, SJA5_POR + '\n', b.stderr);
  // §12.5: the real eUICC PoR, an expanded remote response (AB 07 80 01 01 23 02 6D00) under an AES CMAC
  const c = run(['build', 'por', '--spi', '1609', '--kic', '12', '--kid', '12', '--tar', 'B00000', '--counter', '2',
    '--kic-key', '207C5D2C1AA80D58CD8F542FB9EF2F80', '--kid-key', '312367F1681902FD67D9A71C62A840E3',
    '--expanded', '--executed', '1', '--rapdu', '6D00', '--format', 'ud']);
  assert.equal(c.stdout, '027100001C12B00000000000000200007DB7086951F7DB55AB0780010123026D00\n', c.stderr);
  const j = JSON.parse(run(['parse', c.stdout.trim(), '--spi', '1609', '--kic', '12', '--kid', '12', '--kid-key', '312367F1681902FD67D9A71C62A840E3', '--json']).stdout);
  assert.deepEqual([j.checksum.verified, j.response.scriptFormat, j.response.executed, j.response.rapdus[0].sw], [true, 'expanded', 1, '6D00']);
});

test('bad input: one line on stderr naming field and offset, exit 2, never a stack trace', () => {
  const cases: Array<[string[], RegExp]> = [
    [['parse', '0028150'], /odd number of hex digits/],
    [['parse', '00zz'], /not a hex digit/],
    [['parse', 'sms', SJA2_CMD.slice(0, -4)], /CPL at byte 0: says 40 octets follow, 38 present/],
    [['parse', 'sms', '0003150600'], /CHL at byte 2: packet too short/],
    [['build', 'sms', '--kic', '15', '--kid', '15', ...K1, '--counter', '1099511627776', '--apdu', '00A40000'], /CNTR/],
    [['build', 'sms', '--kic', '15', '--kid', '15', '--kic-key', '0011', '--kid-key', '01981F4A20999F62AF99988007BAF6CA', '--apdu', '00A40000'], /KIc key.*16 octets/],
    [['build', 'sms', '--kic', '15', '--kid', '15', '--kic-key', 'F09C43EE1A0391665CC9F05AF4E0BD10', '--kid-key', 'F09C43EE1A039166F09C43EE1A039166', '--apdu', '00A40000'], /single DES/],
    [['build', 'sms', '--kic', '17', '--kid', '15', ...K1, '--apdu', '00A40000'], /KIc/],
    [['build', 'sms', '--spi', '0319', '--kic', '15', '--kid', '15', ...K1, '--apdu', '00A40000'], /(DS|digital signature)/i],
    [['build', 'sms', '--kic', '15', '--kid', '15', ...K1, '--tar', 'B000', '--apdu', '00A40000'], /TAR/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')} → ${r.code} ${r.stderr}`);
    assert.ok(isOneLineError(r.stderr), `not one line: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stdout, '');
  }
  // unknown option: usage error 2
  assert.equal(run(['build', 'sms', '--bogus']).code, 2);
});

test('keys are never printed', () => {
  const r = run(['parse', SJA2_CMD, ...K1, '--json']);
  assert.ok(!r.stdout.includes('F09C43EE1A0391665CC9F05AF4E0BD10'));
  assert.ok(!r.stdout.includes('01981F4A20999F62AF99988007BAF6CA'));
  const bad = run(['build', 'sms', '--kic', '15', '--kid', '15', '--kic-key', 'F09C43EE1A0391665CC9F05AF4E0BDXX', '--kid-key', '01981F4A20999F62AF99988007BAF6CA', '--apdu', '00A40000']);
  assert.equal(bad.code, 2);
  assert.ok(!bad.stderr.includes('F09C43EE'));
});

test('--counter next: parallel builds never reuse a counter, state survives', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-cntr-'));
  const state = join(dir, 'counters.json');
  const N = 12;
  const runs = await Promise.all(Array.from({ length: N }, () => runAsync(['build', 'sms', '--keyset', KEYSET, '--state', state, '--counter', 'next', '--spi', '1200', '--apdu', '00A40000', '--json'])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const counters = runs.map((r) => JSON.parse(r.stdout).counter).sort((a: number, b: number) => a - b);
  // a fresh state starts at 0 like a fresh card, so the first counter issued is 1
  assert.deepEqual(counters, Array.from({ length: N }, (_, i) => i + 1));
  const s = JSON.parse(readFileSync(state, 'utf8'));
  // JSON v1: counters are integers in the state file
  assert.equal(s.counters['kvn1/B00010'], N);
  assert.ok(!existsSync(state + '.lock'));
});

test('a ciphered PoR parsed without the command\'s SPI shows its clear header only, and says what is missing', () => {
  const r = run(['parse', SJA2_POR, ...K1, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.tar, 'B00010');
  assert.deepEqual([j.deciphered, j.counter, j.status, j.verified], [false, null, null, null]);
  assert.match(j.notes.join(' '), /--spi|--request/);
});

test('parsing with a 3DES key whose halves are equal is noted, not refused', () => {
  // 3DES 2-key with K1 = K2 is single DES: build refuses it, parse reads what a card sent with it
  const weak = '0123456789ABCDEF0123456789ABCDEF';
  const b = run(['build', 'sms', '--spi', '1200', '--kic', '15', '--kid', '15', '--kid-key', weak, '--apdu', '00A40000']);
  assert.equal(b.code, 2);
  // the same packet with a single-DES CBC-MAC under K (3DES EDE with K1 = K2 = K is DES with K), parsed as 3DES 2-key
  const p = run(['build', 'sms', '--spi', '1200', '--kic', '15', '--kid', '15', '--kid-alg', 'des-cbc-mac', '--kid-key', '0123456789ABCDEF', '--apdu', '00A40000']);
  assert.equal(p.code, 0, p.stderr);
  const j = JSON.parse(run(['parse', p.stdout.trim(), '--kid-key', weak, '--json']).stdout);
  assert.equal(j.checksum.verified, true);
  assert.match(j.notes.join(' '), /single DES/);
});

test('usage errors are one line too', () => {
  const r = run(['build', 'sms', '--bogus']);
  assert.equal(r.code, 2);
  assert.ok(isOneLineError(r.stderr), r.stderr);
});
