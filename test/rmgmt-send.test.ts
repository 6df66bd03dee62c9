/**
 * rfm / ram --send: the script's packets go out through the transports, one
 * counter per packet from the counter store, each PoR decoded against what
 * was asked before the next packet goes:
 *  - `--send smpp` through the in-repo SMSC (`uicc-ota smsc --card`);
 *  - `--send pcsc` to the card simulator attached to pcscd's vpcd virtual
 *    reader (`uicc-ota card vpcd`). Run this file under the PC/SC lock:
 *    flock /work/pcsc.lock node --test dist/test/rmgmt-send.test.js
 *  - `--send cattp` as the OTA server of a CAT_TP session on UDP, the card
 *    simulator connecting as `cattp send --card`.
 * Round trips: load + install, list, RFM update and read, delete, PUT KEY.
 * Expected values: the CAP's AIDs (test/helpers/cap.ts), the EF bytes of
 * `card init`'s example card, and the number of packets of the same script
 * as --dry-run plans it.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, KEYSET, run, runAsync as runAsyncCli, isOneLineError } from './helpers/cli.js';
import { launch, type Running } from './helpers/launch.js';
import { assertJsonOutput } from './helpers/schema.js';
import { capFile, PACKAGE_AID, APPLET_AID } from './helpers/cap.js';

const dir = mkdtempSync(join(tmpdir(), 'uicc-rmgmt-send-'));
const CAP = join(dir, 'hello.cap');
writeFileSync(CAP, capFile());
const SEC = ['--keyset', KEYSET, '--kvn', '1', '--spi', '1629'];
const READER = 'Virtual PCD 00 00';

function newCard(name: string): string {
  const f = join(dir, name);
  assert.equal(run(['card', 'init', '--out', f]).code, 0);
  return f;
}
const registry = (card: string) => JSON.parse(readFileSync(card, 'utf8')).registry;
const counters = (st: string) => JSON.parse(readFileSync(st, 'utf8')).counters;
const packetsOf = (args: string[]) => JSON.parse(run([...args, '--dry-run', '--json']).stdout).packets.length as number;

type Exec = (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

/** The user's sequence, over one transport: load + install, list, update + read an EF, delete, rotate keys. */
async function roundTrip(send: string[], card: string, st: string, runAsync: Exec = runAsyncCli, bearer: string[] = []): Promise<void> {
  const base = [...SEC, ...bearer, '--counter', 'next', '--state', st, ...send];
  const load = ['ram', 'load', '--cap', CAP, '--install'];
  const n = packetsOf([...load, ...SEC, ...bearer]);
  assert.ok(n > 1, 'the CAP does not fit one SMS / SDU');
  const l = await runAsync([...load, ...base, '--json']);
  assert.equal(l.code, 0, l.stderr + l.stdout);
  const pors = JSON.parse(l.stdout).pors;
  assert.equal(pors.length, n);
  assert.ok(pors.every((p: { status: string; verified: boolean }) => p.status === '00' && p.verified === true));
  assert.equal(counters(st)['kvn1/000000'], n, 'one stored counter per packet (an integer: JSON v1)');
  assert.deepEqual(registry(card).loadFiles, [{ aid: PACKAGE_AID, modules: [APPLET_AID] }], 'the card stored its registry');

  const s = await runAsync(['ram', 'status', ...base, '--json']);
  assert.equal(s.code, 0, s.stderr);
  const e = JSON.parse(s.stdout).pors[0].answer.answers[0].entries;
  assert.deepEqual(e.map((x: { aid: string; lifeCycleName: string }) => [x.aid, x.lifeCycleName]), [[APPLET_AID, 'SELECTABLE']]);

  // EF IMSI of card init's example card: 08 29 43 01 99 99 99 99 99; write 2 octets at offset 7, read back.
  const u = await runAsync(['rfm', 'update', '--path', '3F00/7F20/6F07', '--offset', '7', '--data', '1234', ...base]);
  assert.equal(u.code, 0, u.stderr);
  const r = await runAsync(['rfm', 'read', '--path', '3F00/7F20/6F07', ...base, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).pors[0].answer.answers.at(-1).data, '082943019999991234');

  const d = await runAsync(['ram', 'delete', '--aid', PACKAGE_AID, '--related', ...base]);
  assert.equal(d.code, 0, d.stderr);
  assert.deepEqual(registry(card).loadFiles, []);

  // PUT KEY adds key set 5 (wrapped with KVN 1's KIK); the card stores it.
  const nk = '00112233445566778899AABBCCDDEEFF';
  const p = await runAsync(['ram', 'put-key', '--new-kvn', '5', '--new-kic', nk, '--new-kid', nk, ...base]);
  assert.equal(p.code, 0, p.stderr);
  const ks = JSON.parse(readFileSync(card, 'utf8')).keysets.find((k: { kvn: number }) => k.kvn === 5);
  assert.equal(ks.kic.key, nk);
  // A failing command stops the run (exit 1) with its SW: the deleted load file is gone (6A88, GP cl. 11.2.3).
  const again = await runAsync(['ram', 'delete', '--aid', PACKAGE_AID, ...base]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /packet 1: .*SW 6A88/);
}

