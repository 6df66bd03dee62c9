/**
 * The library API (src/api/index.ts) against the CLI: for every command, the
 * same inputs through the API and through `--json` give identical objects
 * (both come from the same functions; this checks they cannot drift), and
 * bad input throws the typed error with the message the CLI prints.
 *
 * Expected octets: vector cases of vectors/sms-pp-commands.json and
 * vectors/responses.json (computed by vectors/tools/gen-vectors.sh with the
 * openssl CLI and xxd, not by uicc-ota); the identity checks compare the API
 * with the CLI, both ours (an additional check, not a proof of the bytes).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, KEYSET, run } from './helpers/cli.js';
import { assertCliError, thrown } from './helpers/api-error.js';
import * as api from '../src/api/index.js';

/** What `--json` would print for an API result: JSON round trip without the library-only keys. */
function asJson(r: unknown): unknown {
  const { units: _u, warnings: _w, ...rest } = (Array.isArray(r) ? { list: r } : r) as Record<string, unknown>;
  if (Array.isArray(r)) return JSON.parse(JSON.stringify(r));
  return JSON.parse(JSON.stringify(rest, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? Buffer.from(x).toString('hex').toUpperCase() : x)));
}

function cliJson(args: string[]): unknown {
  const r = run([...args, '--json']);
  assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const KEYSET_JSON = JSON.parse(readFileSync(KEYSET, 'utf8'));
/** vectors/sms-pp-commands.json, case sms-cmd-none (gen-vectors.sh). */
const SMS_CMD_NONE = '001A0D00000000B0001000000000000000A40004023F0000B0000010';
const APDU = '00A40004023F00';

describe('API = CLI --json, command by command', () => {
  it('spi / kic / kid / tar / status', () => {
    assert.deepEqual(asJson(api.spi.decode('1621')), cliJson(['spi', 'decode', '1621']));
    assert.deepEqual(asJson(api.spi.encode({ cc: true, cipher: true, counter: 'higher', por: 'required', porCc: true })), cliJson(['spi', 'encode', '--cc', '--cipher', '--counter', 'higher', '--por', 'required', '--por-cc']));
    assert.deepEqual(asJson(api.kic.decode('15')), cliJson(['kic', 'decode', '15']));
    assert.deepEqual(asJson(api.kic.encode({ alg: 'aes-cbc', kvn: 2 })), cliJson(['kic', 'encode', '--alg', 'aes-cbc', '--kvn', '2']));
    assert.deepEqual(asJson(api.kid.decode('15', { rc: true })), cliJson(['kid', 'decode', '15', '--rc']));
    assert.deepEqual(asJson(api.kid.encode({ alg: 'crc32' })), cliJson(['kid', 'encode', '--alg', 'crc32']));
    assert.deepEqual(asJson(api.tar.describe('B00010')), cliJson(['tar', 'B00010']));
    assert.deepEqual(asJson(api.tar.list()), cliJson(['tar']));
    assert.deepEqual(asJson(api.status.describe('01')), cliJson(['status', '01']));
    assert.deepEqual(asJson(api.status.list()), cliJson(['status']));
    // Expected per TS 102 225 cl. 5.1.1: CC (b2b1 = 10), cipher (b3), counter higher (b5b4 = 10) → 0x16; PoR required with CC → 0x09.
    assert.equal(api.spi.encode({ cc: true, cipher: true, counter: 'higher', por: 'required', porCc: true }).hex, '1609');
  });

  it('build sms (every format) and the wire units', async () => {
    const r = await api.buildSms({ spi: '0000', kic: '00', kid: '00', tar: 'B00010', counter: 0, apdu: [APDU, '00B0000010'] });
    assert.equal(r.output[0], SMS_CMD_NONE);
    assert.equal(Buffer.from(r.units[0]).toString('hex').toUpperCase(), SMS_CMD_NONE);
    assert.deepEqual(r.warnings, []);
    for (const format of ['packet', 'ud', 'tpdu', 'envelope'] as const) {
      const a = await api.buildSms({ keyset: KEYSET, apdu: [APDU], format });
      assert.deepEqual(asJson(a), cliJson(['build', 'sms', '--keyset', KEYSET, '--apdu', APDU, '--format', format]), format);
      assert.deepEqual(a.units.map((u) => Buffer.from(u).toString('hex').toUpperCase()), a.output);
    }
    // Keyset as a parsed object and keys as bytes give the same packet as the file and hex.
    const byObject = await api.buildSms({ keyset: KEYSET_JSON, apdu: [APDU], kvn: 2 });
    assert.deepEqual(byObject.output, (await api.buildSms({ keyset: KEYSET, apdu: [APDU], kvn: '2' })).output);
  });

  it('build sms warnings are returned, not printed', async () => {
    const r = await api.buildSms({ spi: '16E1', kic: '15', kid: '15', tar: 'B00010', apdu: [APDU], keyset: KEYSET });
    const cli = run(['build', 'sms', '--spi', '16E1', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', APDU, '--keyset', KEYSET]);
    assert.ok(r.warnings.length > 0);
    assert.equal(cli.stderr, r.warnings.map((w) => `uicc-ota: note: ${w}\n`).join(''));
  });

  it('build por and build cattp', async () => {
    const por = ['--spi', '1621', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--keyset', KEYSET, '--sw', '9000'];
    for (const format of ['packet', 'ud', 'submit', 'deliver-report', 'proactive'] as const) {
      const a = await api.buildPor({ spi: '1621', kic: '15', kid: '15', tar: 'B00010', keyset: KEYSET, sw: '9000', format });
      assert.deepEqual(asJson(a), cliJson(['build', 'por', ...por, '--format', format]), format);
    }
    const c = await api.buildPor({ spi: '1621', kic: '15', kid: '15', tar: 'B00010', keyset: KEYSET, sw: '9000', cattp: true, format: 'pdu' });
    assert.deepEqual(asJson(c), cliJson(['build', 'por', ...por, '--cattp', '--format', 'pdu']));
    const b = await api.buildCattp({ keyset: KEYSET, apdu: [APDU] });
    assert.deepEqual(asJson(b), cliJson(['build', 'cattp', '--keyset', KEYSET, '--apdu', APDU]));
  });

  it('parse, parse sms, parse por, segments, CAT_TP PDUs', async () => {
    const cmd = (await api.buildSms({ keyset: KEYSET, apdu: [APDU] })).output[0];
    assert.deepEqual(asJson(await api.parse(cmd, { keyset: KEYSET })), cliJson(['parse', cmd, '--keyset', KEYSET]));
    assert.deepEqual(asJson(await api.parseSms(cmd, { keyset: KEYSET })), cliJson(['parse', 'sms', cmd, '--keyset', KEYSET]));
    const por = (await api.buildPor({ request: cmd, keyset: KEYSET, sw: '9000' })).output[0];
    const p = await api.parsePor(por, { request: cmd, keyset: KEYSET });
    assert.deepEqual(asJson(p), cliJson(['parse', 'por', por, '--request', cmd, '--keyset', KEYSET]));
    assert.deepEqual(p.failures, []);
    assert.equal((p.status as { code: string }).code, '00');
    // A long command concatenated over several SMS: the segments as an array.
    const long = await api.buildSms({ keyset: KEYSET, apdu: Array(12).fill('00D6000010' + '11'.repeat(16)), format: 'envelope' });
    assert.ok(long.units.length > 1);
    assert.deepEqual(asJson(await api.parse(long.units, { keyset: KEYSET })), cliJson(['parse', ...long.output, '--keyset', KEYSET]));
    const pdus = await api.buildCattp({ keyset: KEYSET, apdu: [APDU] });
    assert.deepEqual(asJson(await api.parse(pdus.output, { keyset: KEYSET })), cliJson(['parse', ...pdus.output, '--keyset', KEYSET]));
  });

  it('card process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-api-'));
    try {
      const r0 = run(['card', 'init', '--out', join(dir, 'a.json')]);
      assert.equal(r0.code, 0, r0.stderr);
      copyFileSync(join(dir, 'a.json'), join(dir, 'b.json'));
      const card = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
      const cmd = (await api.buildSms({ keyset: KEYSET, apdu: [APDU], counter: 1 })).output[0];
      const viaApi = await new api.Card(join(dir, 'a.json')).process(cmd);
      const viaCli = cliJson(['card', 'process', '--card', join(dir, 'b.json'), cmd]);
      assert.deepEqual(asJson(viaApi), viaCli);
      // In memory: same answer, counter kept in the object, the file untouched.
      const mem = new api.Card(card);
      assert.deepEqual(asJson(await mem.process(cmd)), viaCli);
      assert.deepEqual(readFileSync(join(dir, 'a.json'), 'utf8'), readFileSync(join(dir, 'b.json'), 'utf8'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('vectors verify', () => {
    const file = join(ROOT, 'vectors', 'sms-pp-commands.json');
    const r = api.verifyVectors(file);
    assert.deepEqual(asJson(r), cliJson(['vectors', 'verify', file]));
    assert.equal(r.failed, 0);
    const obj = JSON.parse(readFileSync(file, 'utf8'));
    const fromObject = api.verifyVectors(obj, { dir: join(ROOT, 'vectors') });
    assert.equal(fromObject.passed, r.passed);
  });

  it('bad input throws the typed error with the CLI\'s message', async () => {
    const cases: Array<[() => unknown, string[], new (...a: never[]) => api.OtaError]> = [
      [() => api.spi.decode('16'), ['spi', 'decode', '16'], api.InputError],
      [() => api.buildSms({ apdu: ['00A4X'], keyset: KEYSET }), ['build', 'sms', '--apdu', '00A4X', '--keyset', KEYSET], api.InputError],
      [() => api.parse('0028150619'), ['parse', '0028150619'], api.InputError],
      [() => api.buildSms({ apdu: [APDU], keyset: '/nonexistent/keyset.json' }), ['build', 'sms', '--apdu', APDU, '--keyset', '/nonexistent/keyset.json'], api.StateError],
    ];
    for (const [fn, args, Cls] of cases) {
      const e = assertCliError(await thrown(fn), run(args), Cls, args.join(' '));
      assert.equal(e.field, e.where.field);
    }
    assert.equal(api.IoError, api.StateError, 'IoError is the deprecated name of StateError');
  });
});
