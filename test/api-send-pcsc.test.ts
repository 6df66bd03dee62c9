/**
 * `send pcsc` through the library against the CLI, through the real PC/SC
 * stack: pcscd with the vsmartcard vpcd reader driver, the card simulator
 * attached as `uicc-ota card vpcd`. Run this file under the PC/SC lock:
 *   flock /work/pcsc.lock node --test dist/test/api-send-pcsc.test.js
 * Without pcscd these tests FAIL (they never skip).
 *
 * The same inputs give the object `send pcsc --json` prints (sendPcsc), the
 * lines of `send pcsc --each --json` (streamSendPcsc) and the typed error
 * with the CLI's message. Identity checks between two front ends of the same
 * code; the octets themselves are the real sysmoISIM-SJA2 command and PoR
 * (vectors/sms-pp-commands.json card-sja2-3des-cc-cipher, vectors/responses.json
 * card-sja2-por-3des-cc-cipher, from pySim's docs/smpp-ota-tool.rst), as in
 * pcsc.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, KEYSET, runAsync } from './helpers/cli.js';
import * as api from '../src/api/index.js';

const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-api-pcsc-'));
const CARD = join(dir, 'CARD.json');
const READER = 'Virtual PCD 00 00';

const vector = (file: string, id: string) => {
  const d = JSON.parse(readFileSync(join(ROOT, 'vectors', file), 'utf8')) as { cases: { id: string; expected: { hex: string } }[] };
  return d.cases.find((c) => c.id === id)!.expected.hex;
};
const SJA2_POR = vector('responses.json', 'card-sja2-por-3des-cc-cipher');
const SJA2_CMD = vector('sms-pp-commands.json', 'card-sja2-3des-cc-cipher');

// SPI 0619: no counter check, so the card answers the same command the same way every time.
const SJA2 = { keyset: KEYSET, reader: READER, spi: '0619', kic: '15', kid: '15', tar: 'B00010', apdu: ['A0A40000027F20', 'A0C0000016'] };
const SJA2_ARGS = ['--keyset', KEYSET, '--reader', READER, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016'];

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** The --json object of an API result: the library-only keys dropped, bytes as hex, as printJson prints. */
function asJson(r: unknown): unknown {
  const { units: _u, warnings: _w, ...rest } = r as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? hex(x) : x)));
}