describe('--send smpp through the in-repo SMSC', () => {
  let smsc: Running;
  let card: string;
  before(() => {
    card = newCard('smpp-card.json');
    smsc = launch(process.execPath, [BIN, 'smsc', '--port', '0', '--system-id', 'lab', '--password', 'secret', '--card', card, '--quiet'], /listening on TCP [\d.]+:(\d+)/);
  });
  after(async () => {
    await smsc.stop();
  });

  test('load, list, update/read, delete, put-key: each packet submitted, each PoR decoded', async () => {
    const port = await smsc.port;
    await roundTrip(['--send', 'smpp', '--port', String(port), '--system-id', 'lab', '--password', 'secret', '--dest', '+491700000'], card, join(dir, 'st-smpp.json'));
  });

  test('one bind for the whole script: --trace shows one bind_transceiver, one submit_sm and one deliver_sm per packet', async () => {
    const args = ['ram', 'load', '--cap', CAP, '--install', ...SEC];
    const n = packetsOf(args);
    const port = await smsc.port;
    const r = await runAsyncCli([...args, '--counter', 'next', '--state', join(dir, 'st-smpp.json'), '--send', 'smpp', '--port', String(port), '--system-id', 'lab', '--password', 'secret', '--dest', '+491700000', '--trace']);
    assert.equal(r.code, 0, r.stderr);
    // SMPP 3.4 cl. 4.1.5 / 4.4.1 / 4.6.1: the PDU names the trace gives each command_id.
    const count = (name: string) => r.stderr.split('\n').filter((l) => l.startsWith(`SMPP ${name}:`)).length;
    assert.deepEqual([count('bind_transceiver'), count('submit_sm'), count('deliver_sm'), count('unbind')], [1, n, n, 1]);
    await runAsyncCli(['ram', 'delete', '--aid', PACKAGE_AID, '--related', ...SEC, '--counter', 'next', '--state', join(dir, 'st-smpp.json'), '--send', 'smpp', '--port', String(port), '--system-id', 'lab', '--password', 'secret', '--dest', '+491700000']);
  });

  test('bad transport options: one line, exit 2, no counter consumed', () => {
    const st = join(dir, 'st-bad.json');
    for (const [args, re] of [
      [['--send', 'smpp', '--system-id', 'lab', '--password', 'x', '--dest', '1'], /--port: missing/],
      [['--send', 'smpp', '--port', '1', '--system-id', 'lab', '--password', 'x', '--dest', '1', '--reader', '0'], /--reader: is a PC\/SC option/],
      [['--send', 'pcsc', '--format', 'ud'], /--format: --send frames the packets itself/],
      [['--send', 'pcsc', '--bearer', 'cattp'], /--bearer: --send pcsc\|smpp carries SMS-PP/],
      [['--send', 'smpp', '--port', '1', '--system-id', 'lab', '--password', 'x', '--dest', '1', '--cla', 'A0'], /--cla: is a PC\/SC option/],
      [['--send', 'smpp', '--port', '1', '--system-id', 'lab', '--password', 'x', '--dest', '1', '--select-adf'], /--select-adf: is a PC\/SC option/],
      [['--send', 'pcsc', '--cla', '80'], /--cla: must be 00 \(UICC\) or A0/],
      [['--send', 'pcsc', '--terminal-profile', 'zz'], /--terminal-profile/],
      [['--send', 'pcsc', '--select-adf', '0102'], /--select-adf: an AID is 5 to 16 octets/],
      [['--trace'], /--trace: is a transport option: give --send/],
      [['--reader', '0'], /--reader: is a transport option: give --send/],
    ] as const) {
      const r = run(['rfm', 'read', '--path', '3F00/2FE2', ...SEC, '--counter', 'next', '--state', st, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, re);
    }
    assert.throws(() => readFileSync(st), /ENOENT/, 'no counter consumed');
  });
});

describe('CAT_TP transport: --format packet pushed by cattp serve, the card simulator as cattp send --card', () => {
  test('load + install in one SDU over a real CAT_TP session on UDP; the PoR decoded against the script with --por', async () => {
    const card = newCard('cattp-card.json');
    const args = ['ram', 'load', '--cap', CAP, '--install', '--bearer', 'cattp', ...SEC, '--counter', '1'];
    const b = run([...args, '--format', 'packet']);
    assert.equal(b.code, 0, b.stderr);
    const srv = launch(process.execPath, [BIN, 'cattp', 'serve', '--port', '0', '--packet', b.stdout.trim(), '--keyset', KEYSET, '--kvn', '1', '--max-sessions', '1', '--json'], /UDP [\d.]+:(\d+)/);
    const port = await srv.port;
    const c = await runAsyncCli(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(await srv.done, 0, srv.err());
    assert.deepEqual(registry(card).loadFiles, [{ aid: PACKAGE_AID, modules: [APPLET_AID] }]);
    // The PoR SDU the server received (its JSON report), decoded against the five commands asked.
    const sdu: string = JSON.parse(srv.out().trim().split('\n')[0]).received[0].sdu;
    const d = run([...args, '--por', sdu, '--json']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(JSON.parse(d.stdout).pors[0].answer.executed, 5);
  });
});

/**
 * rfm/ram --send cattp as the OTA server, the card simulator as the peer
 * (`cattp send --to HOST:PORT --card CARD.json`, started once the command
 * says where it listens): the whole script in one CAT_TP session on UDP.
 */
async function viaCattp(card: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const srv = launch(process.execPath, [BIN, ...args], /listening on UDP 127\.0\.0\.1:(\d+)/);
  const port = await srv.port;
  const peer = await runAsyncCli(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--quiet', '--json']);
  const code = await srv.done;
  assert.equal(peer.code, 0, `the card side: ${peer.stderr}`);
  // Every packet went as one SDU of one session, answered by one PoR SDU.
  const ex = JSON.parse(peer.stdout).exchanges as { sent: string | null }[];
  assert.ok(ex.length >= 1 && ex.every((x) => x.sent), 'each SDU answered');
  const stderr = srv.err().replace(/^uicc-ota: listening on UDP .*\n/, '');
  if (args.includes('--json')) assertJsonOutput(srv.out(), args);
  return { code, stdout: srv.out(), stderr };
}

describe('--send cattp: the OTA server of a CAT_TP session, the card simulator as cattp send --card', () => {
  test('load, list, update/read, delete, put-key: each packet an SDU, each PoR SDU decoded before the next', async () => {
    const card = newCard('cattp-live-card.json');
    // --max-sdu 200: the CAP's LOAD blocks go in several packets, all in one session.
    await roundTrip(['--send', 'cattp', '--port', '0', '--timeout', '20000'], card, join(dir, 'st-cattp.json'), (args) => viaCattp(card, args), ['--bearer', 'cattp', '--max-sdu', '200']);
  });

  test('no card connects: exit 4, one line naming the address', async () => {
    const r = await runAsyncCli(['ram', 'status', ...SEC, '--counter', '1', '--bearer', 'cattp', '--send', 'cattp', '--port', '0', '--timeout', '300']);
    assert.equal(r.code, 4, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0], /listening on UDP 127\.0\.0\.1:\d+/);
    assert.match(lines[1], /no card opened a CAT_TP connection to UDP 127\.0\.0\.1:\d+ within 300 ms/);
  });

  test('bad options: one line, exit 2, nothing listens, no counter consumed', () => {
    const st = join(dir, 'st-bad-cattp.json');
    const cattp = ['--bearer', 'cattp', '--send', 'cattp'];
    for (const [args, re] of [
      [['--send', 'cattp', '--port', '0'], /--bearer: --send cattp carries CAT_TP packets/],
      [[...cattp], /--port: missing: the UDP port to listen on/],
      [[...cattp, '--port', '0', '--seq', '5'], /--seq: the CAT_TP session sets it/],
      [[...cattp, '--port', '0', '--system-id', 'lab'], /--system-id: is an SMPP option/],
      [[...cattp, '--port', '0', '--reader', '0'], /--reader: is a PC\/SC option/],
      [[...cattp, '--port', '0', '--format', 'pdu'], /--format: --send frames the packets itself/],
      [[...cattp, '--port', '99999'], /--port/],
      [['--bearer', 'cattp', '--send', 'pcsc'], /--bearer: --send pcsc\|smpp carries SMS-PP/],
    ] as const) {
      const r = run(['rfm', 'read', '--path', '3F00/2FE2', ...SEC, '--counter', 'next', '--state', st, ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, re);
    }
    // A script of several packets without a PoR to wait for cannot be paced (SPI2 b2b1 = 00: no PoR).
    const r = run(['ram', 'load', '--cap', CAP, '--install', '--keyset', KEYSET, '--kvn', '1', '--spi', '1600', '--max-sdu', '200', '--counter', 'next', '--state', st, ...cattp, '--port', '0']);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /--spi: --send cattp pushes each packet after the PoR of the one before/);
    assert.throws(() => readFileSync(st), /ENOENT/, 'no counter consumed');
  });
});

describe('--send pcsc to the card simulator in the vpcd virtual reader', () => {
  let proc: ReturnType<typeof spawn> | undefined;
  let card: string;
  before(async () => {
    const l = run(['send', 'pcsc', '--list', '--json']);
    if (l.code !== 0 || !l.stdout.includes(READER)) throw new Error(`pcscd with the vpcd reader is not running: ${l.stderr.trim() || l.stdout.trim()}`);
    card = newCard('pcsc-card.json');
    proc = spawn(process.execPath, [BIN, 'card', 'vpcd', '--card', card], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    const end = Date.now() + 15000;
    for (;;) {
      const r = run(['send', 'pcsc', '--list', '--json']);
      const rd = r.code === 0 ? (JSON.parse(r.stdout) as { readers: { name: string; card: boolean }[] }).readers.find((x) => x.name === READER) : undefined;
      if (rd?.card) break;
      if (Date.now() > end) throw new Error('the simulated card did not show in the vpcd reader');
      await new Promise((res) => setTimeout(res, 300));
    }
  });
  after(() => {
    proc?.kill('SIGTERM');
  });

  test('load, list, update/read, delete, put-key: ENVELOPEs exchanged, PoRs decoded, the card file updated by card vpcd', async () => {
    await roundTrip(['--send', 'pcsc', '--reader', READER], card, join(dir, 'st-pcsc.json'));
  });

  test('the terminal options of send pcsc: --terminal-profile, --select-adf, --cla, --trace', async () => {
    const base = ['rfm', 'read', '--path', '3F00/7F20/6F07', ...SEC, '--counter', 'next', '--state', join(dir, 'st-pcsc.json'), '--send', 'pcsc', '--reader', READER, '--trace'];
    const a = await runAsyncCli([...base, '--terminal-profile', '0301', '--select-adf']);
    assert.equal(a.code, 0, a.stderr);
    // TS 102 221 cl. 10.1.1 / TS 31.111: TERMINAL PROFILE 80 10 00 00 Lc; SELECT by DF name 00 A4 04 04 (TS 102 221 cl. 11.1.1) of the USIM AID A0000000871002 (TS 101 220 Annex E); ENVELOPE 80 C2.
    assert.match(a.stderr, /TERMINAL PROFILE: SW 9000[\s\S]*C-APDU +\[80100000020301\]/);
    assert.match(a.stderr, /C-APDU +\[00A4040407A0000000871002\]/);
    assert.match(a.stderr, /C-APDU\s+80C20000/);
    const b = await runAsyncCli([...base, '--cla', 'A0', '--json']);
    assert.equal(b.code, 0, b.stderr);
    // GSM 11.14 / TS 51.014: a 2G SIM gets class A0 (ENVELOPE A0 C2, TERMINAL PROFILE A0 10).
    assert.match(b.stderr, /C-APDU +\[A010000004[0-9A-F]{8}\]/);
    assert.match(b.stderr, /C-APDU\s+A0C20000/);
    assert.equal(JSON.parse(b.stdout).pors[0].answer.answers.at(-1).data.length, 18);
  });

  test('one connection for the whole script, as a phone: TERMINAL PROFILE once, then every packet\'s ENVELOPE', async () => {
    const load = ['ram', 'load', '--cap', CAP, '--install', ...SEC];
    const n = packetsOf(load);
    const r = await runAsyncCli([...load, '--counter', 'next', '--state', join(dir, 'st-pcsc.json'), '--send', 'pcsc', '--reader', READER, '--trace']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.split('TERMINAL PROFILE: SW').length - 1, 1, r.stderr);
    assert.ok((r.stderr.match(/C-APDU\s+80C20000/g) ?? []).length >= n, `${n} packets, each ENVELOPEd`);
  });
});
