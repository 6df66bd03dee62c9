/**
 * OTA round trips through the real PC/SC stack: pcscd with the vsmartcard
 * vpcd reader driver (started by .ci/run; README, PC/SC set-up), the card
 * simulator attached as `uicc-ota card vpcd`, and `uicc-ota send pcsc` as the
 * terminal. Without pcscd these tests FAIL (they never skip).
 *
 * Expected values and where they come from (independent of uicc-ota's code):
 *  - SJA2_POR: the PoR of a real sysmoISIM-SJA2 (secured-packet.md §12.1 of the
 *    spec digest, from pySim's docs/smpp-ota-tool.rst), kept with its openssl
 *    recomputation in vectors/responses.json case card-sja2-por-3des-cc-cipher;
 *    its command is vectors/sms-pp-commands.json card-sja2-3des-cc-cipher, and
 *    CARD.json's B00010 answers the two APDUs as that card did.
 *  - AES_SSM: the SEND SHORT MESSAGE of vectors/por-framing.json case
 *    por-proactive-aes (openssl CLI + vectors/tools/framing.py).
 *  - Concatenated and counter cases: the PoR is deciphered with the openssl
 *    CLI here, and its CNTR / status octets read from the plaintext.
 *  - Status codes 01/02 (TS 102 225 Table 5), status words (TS 102 221 cl. 10.2).
 *  - The independent client: Debian's pcsc-tools `scriptor` sends the
 *    ENVELOPE and GET RESPONSE itself.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, KEYSET, type RunResult } from './helpers/cli.js';
import { runVpcdCard, type VpcdCard } from '../src/transport/vpcd.js';
import { launch } from './helpers/launch.js';

const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-pcsc-'));
const CARD = join(dir, 'CARD.json');
const READER = 'Virtual PCD 00 00';
const FAKE_PORT = 35964; // "Virtual PCD 00 01"

const vector = (file: string, id: string) => {
  const d = JSON.parse(readFileSync(join(ROOT, 'vectors', file), 'utf8')) as { cases: { id: string; expected: { hex: string | string[] } }[] };
  return d.cases.find((c) => c.id === id)!.expected.hex;
};
const SJA2_POR = vector('responses.json', 'card-sja2-por-3des-cc-cipher') as string;
const SJA2_CMD = vector('sms-pp-commands.json', 'card-sja2-3des-cc-cipher') as string;
const AES_SSM = (vector('por-framing.json', 'por-proactive-aes') as string[])[0];
const K1_KIC = 'F09C43EE1A0391665CC9F05AF4E0BD10';
const K2_KIC = '200102030405060708090A0B0C0D0E0F';

/** Run the CLI asynchronously (the fake card below runs in this process), killed after limitMs. */
function cli(args: string[], limitMs = 30000, input = ''): Promise<RunResult & { ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.stdin.end(input);
    const timer = setTimeout(() => p.kill('SIGKILL'), limitMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until pcscd shows a card (or none) in reader `index`. */
async function waitCard(index: number, present: boolean, limitMs = 15000): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    const r = await cli(['send', 'pcsc', '--list', '--json']);
    if (r.code === 0) {
      const rd = (JSON.parse(r.stdout) as { readers: { index: number; card: boolean }[] }).readers.find((x) => x.index === index);
      if (rd && rd.card === present) return;
    }
    if (Date.now() > end) throw new Error(`reader ${index} did not show ${present ? 'a card' : 'no card'} within ${limitMs} ms: ${r.stdout}${r.stderr}`);
    await sleep(300);
  }
}

const openssl = (args: string[], hex: string) => execFileSync('openssl', args, { input: Buffer.from(hex, 'hex') }).toString('hex').toUpperCase();
/** Decipher a PoR's ciphered part (after RPL RHL TAR) with the openssl CLI: CNTR(5) PCNTR status ... */
function decipherPor(udHex: string, alg: '3des' | 'aes', key: string): { cntr: bigint; status: string } {
  const ct = udHex.slice(6 + 12); // 02 71 00 | RPL(2) RHL(1) TAR(3)
  const plain = alg === '3des'
    ? openssl(['enc', '-d', '-des-ede-cbc', '-K', key, '-iv', '0000000000000000', '-nopad'], ct)
    : openssl(['enc', '-d', '-aes-128-cbc', '-K', key, '-iv', '00000000000000000000000000000000', '-nopad'], ct);
  return { cntr: BigInt('0x' + plain.slice(0, 10)), status: plain.slice(12, 14) };
}