async function cliJson(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runAsync(['send', 'pcsc', ...args], input === undefined ? {} : { input });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let card: ChildProcess | undefined;

before(async () => {
  const l = await runAsync(['send', 'pcsc', '--list', '--json']);
  if (l.code !== 0 || !l.stdout.includes(READER)) throw new Error(`pcscd with the vpcd reader driver is not running (${l.stderr.trim() || l.stdout.trim()}); see pcsc.test.ts`);
  assert.equal((await runAsync(['card', 'init', '--out', CARD])).code, 0);
  // B00010 answers from its canned status words only (as the real card's PoR was recorded), not from the RFM file system.
  const c = JSON.parse(readFileSync(CARD, 'utf8')) as { applications: { tar: string; handler?: string }[] };
  for (const app of c.applications) if (app.tar === 'B00010') delete app.handler;
  writeFileSync(CARD, JSON.stringify(c, null, 2));
  card = spawn(process.execPath, [BIN, 'card', 'vpcd', '--card', CARD], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  const end = Date.now() + 15000;
  for (;;) {
    const r = await api.pcscReaders().catch(() => undefined);
    if (r?.readers.find((x) => x.name === READER)?.card) break;
    if (Date.now() > end) throw new Error('the simulated card did not show in the vpcd reader');
    await sleep(300);
  }
});

after(() => {
  card?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test('pcscReaders() is send pcsc --list --json', async () => {
  const cli = await cliJson(['--list', '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(await api.pcscReaders(), JSON.parse(cli.stdout));
});

test('sendPcsc = send pcsc --json: the real SJA2 PoR, verified; APDUs told as they go; nothing written', async () => {
  const apdus: api.ApduExchange[] = [];
  let exchanged: { steps: number; reader?: string } | undefined;
  const writes: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  // Text only: the test runner's own reports to its parent are Buffers.
  process.stdout.write = ((c: unknown, ...rest: unknown[]) => (typeof c === 'string' ? (writes.push(c), true) : (out as (...a: unknown[]) => boolean).call(process.stdout, c, ...rest))) as typeof out;
  process.stderr.write = ((c: unknown, ...rest: unknown[]) => (typeof c === 'string' ? (writes.push(c), true) : (err as (...a: unknown[]) => boolean).call(process.stderr, c, ...rest))) as typeof err;
  let r: api.SendPcscResult;
  try {
    r = await api.sendPcsc({ ...SJA2, onApdu: (x) => apdus.push(x), onExchanged: (steps, reader) => void (exchanged = { steps: steps.length, reader }) });
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  assert.deepEqual(writes, [], 'the library writes nothing');
  const cli = await cliJson([...SJA2_ARGS, '--json']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(asJson(r), JSON.parse(cli.stdout));
  // The ENVELOPE carries the real command packet; the card's answer is the real card's PoR.
  assert.equal(r.units.length, 1);
  assert.ok(hex(r.units[0]).endsWith(SJA2_CMD), hex(r.units[0]));
  assert.equal(r.hex, SJA2_POR);
  assert.deepEqual([r.ok, r.verified, (r.status as { code: string }).code], [true, true, '00']);
  assert.equal(apdus.length, (r.transport.apdus as unknown[]).length);
  assert.deepEqual(exchanged, { steps: apdus.length, reader: READER });
});

test('sendPcsc with a status the test does not expect: ok false with the failure (the CLI exits 1), not thrown', async () => {
  const r = await api.sendPcsc({ ...SJA2, expectStatus: '02' });
  const cli = await cliJson([...SJA2_ARGS, '--expect-status', '02', '--json']);
  assert.equal(cli.code, 1);
  assert.deepEqual(asJson(r), JSON.parse(cli.stdout));
  assert.equal(r.ok, false);
  assert.equal(r.statusOk, false);
  assert.match(cli.stderr, /^uicc-ota: unexpected PoR status: PoR status 00 \(PoR OK\), expected 02\n$/);
});

test('streamSendPcsc = send pcsc --each --json', async () => {
  const input = 'A0A40000027F20A0C0000016\n# second\nA0A40000027F20A0C0000016\n';
  let text = '';
  const output = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const each: api.SendPcscEachOptions = { keyset: KEYSET, reader: READER, spi: '0619', kic: '15', kid: '15', tar: 'B00010' };
  const summary = await api.streamSendPcsc(each, { input: (async function* () { yield input; })(), output, json: true });
  const cli = await cliJson(['--keyset', KEYSET, '--reader', READER, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--each', '--json'], input);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(summary.exitCode, 0);
  assert.equal(text, cli.stdout);
  const lines = text.split('\n');
  assert.equal(lines[1], '');
  // Line 1 is the real command (CNTR 0), answered with the real card's PoR; line 3 has CNTR 1.
  assert.equal((JSON.parse(lines[0]) as { hex: string }).hex, SJA2_POR);
  assert.equal((JSON.parse(lines[2]) as { counter: number }).counter, 1);
  // One connection for the campaign, as a phone: TERMINAL PROFILE (80 10, TS 102 221 cl. 10.1.1 / TS 31.111) once, in line 1's exchange only; ENVELOPE is 80 C2.
  const apdus = (l: string) => (JSON.parse(l) as { transport: { apdus: { step: string; command: string }[] } }).transport.apdus;
  assert.deepEqual([lines[0], lines[2]].map((l) => apdus(l).filter((a) => a.command.startsWith('8010')).length), [1, 0]);
  assert.match(apdus(lines[2])[0].command, /^80C2/, 'line 3 starts with its ENVELOPE');
});

test('send pcsc --each: a line too long for 255 SMS is not sent and takes no counter (the next line gets it)', async () => {
  const input = `A0A40000027F20A0C0000016\n${'AA'.repeat(40000)}\nA0A40000027F20A0C0000016\n`;
  const cli = await cliJson(['--keyset', KEYSET, '--reader', READER, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--each', '--json'], input);
  assert.equal(cli.code, 2, cli.stderr);
  const lines = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as { line: number; counter?: number; error?: string; hex?: string });
  assert.equal(lines[0].hex, SJA2_POR); // the real card's PoR to CNTR 0
  assert.match(lines[1].error!, /more than 255$/);
  assert.deepEqual([lines[2].line, lines[2].counter], [3, 1]);
});

test('sendPcsc to a reader that is not there: the CLI\'s NetworkError (exit 4)', async () => {
  const cli = await cliJson([...SJA2_ARGS.map((a) => (a === READER ? 'No Such Reader' : a))]);
  let e: unknown;
  try {
    await api.sendPcsc({ ...SJA2, reader: 'No Such Reader' });
  } catch (x) {
    e = x;
  }
  assert.ok(e instanceof api.NetworkError, String(e));
  assert.equal(cli.stderr, `uicc-ota: ${e.message}\n`);
  assert.equal(cli.code, e.exitCode);
  assert.equal(e.exitCode, 4);
});
