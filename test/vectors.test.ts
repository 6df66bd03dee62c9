/**
 * Golden vectors: `uicc-ota vectors verify|record`, run as a user would
 * (node bin/uicc-ota.js ...), plus the runner's diagnostics on deliberately
 * corrupted copies.
 *
 * Where expected values come from: the vector files themselves, whose every
 * expected octet was computed by vectors/tools/gen-vectors.sh with the openssl
 * CLI, xxd and python3 vectors/tools/crc.py, and the framing layers (SMS user
 * data, TPDUs, ENVELOPEs, SEND SHORT MESSAGE, CAT_TP PDUs) by
 * vectors/tools/framing.py from the digest's field tables (never with
 * uicc-ota code), or quoted from the real-card traces and tshark-verified
 * examples of the spec digest (secured-packet.md §12, sms-pp.md §6, §7, §8.2,
 * cat-tp.md §6, §7.3). The framing vectors are also decoded by Wireshark's own
 * dissectors (vectors/tools/tshark-check.py) as a second witness. The last
 * test re-runs the generator and checks that it reproduces the committed files
 * byte for byte, so a vector cannot silently be edited to match the engine.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, KEYSET, run, isOneLineError } from './helpers/cli.js';
import { validate, checkSupported } from '../src/vectors/schema.js';
import { byteDiff, partialMatch } from '../src/vectors/diff.js';
import { tsharkPath } from './helpers/tshark.js';

/** Bare secured packets (kinds command, response). */
const PACKETS = ['sms-pp-commands.json', 'responses.json', 'cattp-packets.json'];
/** Framing layers (kinds sms, por, cattp-pdu, cattp). */
const FRAMING = ['sms-pp-framing.json', 'por-framing.json', 'cattp-pdus.json'];
const GOLDEN = [...PACKETS, ...FRAMING];
type Case = Record<string, any>;
const load = (f: string): { cases: Case[] } & Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, 'vectors', f), 'utf8'));
const allCases = (): Case[] => GOLDEN.flatMap((f) => load(f).cases);
const packetCases = (): Case[] => PACKETS.flatMap((f) => load(f).cases);
const framingCases = (): Case[] => FRAMING.flatMap((f) => load(f).cases);
const findCase = (id: string): Case => {
  const c = allCases().find((x) => x.id === id);
  assert.ok(c, `golden case ${id} exists`);
  return structuredClone(c);
};
const lastLine = (s: string) => s.trimEnd().split('\n').pop();

/** Flip one octet (xor 01) of a hex string. */
function flip(hex: string, at: number): string {
  const b = Buffer.from(hex, 'hex');
  b[at] ^= 0x01;
  return b.toString('hex').toUpperCase();
}

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'uicc-ota-vectors-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A suite folder in tmp with keysets/test.json (the cases refer to it relatively) and the given files. */
function suite(name: string, files: Record<string, unknown>): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'keysets'), { recursive: true });
  copyFileSync(KEYSET, join(dir, 'keysets', 'test.json'));
  for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  return dir;
}
const file = (cases: Case[]) => ({ format: 'uicc-ota-vectors/1', description: 'test copy', cases });