const cardJson = () => JSON.parse(readFileSync(CARD, 'utf8')) as { applications: { tar: string; counter: string }[]; options: Record<string, unknown> };
function setCardOptions(opts: Record<string, unknown>): void {
  const c = cardJson();
  c.options = { ...c.options, ...opts };
  writeFileSync(CARD, JSON.stringify(c, null, 2));
}

let card: ReturnType<typeof spawn> | undefined;
let cardLog = '';

before(async () => {
  const l = await cli(['send', 'pcsc', '--list', '--json']);
  if (l.code !== 0 || !l.stdout.includes(READER)) {
    throw new Error(
      `pcscd with the vpcd reader driver is not running (${l.stderr.trim() || l.stdout.trim()}). ` +
        'Run .ci/run, or start it as root as README "PC/SC set-up" shows: pcscd -f -c DIR (DIR/vpcd: FRIENDLYNAME "Virtual PCD", DEVICENAME /dev/null:0x8C7B, LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so, CHANNELID 0x8C7B).',
    );
  }
  const init = await cli(['card', 'init', '--out', CARD]);
  assert.equal(init.code, 0, init.stderr);
  // B00010 answers from its canned status words only (as the golden PoRs were recorded), not from the RFM file system.
  const c = cardJson() as unknown as { applications: { tar: string; handler?: string }[] };
  for (const app of c.applications) if (app.tar === 'B00010') delete app.handler;
  writeFileSync(CARD, JSON.stringify(c, null, 2));
  card = spawn(process.execPath, [BIN, 'card', 'vpcd', '--card', CARD], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  card.stderr!.on('data', (d) => (cardLog += d));
  await waitCard(0, true);
});

after(() => {
  card?.kill('SIGTERM');
});

const K = ['--keyset', KEYSET];

test('3DES, PoR in the ENVELOPE response (61xx + GET RESPONSE): the real SJA2 PoR, verified', async () => {
  const r = await cli(['send', 'pcsc', ...K, '--reader', READER, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  // The ENVELOPE carries the golden command packet (sms-pp-commands.json card-sja2-3des-cc-cipher).
  assert.ok(j.transport.apdus[1].command.endsWith(SJA2_CMD), j.transport.apdus[1].command);
  assert.equal(j.transport.envelopes[0].sw, '6131'); // 61 xx: 49 octets = 3 + 46
  assert.equal(j.transport.envelopes[0].data, '027100' + SJA2_POR);
  assert.equal(j.transport.porVia, 'deliver-report');
  assert.equal(j.status.code, '00');
  assert.equal(j.verified, true);
  assert.equal(j.checksum.value, '8FEAF52EF40EC214'); // CC of the real PoR (responses.json)
});

test('AES, PoR via SMS-SUBMIT (91xx, FETCH of SEND SHORT MESSAGE, TERMINAL RESPONSE); tree output, --trace, --pcap read back by parse --read', async () => {
  const pcap = join(dir, 'aes.pcap');
  const r = await cli(['send', 'pcsc', ...K, '--spi', '0639', '--kic', '22', '--kid', '22', '--tar', 'B00010', '--apdu', '00B0000010', '--trace', '--pcap', pcap]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Proactive SEND SHORT MESSAGE/);
  assert.match(r.stdout, /Result: PoR status 00/);
  assert.match(r.stdout, /Verification: passed/);
  // The FETCH response is exactly the SEND SHORT MESSAGE of por-framing.json por-proactive-aes.
  assert.ok(r.stderr.replace(/\s+/g, '').includes(AES_SSM + '9000'), r.stderr);
  assert.match(r.stderr, /FETCH 1: SW 9000/);
  assert.match(r.stderr, /TERMINAL RESPONSE 1 \(SEND SHORT MESSAGE\): SW 9000/);
  // TERMINAL RESPONSE as in the Gemalto trace of sms-pp.md §8.2: performed successfully.
  assert.match(r.stderr, /C-APDU\s+\[801400000C810301130082028281830100\]/);
  const p = await cli(['parse', '--read', pcap, ...K, '--json']);
  assert.equal(p.code === 0 || p.code === 1, true, p.stderr);
  assert.match(p.stdout, /B00010/);
});

test('concatenated command (2 ENVELOPEs), counter checked and stored; PoR deciphered with openssl', async () => {
  const data = '00B0000010'.repeat(30);
  const r = await cli(['send', 'pcsc', ...K, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '7', '--data', data, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.transport.envelopes.length, 2);
  assert.equal(j.transport.envelopes[0].sw, '9000'); // first segment kept by the card
  const ud = j.transport.envelopes[1].data as string;
  const d = decipherPor(ud, '3des', K1_KIC);
  assert.equal(d.cntr, 7n);
  assert.equal(d.status, '00');
  assert.equal(cardJson().applications.find((a) => a.tar === 'B00010')!.counter, 7);
});

test('counter too low: PoR status 02, exit 1; --counter next stores the counter as used', async () => {
  const state = join(dir, 'counters.json');
  const r = await cli(['send', 'pcsc', ...K, '--spi', '1639', '--kic', '22', '--kid', '22', '--tar', 'B00010', '--counter', '3', '--apdu', '00B0000010', '--json']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^uicc-ota: card refused: PoR status 02 \(CNTR low\)\n$/);
  const j = JSON.parse(r.stdout);
  assert.equal(j.transport.porVia, 'submit');
  // The SEND SHORT MESSAGE's user data deciphered with openssl: status 02.
  const ssm = j.transport.proactive[0].data as string;
  const udAt = ssm.indexOf('027100');
  assert.equal(decipherPor(ssm.slice(udAt), 'aes', K2_KIC).status, '02');
  // --expect-status: the negative test that expects 02 passes (exit 0, ok true); one that expects 01 fails.
  const low = [...K, '--spi', '1639', '--kic', '22', '--kid', '22', '--tar', 'B00010', '--counter', '3'];
  const e = await cli(['send', 'pcsc', ...low, '--apdu', '00B0000010', '--expect-status', '02', '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(JSON.parse(e.stdout).ok, true);
  assert.equal(JSON.parse(e.stdout).status.code, '02');
  const x = await cli(['send', 'pcsc', ...low, '--apdu', '00B0000010', '--expect-status', '01']);
  assert.equal(x.code, 1);
  assert.equal(x.stderr, 'uicc-ota: card refused: PoR status 02 (CNTR low), expected 01\n');
  // --each: counters 3 and 4 (both below the card's 7): 02 each, as expected.
  // Output line N answers input line N: the comment line is passed through (batch engine).
  const each = await cli(['send', 'pcsc', ...low, '--each', '--expect-status', '01,02'], 30000, '00B0000010\n# second\n00B0000010\n');
  assert.equal(each.code, 0, each.stderr);
  assert.deepEqual(each.stdout.trim().split('\n').map((l) => l.replace(/ response tar=B00010 status=(\w+) .*/, ' $1')), ['1 OK 02', '# second', '3 OK 02']);
  assert.equal(cardJson().applications.find((a) => a.tar === 'B00010')!.counter, 7);
  // --counter next: 1, 2, … from the state file; the card (at 7) refuses 1, yet 1 is spent.
  const n = await cli(['send', 'pcsc', ...K, '--spi', '1621', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', 'next', '--state', state, '--apdu', '00B0000010']);
  assert.equal(n.code, 1, n.stderr);
  assert.match(n.stderr, /PoR status 02/);
  assert.equal(Object.values(JSON.parse(readFileSync(state, 'utf8')).counters)[0], 1);
});

test('wrong key: no PoR (options.porOnAuthFailure false) or an unsecured error PoR status 01; exit 1 both', async () => {
  const bad = ['--kic-key', K1_KIC, '--kid-key', '00112233445566778899AABBCCDDEEFF', '--kic-alg', '3des-2key-cbc', '--kid-alg', '3des-2key-cbc-mac'];
  setCardOptions({ porOnAuthFailure: false });
  try {
    const r = await cli(['send', 'pcsc', ...bad, '--spi', '0601', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', '00B0000010']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no PoR received/);
    assert.match(r.stdout, /ENVELOPE 1\/1: SW 9000/);
    // --json: a uicc-ota-pcsc-no-por/1 object (it had no version tag before).
    const nj = await cli(['send', 'pcsc', ...bad, '--spi', '0601', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', '00B0000010', '--json']);
    assert.equal(nj.code, 1, nj.stderr);
    const o = JSON.parse(nj.stdout) as Record<string, unknown>;
    assert.deepEqual([Object.keys(o)[0], o.format, o.por, o.ok, o.verified, o.failures], ['format', 'uicc-ota-pcsc-no-por/1', null, false, false, ['no PoR received']]);
    setCardOptions({ porOnAuthFailure: true, unsecuredErrorStatuses: 'all' });
    const u = await cli(['send', 'pcsc', ...bad, '--spi', '0601', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', '00B0000010', '--json']);
    assert.equal(u.code, 1, u.stderr);
    const j = JSON.parse(u.stdout);
    assert.equal(j.status.code, '01');
    assert.equal(j.checksum.type, 'none');
    // Unsecured error PoR (TS 102 225 cl. 5.2): 02 71 00, RPL 000B (11 octets follow), RHL 0A, TAR, CNTR 0, PCNTR 0, status 01.
    assert.equal(j.transport.envelopes[0].data, '027100000B0AB0001000000000000001');
  } finally {
    setCardOptions({ porOnAuthFailure: true, unsecuredErrorStatuses: ['06'] });
  }
});

test('independent PC/SC client (pcsc-tools scriptor) gets the real SJA2 PoR for a uicc-ota ENVELOPE', async () => {
  const b = await cli(['build', 'sms', ...K, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016', '--format', 'envelope']);
  assert.equal(b.code, 0, b.stderr);
  const env = b.stdout.trim();
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('scriptor', ['-r', READER, '-u'], { cwd: dir });
    let s = '';
    p.stdout.on('data', (d) => (s += d));
    p.stderr.on('data', (d) => (s += d));
    p.on('error', (e) => reject(new Error(`scriptor (Debian pcsc-tools) is required: ${e.message}`)));
    p.on('close', () => resolve(s));
    p.stdin.end(`${env}\n00C0000031\n`);
    setTimeout(() => p.kill('SIGKILL'), 20000);
  });
  const hex = out.split('\n').filter((l) => !l.startsWith('>') && !/^(Using|Reading)/.test(l)).join(' ').replace(/:[^\n<]*/g, ' ').replace(/[^0-9A-F]/g, '');
  assert.ok(hex.includes('6131'), out);
  assert.ok(hex.includes('027100' + SJA2_POR + '9000'), out);
});

// ------------------------------------------------------------- faults

/** A misbehaving card on the second vpcd reader (pcscd is still the real one). */
async function withFakeCard(behave: (capdu: Uint8Array, n: number) => Promise<Uint8Array | 'close'>, fn: (stop: () => void) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  let n = 0;
  const c: VpcdCard = {
    atr: Uint8Array.from([0x3b, 0x02, 0x14, 0x50]),
    reset: () => undefined,
    transmit: async (capdu) => {
      const r = await behave(capdu, ++n);
      if (r === 'close') {
        ac.abort();
        return new Uint8Array(0);
      }
      return r;
    },
  };
  const running = runVpcdCard({ card: c, port: FAKE_PORT, signal: ac.signal, retryMs: 200 });
  try {
    await waitCard(1, true);
    await fn(() => ac.abort());
  } finally {
    ac.abort();
    await running;
    await waitCard(1, false);
  }
}

const OK = Uint8Array.of(0x90, 0x00);
const LONG = ['--spi', '1621', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--data', '00B0000010'.repeat(60)];

test('unexpected SW on ENVELOPE 2/3: one line naming the step, exit 4, the counter stays spent', async () => {
  const state = join(dir, 'fault-counters.json');
  let envelopes = 0;
  const behave = async (c: Uint8Array) => {
    if (c[1] === 0x10) envelopes = 0; // each run starts with TERMINAL PROFILE
    return c[1] === 0xc2 && ++envelopes === 2 ? Uint8Array.of(0x6f, 0x00) : OK;
  };
  await withFakeCard(behave, async () => {
    const r = await cli(['send', 'pcsc', ...K, '--reader', '1', ...LONG, '--counter', 'next', '--state', state]);
    assert.equal(r.code, 4, r.stderr + r.stdout);
    assert.equal(r.stderr, 'uicc-ota: ENVELOPE 2/3: SW 6F00 (technical problem, no precise diagnosis)\n');
    assert.equal(Object.values(JSON.parse(readFileSync(state, 'utf8')).counters)[0], 1);
    const again = await cli(['send', 'pcsc', ...K, '--reader', '1', ...LONG, '--counter', 'next', '--state', state]);
    assert.equal(again.code, 4);
    assert.equal(Object.values(JSON.parse(readFileSync(state, 'utf8')).counters)[0], 2); // never reused
  });
});

test('a card that never answers: bounded by --timeout, exit 4', async () => {
  let release: () => void = () => undefined;
  const hang = new Promise<void>((r) => (release = r));
  await withFakeCard(async (c) => {
    if (c[1] === 0xc2) {
      await hang;
      return OK;
    }
    return OK;
  }, async (stop) => {
    const r = await cli(['send', 'pcsc', ...K, '--reader', '1', '--spi', '0621', '--kic', '15', '--kid', '15', '--apdu', '00B0000010', '--timeout', '1500'], 20000);
    release();
    stop();
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /^uicc-ota: ENVELOPE 1\/1: no answer from the card within 1500 ms\n$/);
    assert.ok(r.ms < 10000, `took ${r.ms} ms`);
  });
});

test('card removed mid-exchange: exit 4 naming the step', async () => {
  await withFakeCard(async (c) => (c[1] === 0xc2 ? 'close' : OK), async () => {
    const r = await cli(['send', 'pcsc', ...K, '--reader', '1', '--spi', '0621', '--kic', '15', '--kid', '15', '--apdu', '00B0000010', '--timeout', '3000'], 20000);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /^uicc-ota: ENVELOPE 1\/1: .+\n$/);
  });
});

test('no card, no such reader, no PC/SC service: one line, exit 4', async () => {
  const nocard = await cli(['send', 'pcsc', ...K, '--reader', '1', '--spi', '0621', '--kic', '15', '--kid', '15', '--apdu', '00B0000010']);
  assert.equal(nocard.code, 4);
  assert.equal(nocard.stderr, 'uicc-ota: PC/SC: no card in reader "Virtual PCD 00 01"\n');
  const noreader = await cli(['send', 'pcsc', ...K, '--reader', 'No Such Reader', '--spi', '0621', '--kic', '15', '--kid', '15', '--apdu', '00B0000010']);
  assert.equal(noreader.code, 4);
  assert.match(noreader.stderr, /^uicc-ota: PC\/SC: no reader "No Such Reader" \(readers: 0: Virtual PCD 00 00; 1: Virtual PCD 00 01\)\n$/);
  // libpcsclite takes the service's socket from PCSCLITE_CSOCK_NAME: point it nowhere.
  const r = await new Promise<RunResult>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'send', 'pcsc', '--list'], { cwd: ROOT, env: { ...process.env, PCSCLITE_CSOCK_NAME: join(dir, 'no-such-socket') } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /^uicc-ota: PC\/SC: no PC\/SC service: .*start pcscd.*\n$/);
});

test('the virtual card kept running for the next client', async () => {
  const r = await cli(['send', 'pcsc', ...K, '--reader', '0', '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016', '--json']);
  assert.equal(r.code, 0, r.stderr + cardLog);
  assert.equal(JSON.parse(r.stdout).transport.envelopes[0].data, '027100' + SJA2_POR);
});

// ------------------------------------------------------------- smsc --pcsc: the SMSC emulator in front of the card in a reader

const PEERS = join(ROOT, 'test', 'peers');
const SMSC = ['--port', '0', '--system-id', 'lab', '--password', 'secret'];
const smscPcsc = (extra: string[]) => launch(process.execPath, [BIN, 'smsc', ...SMSC, ...extra], /listening on TCP [\d.]+:(\d+)/);
const sendSmpp = (port: number, args: string[], limitMs = 30000) =>
  cli(['send', 'smpp', '--port', String(port), '--system-id', 'lab', '--password', 'secret', '--dest', '+491700000', '--source', '12345', '--timeout', '8000', ...args], limitMs);

test('smsc --pcsc: Net::SMPP ESME → uicc-ota smsc → card in the vpcd reader; the real SJA2 PoR (ENVELOPE response) comes back in a deliver_sm', async () => {
  const s = smscPcsc(['--pcsc', READER]);
  try {
    const port = await s.port;
    assert.match(s.err(), /card in PC\/SC reader "Virtual PCD 00 00" \(T=[01], ATR [0-9A-F]+\)/);
    // The user data of the SMS: UDH 02 70 00 (TS 31.115 cl. 4) and the real SJA2 command packet.
    const p = launch('perl', [join(PEERS, 'net-smpp-esme.pl'), '--port', String(port), '--ud', '027000' + SJA2_CMD], /()^$/);
    assert.equal(await p.done, 0, p.err() + s.err());
    // PoR in the SMS-DELIVER-REPORT → deliver_sm: UDHI, PID 7F / DCS F6 of the SMS-DELIVER, from the card's MSISDN to the ESME.
    assert.match(p.out(), new RegExp(`DELIVER esm_class=64 protocol_id=127 data_coding=246 source=1/1/491700000 dest=0/1/12345 ud=027100${SJA2_POR}\n`));
    assert.match(p.out(), /ENQUIRE_LINK_RESP status=0/);
    assert.match(p.out(), /UNBIND_RESP status=0/);
  } finally {
    await s.stop();
  }
  // The log: TERMINAL PROFILE once at connection, then ENVELOPE, 61 31, GET RESPONSE (TS 102 221 cl. 7.4).
  const log = s.err().replace(/\s+/g, '');
  assert.ok(log.includes('TERMINALPROFILE:8010000004' + '03010002'), s.err());
  assert.match(s.err(), /ENVELOPE 1\/1: 80C2[0-9A-F]+ → 6131/);
  assert.match(s.err(), /ENVELOPE 1\/1 GET RESPONSE: 00C0000031 → 027100[0-9A-F]+9000/);
  assert.match(s.err(), /uicc-ota: smsc: stopped/);
});

test('smsc --pcsc: uicc-ota send smpp, AES, PoR by SEND SHORT MESSAGE (91xx, FETCH) carried as deliver_sm with the SMS-SUBMIT fields', async () => {
  const s = smscPcsc(['--pcsc', '--reader', READER]);
  try {
    const r = await sendSmpp(await s.port, [...K, '--spi', '0639', '--kic', '22', '--kid', '22', '--tar', 'B00010', '--apdu', '00B0000010', '--json', '--trace']);
    assert.equal(r.code, 0, r.stderr + s.err());
    const j = JSON.parse(r.stdout);
    assert.equal(j.status.code, '00');
    assert.equal(j.verified, true);
    // The deliver_sm's short_message is the TP-UD of the SEND SHORT MESSAGE of por-framing.json por-proactive-aes.
    const deliver = r.stderr.slice(r.stderr.indexOf('SMPP deliver_sm: ←'));
    assert.ok(deliver.replace(/\s+/g, '').includes(AES_SSM.slice(AES_SSM.indexOf('027100'))), deliver);
    assert.match(deliver, /protocol_id: 0x00/); // TP-PID of the card's SMS-SUBMIT
    assert.match(deliver, /source_addr: "491700000"/);
    assert.match(deliver, /destination_addr: "12345"/); // its TP-DA: the command's TP-OA
  } finally {
    await s.stop();
  }
  assert.match(s.err(), /FETCH 1: 80120000[0-9A-F]{2} → D0/);
  assert.match(s.err(), /TERMINAL RESPONSE 1 \(SEND SHORT MESSAGE\): 801400000C810301130082028281830100 → 9000/);
});

test('smsc --pcsc: a concatenated command is one ENVELOPE per segment; the PoR deciphered with openssl has the counter; --expect-status', async () => {
  const s = smscPcsc(['--pcsc', READER, '--timeout', '8000']);
  try {
    const port = await s.port;
    const r = await sendSmpp(port, [...K, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '20', '--data', '00B0000010'.repeat(30), '--json']);
    assert.equal(r.code, 0, r.stderr + s.err());
    const d = decipherPor('027100' + JSON.parse(r.stdout).hex, '3des', K1_KIC);
    assert.equal(d.cntr, 20n);
    assert.equal(d.status, '00');
    assert.equal(cardJson().applications.find((a) => a.tar === 'B00010')!.counter, 20);
    // The same counter again: TS 102 225 Table 5 status 02 (CNTR low): exit 1 … unless expected.
    const again = ['--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '20', '--apdu', '00B0000010'];
    const low = await sendSmpp(port, [...K, ...again]);
    assert.equal(low.code, 1, low.stderr);
    assert.match(low.stderr, /^uicc-ota: card refused: PoR status 02 \(CNTR low\)$/m);
    const expected = await sendSmpp(port, [...K, ...again, '--expect-status', '02']);
    assert.equal(expected.code, 0, expected.stderr);
  } finally {
    await s.stop();
  }
  assert.equal(s.err().split('ENVELOPE 1/1: 80C2').length - 1, 4); // 2 segments + 2 single SMS
  assert.match(s.err(), /→ 9000\n/); // the first segment: kept by the card, 90 00
});

test('smsc --pcsc faults: no card in the reader (exit 4, one line); an ENVELOPE answered 6F00 is logged, the SMSC goes on and connects again', async () => {
  const none = await cli(['smsc', ...SMSC, '--pcsc', '1']);
  assert.equal(none.code, 4);
  assert.equal(none.stderr, 'uicc-ota: PC/SC: no card in reader "Virtual PCD 00 01"\n');
  const both = await cli(['smsc', ...SMSC, '--pcsc', '0', '--reader', '1']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^uicc-ota: .*--reader.*\n$/);
  let envelopes = 0;
  await withFakeCard(async (c) => (c[1] === 0xc2 && ++envelopes === 1 ? Uint8Array.of(0x6f, 0x00) : OK), async () => {
    const s = smscPcsc(['--pcsc', '1', '--timeout', '3000']);
    try {
      const port = await s.port;
      const args = [...K, '--spi', '0621', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', '00B0000010', '--timeout', '2000'];
      const a = await sendSmpp(port, [...args, '--registered-delivery', '1', '--trace']);
      assert.equal(a.code, 4, a.stderr);
      assert.match(a.stderr, /no PoR for TAR B00010/);
      assert.match(a.stderr, /stat:UNDELIV/); // SMPP 3.4 Appendix B receipt: the card did not take it
      // The next SMS: the SMSC connects again (TERMINAL PROFILE) and the fake card answers 90 00 (no PoR: SPI2 asks none).
      const b = await sendSmpp(port, [...args, '--no-wait']);
      assert.equal(b.code, 0, b.stderr);
      await new Promise((res) => setTimeout(res, 1500));
    } finally {
      await s.stop();
    }
    assert.match(s.err(), /ENVELOPE 1\/1: SW 6F00 \(technical problem, no precise diagnosis\); the next SMS connects to the card again/);
    assert.match(s.err(), /connected to the card in "Virtual PCD 00 01"/);
  });
});

test('card vpcd --state: the RE counters live in the state file (as card process --state), CARD.json is left alone', async () => {
  // Replace the running card by one with a state file, on the same reader.
  card?.kill('SIGTERM');
  await waitCard(0, false);
  const state = join(dir, 're-counters.json');
  const before = cardJson().applications.find((a) => a.tar === 'B00010')!.counter;
  card = spawn(process.execPath, [BIN, 'card', 'vpcd', '--card', CARD, '--state', state], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  card.stderr!.on('data', (d) => (cardLog += d));
  await waitCard(0, true);
  // SPI 1619: counter must be higher. N is higher than CARD.json's counter; stored in the state file only.
  const n = BigInt(before) + 5n;
  const hi = await cli(['send', 'pcsc', ...K, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', String(n), '--apdu', '00B0000010', '--json']);
  assert.equal(hi.code, 0, hi.stderr + cardLog);
  // The PoR deciphered with openssl: CNTR N, status 00.
  const d = decipherPor(JSON.parse(hi.stdout).transport.envelopes[0].data as string, '3des', K1_KIC);
  assert.deepEqual([d.cntr, d.status], [n, '00']);
  assert.deepEqual(JSON.parse(readFileSync(state, 'utf8')), { format: 'uicc-ota-card-state/1', counters: { B00010: Number(n) } });
  assert.equal(cardJson().applications.find((a) => a.tar === 'B00010')!.counter, before);
  // N again: the card reads the state file (CARD.json's lower counter would accept it): status 02, CNTR low.
  const again = await cli(['send', 'pcsc', ...K, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', String(n), '--apdu', '00B0000010']);
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stderr, /PoR status 02 \(CNTR low\)/);
});