describe('vectors verify on the golden suite', () => {
  it('passes every case of vectors/ and ends with the CI line', () => {
    const total = allCases().length;
    assert.ok(total >= 100, `suite has ${total} cases`);
    const r = run(['vectors', 'verify', 'vectors/']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(lastLine(r.stdout), `${total} passed, 0 failed`);
    const passLines = r.stdout.split('\n').filter((l) => l.startsWith('PASS '));
    assert.equal(passLines.length, total);
    for (const c of allCases()) assert.ok(passLines.includes(`PASS ${c.id}`), c.id);
  });

  // The same golden values, recomputed by OpenSSL alone, node-forge, and the built-in ciphers alone (the default, auto, mixes built-in and OpenSSL).
  for (const backend of ['native', 'forge', 'builtin']) {
    it(`passes every case with UICC_OTA_CRYPTO=${backend} too`, () => {
      const total = allCases().length;
      const r = run(['vectors', 'verify', 'vectors/'], { env: { UICC_OTA_CRYPTO: backend } });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(lastLine(r.stdout), `${total} passed, 0 failed`);
    });
  }

  it('an unknown UICC_OTA_CRYPTO is bad input (exit 2, one line)', () => {
    const r = run(['build', 'sms', '--keyset', KEYSET, '--apdu', '00A40004023F00'], { env: { UICC_OTA_CRYPTO: 'gpu' } });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /UICC_OTA_CRYPTO/);
  });

  it('defaults to ./vectors, and to the package\'s own vectors/ where the cwd has none', () => {
    const total = allCases().length;
    const here = run(['vectors', 'verify']);
    assert.equal(here.code, 0);
    assert.equal(lastLine(here.stdout), `${total} passed, 0 failed`);
    const elsewhere = run(['vectors', 'verify'], { cwd: tmp });
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    assert.equal(lastLine(elsewhere.stdout), `${total} passed, 0 failed`);
  });

  it('covers every algorithm, key length, dialect and kind', () => {
    const cases = packetCases();
    const keyLen = (c: Case, role: 'kic' | 'kid'): number => {
      if (c.inputs.keys?.[role]) return c.inputs.keys[role].length / 2;
      const kvn = parseInt(c.inputs[role][0], 16); // keyset KVN 1: 3DES 16 octets, KVN 2: AES-128
      return kvn === 1 ? 16 : kvn === 2 ? 16 : -1;
    };
    const seen = new Set<string>();
    for (const c of cases) {
      const f = c.expected.fields;
      seen.add(`${c.kind}/${c.dialect}`);
      if (f.cipherAlgorithm) seen.add(`cipher ${f.cipherAlgorithm}${f.cipherAlgorithm === 'aes-cbc' ? keyLen(c, 'kic') : ''} ${c.kind}`);
      if (f.checksum.type !== 'none') seen.add(`${f.checksum.type} ${f.checksum.algorithm}${f.checksum.algorithm === 'aes-cmac' ? keyLen(c, 'kid') : ''}/${f.checksum.value.length / 2} ${c.kind}`);
      if (c.kind === 'command') seen.add(`counter ${f.spi.hex.slice(0, 2) === '00' ? 'none' : ['none', 'available', 'higher', 'one-higher'][(parseInt(f.spi.hex.slice(0, 2), 16) >> 3) & 3]}`);
      if (c.kind === 'command' && f.data === '') seen.add('empty data');
      if (c.inputs.expanded) seen.add('expanded');
      if (c.provenance.method.startsWith('real-card')) seen.add('real card');
    }
    const want = [
      'command/sms-pp', 'response/sms-pp', 'command/cat_tp', 'response/cat_tp',
      ...['des-cbc', 'des-ecb', '3des-2key-cbc', '3des-3key-cbc', 'aes-cbc16', 'aes-cbc24', 'aes-cbc32'].flatMap((a) => [`cipher ${a} command`, `cipher ${a} response`]),
      ...['des-cbc-mac/8', '3des-2key-cbc-mac/8', '3des-3key-cbc-mac/8', 'aes-cmac16/8', 'aes-cmac24/8', 'aes-cmac32/8', 'aes-cmac16/4'].flatMap((a) => [`cc ${a} command`, `cc ${a} response`]),
      'rc crc16/2 command', 'rc crc32/4 command', 'rc crc16/2 response', 'rc crc32/4 response',
      'counter none', 'counter available', 'counter higher', 'counter one-higher', 'empty data', 'expanded', 'real card',
    ];
    for (const w of want) assert.ok(seen.has(w), `suite covers ${w}`);
  });

  it('records how every computed value was obtained', () => {
    for (const c of packetCases()) {
      const f = c.expected.fields;
      assert.ok(c.provenance.source.length > 10, c.id);
      const computed = f.ciphered || f.checksum.type !== 'none';
      const quotedOnly = /^real-card trace \(quoted\)$/.test(c.provenance.method);
      if (computed && !quotedOnly) assert.ok(c.provenance.commands.length >= 1, `${c.id} lists its commands`);
    }
  });
  it('covers every framing format, both concatenation references and every CAT_TP PDU type', () => {
    const seen = new Set<string>();
    for (const c of framingCases()) {
      const i = c.inputs;
      const n = Array.isArray(c.expected.hex) ? c.expected.hex.length : 1;
      const alg = c.expected.fields.cipherAlgorithm;
      if (c.kind === 'sms') {
        const conc = n === 1 ? 'single' : i.concat16 ? 'concat16' : 'concat8';
        seen.add(`sms ${i.format} ${conc}`);
        if (alg) seen.add(`sms ${i.format} ${conc} ${alg}`);
        if (n > 1) seen.add(`sms ${n} segments`);
      }
      if (c.kind === 'por') {
        seen.add(`por ${i.format}${n > 1 ? ' concat' : ''}`);
        if (alg) seen.add(`por ${alg}`);
      }
      if (c.kind === 'cattp-pdu') seen.add(`pdu ${i.type}${i.seg ? '+seg' : ''}`);
      if (c.kind === 'cattp') seen.add(`cattp ${n > 1 ? 'segmented' : 'single'}`);
      if (c.provenance.method.startsWith('real-card')) seen.add(`real card ${c.kind}`);
      if (i.packet) seen.add(`packet input ${c.kind}`);
      if (c.checks?.length === 1) seen.add(`parse-only ${c.kind}`);
    }
    const want = [
      ...['ud', 'tpdu', 'envelope'].flatMap((f) => ['single', 'concat8', 'concat16'].flatMap((x) => ['3des-2key-cbc', 'aes-cbc'].map((a) => `sms ${f} ${x} ${a}`))),
      'sms 2 segments', 'sms 3 segments',
      ...['ud', 'submit', 'deliver-report', 'proactive'].map((f) => `por ${f}`), 'por submit concat', 'por proactive concat', 'por 3des-2key-cbc', 'por aes-cbc',
      ...['syn', 'synack', 'ack', 'data', 'data+seg', 'eack', 'rst', 'nul'].map((t) => `pdu ${t}`), 'cattp single', 'cattp segmented',
      'real card sms', 'real card por', 'packet input sms', 'packet input por', 'packet input cattp', 'parse-only por',
    ];
    for (const w of want) assert.ok(seen.has(w), `suite covers ${w}`);
  });

  it('every framing vector records the framing.py commands that produced it', () => {
    for (const c of framingCases()) {
      const cmds: string[] = c.provenance.commands;
      assert.ok(cmds.some((x) => x.startsWith('python3 vectors/tools/framing.py ')), `${c.id} lists its framing.py commands`);
      const outs = Array.isArray(c.expected.hex) ? c.expected.hex : [c.expected.hex];
      assert.ok(outs.length >= 1 && outs.every((h: string) => /^([0-9A-F]{2})+$/.test(h)), c.id);
    }
  });

  it('framing.py rebuilds the digest\'s examples and real-card traces (its self-test)', () => {
    const r = spawnSync('python3', [join(ROOT, 'vectors', 'tools', 'framing.py'), '--self-test'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok');
  });
});

describe('vectors verify on corrupted copies', () => {
  it('a flipped ciphertext octet is named as the ciphered part, and the deciphered field too', () => {
    const c = findCase('card-sja2-3des-cc-cipher');
    c.expected.hex = flip(c.expected.hex, 20); // SMS-PP: ciphered part starts at octet 10 (CPL 2, CHL, SPI 2, KIc, KID, TAR 3)
    const dir = suite('cipher', { 'v.json': file([c]) });
    const r = run(['vectors', 'verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAIL card-sja2-3des-cc-cipher\b/m);
    assert.match(r.stdout, /build: byte 20 \(ciphered CNTR…padding\) differs: expected [0-9A-F]{2}, got [0-9A-F]{2}; deciphered, the first difference is in RC\/CC\/DS/);
    assert.match(r.stdout, /parse: verification failed: CC mismatch/);
    assert.equal(lastLine(r.stdout), '0 passed, 1 failed');
    const j = JSON.parse(run(['vectors', 'verify', dir, '--json']).stdout);
    const p = j.cases[0].problems.find((x: any) => x.stage === 'build');
    assert.equal(p.offset, 20);
    assert.equal(p.field, 'ciphered CNTR…padding / RC/CC/DS');
  });

  it('names clear header fields and the RC/CC of unciphered packets (SMS-PP, CAT_TP, PoR)', () => {
    const tar = findCase('sms-cmd-cc-3des2');
    tar.expected.hex = flip(tar.expected.hex, 7); // CPL 0-1, CHL 2, SPI 3-4, KIc 5, KID 6, TAR 7-9
    const rc = findCase('cattp-cmd-rc-crc32');
    rc.expected.hex = flip(rc.expected.hex, 17); // CPI 0, CPL 1, CHL 2, SPI 3-4, KIc 5, KID 6, TAR 7-9, CNTR 10-14, PCNTR 15, RC 16-19
    const st = findCase('sms-por-cc-3des2');
    st.expected.hex = flip(st.expected.hex, 12); // RPL 0-1, RHL 2, TAR 3-5, CNTR 6-10, PCNTR 11, status 12
    const data = findCase('sms-cmd-rc-crc16');
    data.expected.hex = flip(data.expected.hex, 20); // RC 16-17, secured data from 18
    const dir = suite('clear', { 'v.json': file([tar, rc, st, data]) });
    const r = run(['vectors', 'verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL sms-cmd-cc-3des2[^\n]*\n\s+build: byte 7 \(TAR\) differs/);
    assert.match(r.stdout, /FAIL cattp-cmd-rc-crc32[^\n]*\n\s+build: byte 17 \(RC\/CC\/DS\) differs/);
    assert.match(r.stdout, /FAIL sms-por-cc-3des2[^\n]*\n\s+build: byte 12 \(status\) differs/);
    assert.match(r.stdout, /FAIL sms-cmd-rc-crc16[^\n]*\n\s+build: byte 20 \(secured data\) differs/);
    assert.equal(lastLine(r.stdout), '0 passed, 4 failed');
  });

  it('names the JSON path of a wrong expected field', () => {
    const a = findCase('sms-cmd-cc-cipher-aes128');
    a.expected.fields.tar = 'B00011';
    const b = findCase('sms-cmd-expanded-cc-cipher-3des2');
    b.expected.fields.apdus[1] = '00B0000011';
    const c = findCase('sms-por-cc-cipher-aes128');
    c.expected.fields.checksum.value = '0000000000000000';
    const dir = suite('fields', { 'v.json': file([a, b, c]) });
    const r = run(['vectors', 'verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL sms-cmd-cc-cipher-aes128[^\n]*\n\s+fields: tar: expected "B00011", got "B00010"/);
    assert.match(r.stdout, /fields: apdus\[1\]: expected "00B0000011", got "00B0000010"/);
    assert.match(r.stdout, /fields: checksum\.value: expected "0000000000000000", got "[0-9A-F]{16}"/);
    assert.doesNotMatch(r.stdout, /build:/, 'the bytes still build');
    const j = JSON.parse(run(['vectors', 'verify', dir, '--json']).stdout);
    assert.deepEqual(j.cases.map((x: any) => x.problems[0].field), ['tar', 'apdus[1]', 'checksum.value']);
  });

  it('reports broken files and cases with file, case and field, and still runs the rest', () => {
    const good = [findCase('card-sja5-aes-cc-cipher'), findCase('card-gemalto-por-crc32-3des')];
    const noSpi = findCase('sms-cmd-cc-3des2');
    noSpi.id = 'bad-spi';
    noSpi.inputs.spi = '06';
    const unknown = findCase('sms-cmd-none');
    unknown.id = 'bad-kind';
    unknown.kind = 'sms-tpdu-v9';
    const nonHex = findCase('sms-cmd-none');
    nonHex.id = 'bad-hex';
    nonHex.expected.hex = '0028ZZ';
    const noProv = findCase('sms-cmd-none');
    noProv.id = 'no-provenance';
    delete noProv.provenance;
    const twice = findCase('sms-cmd-rc-crc32');
    twice.id = 'twice';
    const dir = suite('broken', {
      'a-good.json': file(good),
      'b-broken.json': '{ "format": "uicc-ota-vectors/1", "cases": [ ',
      'c-format.json': { format: 'uicc-ota-vectors/0', description: 'x', cases: [] },
      'd-cases.json': file([twice, noSpi, unknown, nonHex, noProv, twice]),
      'schema.json': '{ "this is": "skipped by name" }',
    });
    const r = run(['vectors', 'verify', dir]);
    assert.equal(r.code, 1);
    const out = r.stdout;
    assert.match(out, /^PASS card-sja5-aes-cc-cipher$/m);
    assert.match(out, /^PASS card-gemalto-por-crc32-3des$/m);
    assert.match(out, /^FAIL \S*b-broken\.json\s+\(invalid vector file\)\n\s+not valid JSON/m);
    assert.match(out, /^FAIL \S*c-format\.json\s+\(invalid vector file\)\n\s+format: must be "uicc-ota-vectors\/1"/m);
    assert.match(out, /^FAIL bad-spi\s+\(\S*d-cases\.json, invalid vector\)\n\s+inputs\.spi: "06" does not match/m);
    assert.match(out, /^FAIL bad-kind\s+\(\S*d-cases\.json, invalid vector\)\n\s+kind: unknown kind "sms-tpdu-v9" \(known: command, response, sms, por, cattp-pdu, cattp\)/m);
    assert.match(out, /^FAIL bad-hex\s+\(\S*d-cases\.json, invalid vector\)\n\s+expected\.hex: "0028ZZ" does not match/m);
    assert.match(out, /^FAIL no-provenance\s+\(\S*d-cases\.json, invalid vector\)\n\s+provenance: is required but missing/m);
    assert.match(out, /^PASS twice$/m);
    assert.match(out, /^FAIL twice\s+\(\S*d-cases\.json, invalid vector\)\n\s+id: duplicate id \(also cases\[0\]\)/m);
    assert.doesNotMatch(out, /skipped by name/);
    assert.equal(lastLine(out), '3 passed, 7 failed');
    const j = JSON.parse(run(['vectors', 'verify', dir, '--json']).stdout);
    assert.equal(j.passed, 3);
    assert.equal(j.failed, 7);
    assert.equal(j.errors, 7);
    const bad = j.cases.find((x: any) => x.id === 'bad-spi');
    assert.equal(bad.status, 'error');
    assert.match(bad.file, /d-cases\.json$/);
    assert.equal(bad.problems[0].field, 'inputs.spi');
  });

  it('names the framing field of corrupted SMS-PP vectors: TP-UDL, TP-SCTS, UDH concatenation IE, ENVELOPE Lc', () => {
    const udl = findCase('sms-tpdu-3des'); // first octet 0, TP-OA (+491234567) 1-7, PID 8, DCS 9, SCTS 10-16, TP-UDL 17
    udl.expected.hex[0] = flip(udl.expected.hex[0], 17);
    const scts = findCase('sms-tpdu-aes-shortcode-dcs16'); // TP-OA (910) 1-4, PID 5, DCS 6, SCTS 7-13
    scts.expected.hex[0] = flip(scts.expected.hex[0], 9);
    const ie = findCase('sms-tpdu-concat16-2seg-3des'); // TP-OA (12345678) 1-6, PID 7, DCS 8, SCTS 9-15, UDL 16, UDHL 17, IE 08 04 rrrr NN kk 18-23
    ie.expected.hex[1] = flip(ie.expected.hex[1], 23);
    const lc = findCase('sms-envelope-concat8-2seg-3des'); // 80 C2 00 00 Lc
    lc.expected.hex[1] = flip(lc.expected.hex[1], 4);
    const por = findCase('card-gemalto-por-submit'); // 41, MR, TP-DA 03 81 19 F0 (2-5), PID 6, DCS 7, TP-UDL 8
    por.expected.hex[0] = flip(por.expected.hex[0], 8);
    // ENVELOPE header 0-4, D1 len 5-6, 82 02 83 81 7-10, 86 06 … 11-18, 8B len 19-20, TPDU from 21 (UD at 21+18, packet at 21+21):
    // CPL 42-43, CHL 44, SPI 45-46, KIc 47, KID 48, TAR 49-51, ciphered from 52 (CNTR 5, PCNTR 1, then the CC)
    const cc = findCase('sms-envelope-3des');
    cc.expected.hex[0] = flip(cc.expected.hex[0], 60);
    const dir = suite('framing', { 'v.json': file([udl, scts, ie, lc, por, cc]) });
    const r = run(['vectors', 'verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL sms-tpdu-3des[^\n]*\n\s+build: byte 17 \(TP-UDL\) differs: expected 2C, got 2D/);
    assert.match(r.stdout, /parse: SMS-DELIVER TP-UDL at byte 17: says 44 octets, 45 present/);
    assert.match(r.stdout, /FAIL sms-tpdu-aes-shortcode-dcs16[^\n]*\n\s+build: byte 9 \(TP-SCTS\) differs/);
    assert.match(r.stdout, /FAIL sms-tpdu-concat16-2seg-3des[^\n]*\n\s+build: output 2: byte 23 \(UDH concatenation IE\) differs: expected 03, got 02/);
    assert.match(r.stdout, /FAIL sms-envelope-concat8-2seg-3des[^\n]*\n\s+build: output 2: byte 4 \(ENVELOPE Lc\) differs/);
    assert.match(r.stdout, /FAIL card-gemalto-por-submit[^\n]*\n\s+build: byte 8 \(TP-UDL\) differs: expected 30, got 31/);
    assert.match(r.stdout, /FAIL sms-envelope-3des[^\n]*\n\s+build: byte 60 \(ciphered CNTR…padding\) differs: [^\n]*deciphered, the first difference is in RC\/CC\/DS/);
    assert.equal(lastLine(r.stdout), '0 passed, 6 failed');
    const j = JSON.parse(run(['vectors', 'verify', dir, '--json']).stdout);
    const build = j.cases.map((x: any) => x.problems.find((p: any) => p.stage === 'build'));
    assert.deepEqual(build.map((p: any) => p.field), ['TP-UDL', 'TP-SCTS', 'UDH concatenation IE', 'ENVELOPE Lc', 'TP-UDL', 'ciphered CNTR…padding / RC/CC/DS']);
    assert.deepEqual(build.map((p: any) => p.output), [0, 0, 1, 1, 0, 0]);
  });

  it('names the CAT_TP header field and reports a corrupted checksum', () => {
    const ck = findCase('example-cattp-syn'); // checksum at octets 16-17 (5E37)
    ck.expected.hex = flip(ck.expected.hex, 17);
    const win = findCase('example-cattp-rst'); // window size 14-15
    win.expected.hex = flip(win.expected.hex, 15);
    const seq = findCase('cattp-3des-3pdus'); // PDU 2: sequence number 10-11 (0002)
    seq.expected.hex[1] = flip(seq.expected.hex[1], 11);
    const dir = suite('cattp', { 'v.json': file([ck, win, seq]) });
    const r = run(['vectors', 'verify', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAIL example-cattp-syn[^\n]*\n\s+build: byte 17 \(checksum\) differs: expected 36, got 37\n\s+fields: checksum\.value: expected "5E37", got "5E36"\n\s+parse: verification failed: CAT_TP checksum 0x5E36, should be 0x5E37/);
    assert.match(r.stdout, /FAIL example-cattp-rst[^\n]*\n\s+build: byte 15 \(window size\) differs/);
    assert.match(r.stdout, /FAIL cattp-3des-3pdus[^\n]*\n\s+build: output 2: byte 11 \(CAT_TP sequence number\) differs: expected 03, got 02/);
    assert.equal(lastLine(r.stdout), '0 passed, 3 failed');
  });

  it('a path that does not exist is a failure, not a crash', () => {
    const r = run(['vectors', 'verify', join(tmp, 'nope.json'), 'vectors/responses.json']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /nope\.json\s+\(invalid vector file\)\n\s+cannot read: ENOENT/);
    assert.equal(lastLine(r.stdout), `${load('responses.json').cases.length} passed, 1 failed`);
  });
});

describe('vectors verify options', () => {
  it('--filter selects by id or kind (regex)', () => {
    const byId = run(['vectors', 'verify', '--filter', '^card-']);
    const ids = allCases().filter((c) => /^card-/.test(c.id)).length;
    assert.equal(byId.code, 0);
    assert.equal(lastLine(byId.stdout), `${ids} passed, 0 failed`);
    const byKind = run(['vectors', 'verify', '--filter', '^response$']);
    assert.equal(lastLine(byKind.stdout), `${allCases().filter((c) => c.kind === 'response').length} passed, 0 failed`);
    const none = run(['vectors', 'verify', '--filter', 'no-such-case']);
    assert.equal(none.code, 1, 'selecting nothing must not pass');
    assert.equal(lastLine(none.stdout), '0 passed, 0 failed');
    assert.match(none.stderr, /no vector case matched/);
    const bad = run(['vectors', 'verify', '--filter', '(']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^uicc-ota: --filter: not a valid regular expression/);
  });

  it('--json gives a machine-readable report', () => {
    const r = run(['vectors', 'verify', 'vectors/cattp-packets.json', '--json']);
    assert.equal(r.code, 0);
    const j = JSON.parse(r.stdout);
    assert.equal(j.format, 'uicc-ota-vectors-report/1');
    assert.equal(j.passed, load('cattp-packets.json').cases.length);
    assert.equal(j.failed, 0);
    assert.ok(j.cases.every((c: any) => c.status === 'pass' && c.dialect === 'cat_tp' && c.problems.length === 0));
  });

  it('colours PASS/FAIL only when asked (FORCE_COLOR) and never with NO_COLOR', () => {
    const plain = run(['vectors', 'verify', 'vectors/cattp-packets.json']);
    assert.doesNotMatch(plain.stdout, /\x1b\[/);
    const coloured = run(['vectors', 'verify', 'vectors/cattp-packets.json'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    assert.match(coloured.stdout, /\x1b\[32mPASS\x1b\[39m cattp-cmd-none/);
    assert.equal(lastLine(coloured.stdout), `${load('cattp-packets.json').cases.length} passed, 0 failed`, 'the CI line stays plain');
  });
});

describe('vectors record', () => {
  const base = ['vectors', 'record', '--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '7', '--apdu', '00A40004023F00'];

  it('writes a case that verifies, refuses to overwrite it without --force', () => {
    const dir = join(tmp, 'record');
    mkdirSync(dir, { recursive: true });
    const out = join(dir, 'rec.json');
    const first = run([...base, '--out', out, '--id', 'r1', '--description', 'SELECT MF', '--provenance', 'checked with pySim ota.py']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^recorded case r1 in /);
    const written = readFileSync(out, 'utf8');
    const doc = JSON.parse(written);
    assert.equal(doc.format, 'uicc-ota-vectors/1');
    const c = doc.cases[0];
    assert.equal(c.provenance.method, 'recorded');
    assert.equal(c.provenance.source, 'checked with pySim ota.py');
    assert.equal(c.inputs.counter, 7);
    assert.deepEqual(c.inputs.apdus, ['00A40004023F00']);
    assert.equal(c.expected.fields.tar, 'B00010');
    // Same packet as `build sms` (engine self-consistency only; the golden files hold the independent checks).
    const built = run(['build', 'sms', '--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '7', '--apdu', '00A40004023F00']);
    assert.equal(c.expected.hex, built.stdout.trim());

    const again = run([...base, '--out', out, '--id', 'r1']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /case "r1" already exists .*--force/);
    assert.equal(readFileSync(out, 'utf8'), written, 'file untouched');

    const forced = run([...base, '--out', out, '--id', 'r1', '--counter', '8', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^replaced case r1/);
    const doc2 = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(doc2.cases.length, 1);
    assert.equal(doc2.cases[0].inputs.counter, 8);

    const v = run(['vectors', 'verify', out]);
    assert.equal(v.code, 0, v.stdout);
    assert.equal(lastLine(v.stdout), '1 passed, 0 failed');
  });

  it('stores inline keys only with --store-keys, never keys from the environment or a file', () => {
    const dir = join(tmp, 'record-keys');
    mkdirSync(dir, { recursive: true });
    const kidFile = join(dir, 'kid.hex');
    writeFileSync(kidFile, '01981F4A20999F62AF99988007BAF6CA');
    const out = join(dir, 'rec.json');
    const r = run(['vectors', 'record', '--out', out, '--id', 'k1', '--spi', '0619', '--kic', '15', '--kid', '15', '--kid-key', `@${kidFile}`, '--data', '0102'],
      { env: { UICC_OTA_KIC: 'F09C43EE1A0391665CC9F05AF4E0BD10' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: the KIc key and KID key were not stored \(keys are written only with --store-keys\)/);
    const text = readFileSync(out, 'utf8');
    assert.doesNotMatch(text, /F09C43EE|01981F4A/);
    // The file lies outside the package: $schema is the schema's $id, not an install-dependent path.
    assert.equal(JSON.parse(text).$schema, 'urn:uicc-ota:vectors:1');
    // Inline keys without --store-keys: not written either.
    const plain = run(['vectors', 'record', '--out', out, '--id', 'k0', '--spi', '0209', '--kic', '15', '--kid', '15', '--kid-key', '01981F4A20999F62AF99988007BAF6CA', '--data', '0102']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /warning: the KID key was not stored/);
    assert.doesNotMatch(readFileSync(out, 'utf8'), /01981F4A/);
    const inline = run(['vectors', 'record', '--out', out, '--id', 'k2', '--spi', '0209', '--kic', '15', '--kid', '15', '--kid-key', '01981F4A20999F62AF99988007BAF6CA', '--data', '0102', '--store-keys']);
    assert.equal(inline.code, 0, inline.stderr);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(doc.cases[2].inputs.keys, { kid: '01981F4A20999F62AF99988007BAF6CA' });
    const v = run(['vectors', 'verify', out, '--filter', '^k2$']);
    assert.equal(lastLine(v.stdout), '1 passed, 0 failed');
  });

  it('records a PoR (kind response) that verifies', () => {
    const out = join(tmp, 'record-por.json');
    const r = run(['vectors', 'record', '--out', out, '--kind', 'response', '--dialect', 'cat_tp', '--id', 'p1', '--spi', '0619', '--kic', '22', '--kid', '22',
      '--keyset', KEYSET, '--tar', 'B00011', '--data', '016132', '--provenance', 'test']);
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(readFileSync(out, 'utf8')).cases[0];
    assert.equal(c.kind, 'response');
    assert.equal(c.expected.hex.slice(0, 2), '02', 'CAT_TP RPI');
    assert.deepEqual(c.expected.fields.status, { code: '00' });
    assert.equal(c.expected.fields.data, '016132');
    assert.equal(lastLine(run(['vectors', 'verify', out]).stdout), '1 passed, 0 failed');
  });

  it('will not add to a file that is not a vector file', () => {
    const out = join(tmp, 'not-vectors.json');
    writeFileSync(out, '{"keysets": []}');
    const r = run([...base, '--out', out]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /not a valid vector file/);
    assert.equal(readFileSync(out, 'utf8'), '{"keysets": []}');
  });
});

describe('vectors record: every kind, with the options of its build command', () => {
  // Expected octets: the golden case each command line reproduces (independent: openssl, crc.py, framing.py, real-card
  // traces; see the file header). Corrupted offsets and field names: the layouts of the spec digest, as commented.
  const hexes = (h: string | string[]) => (Array.isArray(h) ? h : [h]).map((x) => x.replace(/\s/g, '').toUpperCase());

  /** Record into a fresh file; the case must equal the golden one, verify, and fail naming `field` once octet `at` of output `output` is flipped. */
  function roundTrip(name: string, args: string[], golden: string, corrupt: { output?: number; at: number; field: string }): Case {
    const out = join(tmp, `rec-${name}.json`);
    const r = run(['vectors', 'record', '--out', out, '--id', name, '--provenance', `same command line as golden case ${golden}`, ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^recorded case ${name} in `));
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    const c = doc.cases[0];
    const g = findCase(golden);
    assert.equal(c.kind, g.kind);
    assert.equal(c.dialect, g.dialect);
    assert.deepEqual(hexes(c.expected.hex), hexes(g.expected.hex), `${name}: the octets of golden case ${golden}`);
    assert.equal(c.provenance.method, 'recorded');
    assert.match(c.provenance.commands[0], new RegExp(`^uicc-ota vectors record --out \\S+ --kind ${c.kind} --dialect ${c.dialect}`));

    const v = run(['vectors', 'verify', out]);
    assert.equal(v.code, 0, v.stdout);
    assert.equal(lastLine(v.stdout), '1 passed, 0 failed');

    const n = corrupt.output ?? 0;
    const list = hexes(c.expected.hex);
    list[n] = flip(list[n], corrupt.at);
    doc.cases[0].expected.hex = Array.isArray(c.expected.hex) ? list : list[0];
    const bad = join(tmp, `rec-${name}-corrupt.json`);
    writeFileSync(bad, JSON.stringify(doc));
    const f = run(['vectors', 'verify', bad]);
    assert.equal(f.code, 1, f.stdout);
    const which = list.length > 1 ? `output ${n + 1}: ` : '';
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    assert.match(f.stdout, new RegExp(`^FAIL ${name}\\b[^\\n]*\\n\\s+build: ${esc(which)}byte ${corrupt.at} \\(${esc(corrupt.field)}\\) differs`, 'm'));
    assert.equal(lastLine(f.stdout), '0 passed, 1 failed');
    const j = JSON.parse(run(['vectors', 'verify', bad, '--json']).stdout);
    const p = j.cases[0].problems.find((x: any) => x.stage === 'build');
    assert.equal(p.field, corrupt.field);
    assert.equal(p.offset, corrupt.at);
    return c;
  }

  it('command (build sms line)', () => {
    // CPL 0-1, CHL 2, SPI 3-4, KIc 5, KID 6, TAR 7-9
    roundTrip('rec-command', ['--keyset', KEYSET, '--spi', '0209', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', '00A40004023F00', '--apdu', '00B0000010'],
      'sms-cmd-cc-3des2', { at: 7, field: 'TAR' });
  });

  it('response (build por --cattp line)', () => {
    // CAT_TP dialect: RPI 0, RPL 1, RHL 2, TAR 3-5, CNTR 6-10, PCNTR 11, status 12
    roundTrip('rec-response', ['--kind', 'response', '--cattp', '--keyset', KEYSET, '--spi', '0209', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--data', '019000'],
      'cattp-por-cc-3des2', { at: 12, field: 'status' });
  });

  it('response from --request: SPI, KIc, KID, TAR and CNTR taken from the real SJA2 command', () => {
    const request = findCase('card-sja2-3des-cc-cipher').expected.hex; // the real card's command packet (secured-packet.md §12)
    const c = roundTrip('rec-response-request', ['--kind', 'response', '--request', request, '--keyset', KEYSET, '--data', '0290000000FFFF7F2002000000000009B106350400838A838A'],
      'card-sja2-por-3des-cc-cipher', { at: 3, field: 'TAR' }); // SMS-PP: RPL 0-1, RHL 2, TAR 3-5
    assert.deepEqual([c.inputs.spi, c.inputs.kic, c.inputs.kid, c.inputs.tar, c.inputs.counter], ['0619', '15', '15', 'B00010', 0]);
  });

  it('sms (build sms --format tpdu line; --scts as an ISO date is stored as the 7 TP-SCTS octets)', () => {
    // SMS-DELIVER: first octet 0, TP-OA 1-7 (+491234567: length, TOA, 5 octets), TP-PID 8, TP-DCS 9, TP-SCTS 10-16
    const c = roundTrip('rec-sms', ['--kind', 'sms', '--format', 'tpdu', '--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010',
      '--apdu', '00A40004023F00', '--apdu', '00B0000010', '--oa', '+491234567', '--scts', '2025-01-17T13:54:12Z'], 'sms-tpdu-3des', { at: 12, field: 'TP-SCTS' });
    // TS 23.040 cl. 9.2.3.11: semi-octets, digits swapped: 25-01-17 13:54:12 +00 → 52 10 71 31 45 21 00 (the golden case's input)
    assert.equal(c.inputs.scts, '52107131452100');
    assert.equal(c.inputs.oa, '+491234567');
  });

  it('sms inferred from --format envelope, with --oa-ton/--oa-npi', () => {
    // ENVELOPE: CLA 0, INS 1, P1 2, P2 3, Lc 4
    const c = roundTrip('rec-sms-envelope', ['--format', 'envelope', '--keyset', KEYSET, '--spi', '0619', '--kic', '22', '--kid', '22', '--tar', 'B00010',
      '--apdu', '00A40004023F00', '--apdu', '00B0000010', '--oa', '0123456789', '--oa-ton', '2', '--oa-npi', '8', '--scts', '62301321000040'],
    'sms-envelope-aes-national', { at: 4, field: 'ENVELOPE Lc' });
    assert.equal(c.kind, 'sms');
    assert.deepEqual([c.inputs.ton, c.inputs.npi], [2, 8]);
  });

  it('sms in two segments with --concat-ref/--concat-16 (one output per SMS)', () => {
    // 2nd SMS-DELIVER: first octet 0, default TP-OA 12345678 1-6, TP-PID 7, TP-DCS 8, TP-SCTS 9-15, TP-UDL 16, UDHL 17, IE 08 18-23
    const c = roundTrip('rec-sms-concat', ['--kind', 'sms', '--format', 'tpdu', '--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010',
      '--data', findCase('sms-tpdu-concat16-2seg-3des').inputs.data, '--concat-ref', '4660', '--concat-16'],
    'sms-tpdu-concat16-2seg-3des', { output: 1, at: 20, field: 'UDH concatenation IE' });
    assert.equal(hexes(c.expected.hex).length, 2);
    assert.deepEqual([c.inputs.concatRef, c.inputs.concat16], [4660, true]);
  });

  it('por (build por --format submit line, compact response from --executed/--sw)', () => {
    // SMS-SUBMIT: first octet 0, TP-MR 1, TP-DA 2-8 (+491234567), TP-PID 9, TP-DCS 10, no TP-VP (VPF 0), TP-UDL 11
    const c = roundTrip('rec-por', ['--kind', 'por', '--format', 'submit', '--keyset', KEYSET, '--spi', '0639', '--kic', '22', '--kid', '22', '--tar', 'B00010',
      '--executed', '1', '--sw', '9000', '--da', '+491234567'], 'por-submit-aes', { at: 11, field: 'TP-UDL' });
    assert.equal(c.inputs.data, '019000'); // TS 102 226 cl. 5.1.2: number of commands executed ‖ SW of the last
  });

  it('por (error PoR: --unsecured --status 06 in an SMS-DELIVER-REPORT)', () => {
    // SMS-DELIVER-REPORT: first octet 0, TP-PI 1 (07: PID, DCS, UDL present)
    roundTrip('rec-por-unsecured', ['--kind', 'por', '--format', 'deliver-report', '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--status', '06', '--unsecured'],
      'por-deliver-report-replay-06', { at: 1, field: 'TP-PI' });
  });

  it('cattp-pdu (cattp build syn line; --type infers the kind; --iccid)', () => {
    // SYN: 18-octet header, max PDU 18-19, max SDU 20-21, identification length 22, identification 23-32
    const c = roundTrip('rec-pdu-syn', ['--type', 'syn', '--src-port', '1024', '--dst-port', '1', '--seq', '0x1234', '--iccid', '8988211000000467285'],
      'example-cattp-syn', { at: 25, field: 'identification' });
    assert.equal(c.kind, 'cattp-pdu');
    assert.deepEqual([c.inputs.maxPdu, c.inputs.maxSdu, c.inputs.window], [1024, 2048, 4], 'the defaults of cattp build');
  });

  it('cattp-pdu (rst with --reason, --rst-ack; ack --data is a data PDU)', () => {
    // RST: 18-octet header, reason code 18
    roundTrip('rec-pdu-rst', ['--kind', 'cattp-pdu', '--type', 'rst', '--reason', '5', '--rst-ack', '--src-port', '1', '--dst-port', '1024', '--seq', '8192', '--ack', '4096'],
      'cattp-rst-ack-05', { at: 18, field: 'reason code' });
    // flags 0, RFU 1-2, header length 3, source port 4-5, destination port 6-7, data length 8-9
    const c = roundTrip('rec-pdu-data', ['--type', 'ack', '--data', '011B0D00000000B00010000000000000A0A40000027F20', '--src-port', '1', '--dst-port', '1024',
      '--seq', '4661', '--ack', '22136'], 'example-cattp-ack-data23', { at: 8, field: 'data length' });
    assert.equal(c.inputs.type, 'data');
  });

  it('cattp (build cattp line: three data PDUs)', () => {
    // second PDU: flags 0 … checksum 16-17; sequence number 10-11
    roundTrip('rec-cattp', ['--kind', 'cattp', '--keyset', KEYSET, '--spi', '0609', '--kic', '22', '--kid', '22', '--tar', 'B00010',
      '--apdu', '00A40004023F00', '--apdu', '00B0000010', '--max-pdu', '34', '--seq', '65534', '--ack', '7', '--window', '2'],
    'cattp-aes-3pdus-wrap', { output: 1, at: 10, field: 'CAT_TP sequence number' });
  });

  it('refuses options of another kind, formats of another kind, and a dialect the kind does not have', () => {
    const out = join(tmp, 'rec-refused.json');
    const cmd = ['vectors', 'record', '--out', out, '--spi', '0000', '--kic', '00', '--kid', '00', '--data', '01'];
    const status = run([...cmd, '--format', 'ud', '--status', '01']);
    assert.equal(status.code, 2);
    assert.match(status.stderr, /--status: is for --kind response\|por, not sms \(the kind --format ud implies; say --kind\)/);
    const fmt = run([...cmd, '--kind', 'command', '--format', 'tpdu']);
    assert.equal(fmt.code, 2);
    assert.match(fmt.stderr, /--format: kind command takes --format packet; --format tpdu is --kind sms/);
    const pdu = run([...cmd, '--kind', 'response', '--cattp', '--format', 'pdu']);
    assert.equal(pdu.code, 2);
    assert.match(pdu.stderr, /no vector kind holds a PoR in CAT_TP PDUs/);
    const dialect = run([...cmd, '--kind', 'sms', '--format', 'ud', '--dialect', 'cat_tp']);
    assert.equal(dialect.code, 2);
    assert.match(dialect.stderr, /--dialect: kind sms exists only for the sms-pp dialect/);
    const counter = run(['vectors', 'record', '--out', out, '--type', 'nul', '--counter', '1']);
    assert.equal(counter.code, 2);
    assert.match(counter.stderr, /--counter: is for --kind command\|response\|sms\|por\|cattp, not cattp-pdu/);
    const noFormat = run([...cmd, '--kind', 'por']);
    assert.equal(noFormat.code, 2);
    assert.match(noFormat.stderr, /kind por needs --format ud\|submit\|deliver-report\|proactive/);
    // Valid for build sms, not for the schema: refused before anything is written.
    const smsc = run([...cmd, '--format', 'envelope', '--smsc', '12*3']);
    assert.equal(smsc.code, 2);
    assert.match(smsc.stderr, /would not match vectors\/schema.json \(inputs\.smsc: .*not written/);
    for (const r of [status, fmt, pdu, dialect, counter, noFormat, smsc]) assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.throws(() => readFileSync(out), /ENOENT/, 'nothing written');
  });

  it('keeps refusing to replace a case of a framing kind without --force, and warns without --provenance', () => {
    const out = join(tmp, 'rec-force.json');
    const cmd = ['vectors', 'record', '--out', out, '--id', 'f1', '--type', 'nul', '--seq', '1'];
    const first = run(cmd);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /warning: no --provenance: the case says it is not independently checked/);
    const written = readFileSync(out, 'utf8');
    assert.match(JSON.parse(written).cases[0].provenance.source, /NOT independent/);
    const again = run([...cmd, '--seq', '2']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /case "f1" already exists .*--force/);
    assert.equal(readFileSync(out, 'utf8'), written);
    const forced = run([...cmd, '--seq', '2', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).cases[0].inputs.seq, 2);
  });
});

describe('vector schema and diff helpers', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'vectors', 'schema.json'), 'utf8'));

  it('the validator implements every keyword the schema uses, and refuses others', () => {
    assert.doesNotThrow(() => checkSupported(schema));
    assert.throws(() => checkSupported({ type: 'object', dependentRequired: {} }), /keyword "dependentRequired"/);
  });

  it('every golden file validates against vectors/schema.json', () => {
    for (const f of GOLDEN) assert.deepEqual(validate(schema, schema, load(f)), [], f);
  });

  it('partialMatch ignores extra actual keys but not extra list entries', () => {
    assert.equal(partialMatch({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 }), null);
    assert.equal(partialMatch({ l: ['A'] }, { l: ['A', 'B'] })?.path, 'l');
    assert.equal(partialMatch({ a: [{ x: 1 }, { x: 2 }] }, { a: [{ x: 1 }, { x: 3 }] })?.path, 'a[1].x');
    assert.equal(partialMatch({ v: null }, { v: false })?.path, 'v');
  });

  it('byteDiff reports lengths and offsets', () => {
    const d = byteDiff(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2), { spans: [{ name: 'X', start: 0, end: 3 }] });
    assert.equal(d?.message, 'length differs: expected 3 octets, got 2; byte 2 (X) differs: expected 03, got (none)');
    assert.equal(byteDiff(Uint8Array.of(1), Uint8Array.of(1)), null);
  });
});

describe('Wireshark as a second witness of the framing vectors', () => {
  const check = (files: string[]) => {
    const tshark = tsharkPath(); // fails loudly (never skips) when tshark is missing
    return spawnSync('python3', [join(ROOT, 'vectors', 'tools', 'tshark-check.py'), ...files], { encoding: 'utf8', env: { ...process.env, TSHARK: tshark } });
  };

  it('tshark decodes every framing and CAT_TP vector into the fields its inputs ask for', () => {
    const r = check(FRAMING.map((f) => join(ROOT, 'vectors', f)));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const n = framingCases().length;
    const m = /^tshark-check: (\d+) cases, (\d+) checks, 0 failed$/.exec(lastLine(r.stdout) ?? '');
    assert.ok(m, lastLine(r.stdout));
    assert.equal(Number(m[1]), n);
    assert.ok(Number(m[2]) >= 10 * n, `${m[2]} checks`);
  });

  it('and is not vacuous: bytes that disagree with the inputs fail', () => {
    const a = findCase('sms-envelope-concat16-3seg-aes');
    a.inputs.concatRef = 1;
    const b = findCase('example-cattp-eack');
    b.inputs.eack = [22137, 22145];
    const c = findCase('por-submit-aes');
    c.inputs.da = '+491234568';
    const d = findCase('cattp-aes-3pdus-wrap');
    d.expected.hex[1] = flip(d.expected.hex[1], 17); // checksum
    const dir = suite('tshark-neg', { 'v.json': file([a, b, c, d]) });
    const r = check([join(dir, 'v.json')]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /FAIL sms-envelope-concat16-3seg-aes\n\s+segment 1 concatenation reference: tshark shows \['65535'\], expected \['1'\]/);
    assert.match(r.stdout, /FAIL example-cattp-eack\n[\s\S]*EACK list: tshark shows \['22137', '22144'\]/);
    assert.match(r.stdout, /FAIL por-submit-aes\n[\s\S]*TP-DA: tshark shows \['491234567'\], expected \['491234568'\]/);
    assert.match(r.stdout, /FAIL cattp-aes-3pdus-wrap\n[\s\S]*PDU 2 checksum status: tshark shows '0', expected '1'/);
    assert.equal(lastLine(r.stdout), 'tshark-check: 4 cases, ' + /(\d+) checks/.exec(lastLine(r.stdout) ?? '')![1] + ' checks, 4 failed');
  });
});

describe('the generator reproduces the committed vectors', () => {
  it('vectors/tools/gen-vectors.sh writes the same six files', () => {
    for (const tool of ['openssl', 'xxd', 'python3', 'bash']) {
      const w = spawnSync('sh', ['-c', `command -v ${tool}`]);
      assert.equal(w.status, 0, `${tool} is needed to regenerate the golden vectors (vectors/tools/gen-vectors.sh) and is not installed`);
    }
    const dir = join(tmp, 'regen');
    mkdirSync(dir, { recursive: true });
    const g = spawnSync('bash', [join(ROOT, 'vectors', 'tools', 'gen-vectors.sh'), dir], { encoding: 'utf8' });
    assert.equal(g.status, 0, g.stderr);
    assert.deepEqual(readdirSync(dir).sort(), [...GOLDEN].sort());
    // Only the OpenSSL version named in provenance.method may differ between machines.
    const norm = (s: string) => s.replace(/OpenSSL \d+\.\d+\.\d+\w*/g, 'OpenSSL x');
    for (const f of GOLDEN) {
      assert.equal(norm(readFileSync(join(dir, f), 'utf8')), norm(readFileSync(join(ROOT, 'vectors', f), 'utf8')), `${f} differs from what the generator writes`);
    }
  });
});
