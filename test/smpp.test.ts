/**
 * SMPP: `send smpp` (ESME) and `smsc` (SMSC emulator in front of the card
 * simulator), against each other on loopback and each against Debian's
 * Net::SMPP (libnet-smpp-perl), an SMPP implementation that is not ours
 * (test/peers/*.pl). Everything binds 127.0.0.1 on free ports.
 *
 * Expected PoRs are the real cards' answers quoted in the vectors
 * (vectors/responses.json, provenance "real-card trace"): the sysmoISIM-SJA2
 * (3DES) and sysmoISIM-SJA5 (AES) PoRs to the commands of
 * vectors/sms-pp-commands.json, from pySim's docs/smpp-ota-tool.rst and
 * tests/unittests/test_ota.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, KEYSET, ROOT, isOneLineError, live, run, runAsync, type RunResult } from './helpers/cli.js';
import { launch, type Running } from './helpers/launch.js';

// Real sysmoISIM-SJA2 command (SPI 0619, KIc/KID 15, TAR B00010, CNTR 0, SELECT 7F20 + GET RESPONSE) and its PoR.
const SJA2_ARGS = ['--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016'];
const SJA2_UD = '02700000281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';
const SJA2_POR = '002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39';
// Real sysmoISIM-SJA5 command (AES-CMAC + AES-CBC, KIc/KID 22, TAR B00011, SELECT MF) and its PoR.
const SJA5_ARGS = ['--keyset', KEYSET, '--spi', '0619', '--kic', '22', '--kid', '22', '--tar', 'B00011', '--counter', '0', '--apdu', '00A40004023F00'];
const SJA5_UD = '02700000281506192222B00011E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058';
const SJA5_POR = '002412B00011EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F';

const PEERS = join(ROOT, 'test', 'peers');
const tmp = () => mkdtempSync(join(tmpdir(), 'uicc-ota-smpp-'));

/** A fresh directory with a CARD.json (card init), for one SMSC. */
function cardDir(): string {
  const dir = tmp();
  const r = run(['card', 'init', '--out', join(dir, 'CARD.json')]);
  assert.equal(r.code, 0, r.stderr);
  return dir;
}

function smsc(dir: string, extra: string[] = []): Running {
  return launch(process.execPath, [BIN, 'smsc', '--port', '0', '--system-id', 'lab', '--password', 'secret', '--card', join(dir, 'CARD.json'), ...extra], /listening on TCP [\d.]+:(\d+)/);
}

/** The command as a user runs it, stdin given (and closed). */
const cli = (args: string[], input = ''): Promise<RunResult> => runAsync(args, { input });

const send = (port: number, args: string[], extra: string[] = [], input = '') =>
  cli(['send', 'smpp', '--port', String(port), '--system-id', 'lab', '--password', 'secret', '--dest', '+491700000', '--source', '12345', '--timeout', '5000', ...args, ...extra], input);

/** Net::SMPP as SMSC (test/peers/net-smpp-smsc.pl). */
function perlSmsc(args: string[]): Running {
  return launch('perl', [join(PEERS, 'net-smpp-smsc.pl'), '--dest', '491700000', '--source', '12345', ...args], /PORT (\d+)/);
}

const porJson = (r: RunResult) => JSON.parse(r.stdout) as { hex: string; tar: string; counter: number; status: { code: string }; verified: boolean | null; checksum: { verified: boolean | null } };

// ------------------------------------------------------------ uicc-ota ↔ uicc-ota

test('send smpp → smsc --card: 3DES, PoR in the SMS-DELIVER-REPORT is the real SJA2 PoR', async () => {
  const s = smsc(cardDir());
  try {
    const port = await s.port;
    const r = await send(port, [...SJA2_ARGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = porJson(r);
    assert.equal(j.hex, SJA2_POR); // real-card PoR (vectors/responses.json card-sja2-por-3des-cc-cipher)
    assert.equal(j.status.code, '00');
    assert.equal(j.checksum.verified, true);
    assert.equal(j.verified, true);
  } finally {
    await s.stop();
  }
  // The SMSC logged the exchange as a tree: submit_sm, the SMS-DELIVER, the ENVELOPE, the card, the deliver_sm.
  assert.match(s.err(), /SMPP submit_sm: ← seq/);
  assert.match(s.err(), /SMS-DELIVER/);
  assert.match(s.err(), /ENVELOPE \(SMS-PP DOWNLOAD\)/);
  assert.match(s.err(), /SMPP deliver_sm: → seq/);
  assert.doesNotMatch(s.err(), /"secret"/, 'the bind password is not logged');
});

test('send smpp → smsc --card: AES (CMAC + CBC), PoR is the real SJA5 PoR', async () => {
  const s = smsc(cardDir());
  try {
    const r = await send(await s.port, [...SJA5_ARGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = porJson(r);
    assert.equal(j.hex, SJA5_POR); // real-card PoR (vectors/responses.json card-sja5-por-aes-cc-cipher)
    assert.equal(j.checksum.verified, true);
  } finally {
    await s.stop();
  }
});

test('send smpp → smsc --card: PoR via SMS-SUBMIT (SPI2 b6 = 1), deliver_sm carries the SMS-SUBMIT fields', async () => {
  const s = smsc(cardDir());
  try {
    // SPI 0639 = 0619 with "PoR via SMS-SUBMIT": the response packet has no SPI in it (TS 102 225 cl. 5.2),
    // so the card's PoR is the same octets as the real SJA2 PoR to the 0619 command.
    const args = SJA2_ARGS.map((a) => (a === '0619' ? '0639' : a));
    const r = await send(await s.port, [...args, '--json', '--trace']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(porJson(r).hex, SJA2_POR);
    // The card's SMS-SUBMIT: TP-PID 00 (as the real Gemalto trace), TP-DA = the command's TP-OA (12345).
    const deliver = r.stderr.slice(r.stderr.indexOf('SMPP deliver_sm:'));
    assert.match(deliver, /protocol_id: 0x00/);
    assert.match(deliver, /destination_addr: "12345"/);
    assert.match(deliver, /source_addr: "491700000"/);
    assert.match(deliver, /esm_class: 0x40/);
  } finally {
    await s.stop();
  }
  assert.match(s.err(), /SEND SHORT MESSAGE/);
});

test('send smpp → smsc --card: a concatenated command goes as one submit_sm per segment; the card reassembles', async () => {
  const dir = cardDir();
  const s = smsc(dir);
  try {
    const apdus = Array.from({ length: 20 }, () => ['--apdu', 'A0A40000027F20']).flat();
    const r = await send(await s.port, ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '7', ...apdus, '--json', '--trace']);
    assert.equal(r.code, 0, r.stderr);
    const submits = r.stderr.split('SMPP submit_sm: →').length - 1;
    assert.equal(submits, 2);
    // First segment UDH 07 00 03 rr 02 01 70 00, second 05 00 03 rr 02 02 (TS 31.115 cl. 4 / 03.48 table).
    assert.match(r.stderr.replace(/\s+/g, ''), /0700030002017000/);
    assert.match(r.stderr.replace(/\s+/g, ''), /050003000202/);
    const j = porJson(r);
    assert.equal(j.status.code, '00');
    assert.equal(j.counter, 7);
    assert.equal(j.checksum.verified, true);
  } finally {
    await s.stop();
  }
  assert.match(s.err(), /segment 1 of 2 \(reference 0\) stored/);
  // The counter was stored in CARD.json by the card simulator.
  assert.match(readFileSync(join(dir, 'CARD.json'), 'utf8'), /"counter": 7/);
});

test('send smpp --each: PoRs matched by TAR and counter, output in input order; --bind transmitter reads PoRs on a receiver bind', async () => {
  const s = smsc(cardDir());
  try {
    const port = await s.port;
    const base = ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '3', '--each'];
    // Output line N answers input line N: the comment line is passed through.
    const r = await send(port, base, [], 'A0A40000027F20\n# then\nA0A40000027F20A0C0000016\n');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^1 OK response tar=B00010 status=00 cc/);
    assert.equal(lines[1], '# then');
    assert.match(lines[2], /^3 OK response tar=B00010 status=00 cc/);
    const t = await send(port, [...SJA5_ARGS.map((a) => (a === '0' ? '1' : a)), '--spi', '1619', '--bind', 'transmitter', '--json', '--trace']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stderr, /SMPP bind_receiver:/);
    assert.match(t.stderr, /SMPP bind_transmitter:/);
    assert.equal(porJson(t).counter, 1);
  } finally {
    await s.stop();
  }
});

test('send smpp --each streams: each line is answered as its PoR comes, before stdin closes (as behind tail -f); a bad line is its own line and the campaign goes on', async () => {
  const s = smsc(cardDir());
  try {
    const port = await s.port;
    const args = ['--port', String(port), '--system-id', 'lab', '--password', 'secret', '--dest', '+491700000', '--source', '12345', '--timeout', '5000'];
    const sec = ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '3', '--each'];
    const t = live(['send', 'smpp', ...args, ...sec]);
    t.write('A0A40000027F20\n');
    assert.match(await t.next(), /^1 OK response tar=B00010 status=00 cc$/);
    t.write('ZZ\n');
    assert.equal(await t.next(), '2 ERROR not a hex digit "Z" at character 1');
    t.write('# then\nA0A40000027F20\n');
    assert.equal(await t.next(), '# then');
    // The bad line took no counter (it was not sent): line 4 gets counter 4.
    assert.match(await t.next(), /^4 OK response tar=B00010 status=00 cc$/);
    t.end();
    assert.equal(await t.closed, 2);
    // --json: the error object with the exit code of its line; the comment an empty line.
    const j = live(['send', 'smpp', ...args, ...sec.map((a) => (a === '3' ? '6' : a)), '--json']);
    j.write('A0A40000027F20\n');
    const first = JSON.parse(await j.next()) as { line: number; counter: number; verified: boolean; status: { code: string } };
    assert.deepEqual([first.line, first.counter, first.verified, first.status.code], [1, 6, true, '00']);
    j.write('0\n#\n');
    assert.deepEqual(Object.keys(JSON.parse(await j.next())), ['format', 'line', 'error', 'exitCode']); // uicc-ota-error/1, as parse --each --json
    assert.equal(await j.next(), '');
    // Neither the bad line nor one too long for 255 SMS (not sent either) took a counter: the next command has 7.
    j.write(`${'AA'.repeat(40000)}\nA0A40000027F20\n`);
    assert.match(JSON.parse(await j.next()).error, /more than 255/);
    const next = JSON.parse(await j.next()) as { line: number; counter: number; status: { code: string } };
    assert.deepEqual([next.line, next.counter, next.status.code], [5, 7, '00']);
    j.end();
    assert.equal(await j.closed, 2);
  } finally {
    await s.stop();
  }
});

test('send smpp: a PoR status other than 00 fails the send (exit 1), the PoR still printed; --expect-status (single and --each)', async () => {
  const s = smsc(cardDir());
  try {
    const port = await s.port;
    const args = ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', 'A0A40000027F20', '--json'];
    assert.equal((await send(port, [...args, '--counter', '5'])).code, 0);
    // Counter mode "higher" (SPI1 b5b4 = 10) and CNTR 5 again: TS 102 225 Table 5 status 02, "CNTR low".
    const r = await send(port, [...args, '--counter', '5']);
    assert.equal(r.code, 1);
    assert.equal(porJson(r).status.code, '02');
    assert.match(r.stderr, /^uicc-ota: card refused: PoR status 02 \(CNTR low\)\n$/m);
    // --expect-status: a negative test that expects 02 (or 01/02) passes; one that expects 01 does not.
    const e = await send(port, [...args, '--counter', '5', '--expect-status', '01,02']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(porJson(e).status.code, '02');
    const x = await send(port, [...args, '--counter', '5', '--expect-status', '01']);
    assert.equal(x.code, 1);
    assert.match(x.stderr, /^uicc-ota: card refused: PoR status 02 \(CNTR low\), expected 01\n$/m);
    // A PoR OK where 02 was expected fails too.
    const ok = await send(port, [...args, '--counter', '6', '--expect-status', '02']);
    assert.equal(ok.code, 1);
    assert.equal(ok.stderr, 'uicc-ota: unexpected PoR status: PoR status 00 (PoR OK), expected 02\n');
    // --each: per line, the worst exit code wins (line 1 counter 6 again: 02 expected; line 2 counter 7: 00 not expected).
    const each = await send(port, ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '6', '--each', '--expect-status', '02'], [], 'A0A40000027F20\nA0A40000027F20\n');
    assert.equal(each.code, 1, each.stderr);
    const lines = each.stdout.trim().split('\n');
    assert.match(lines[0], /^1 OK response tar=B00010 status=02 cc$/);
    assert.match(lines[1], /^2 FAIL response tar=B00010 status=00 cc: PoR status 00 \(PoR OK\), expected 02$/);
    const bad = await send(port, [...args, '--counter', '9', '--expect-status', '2']);
    assert.equal(bad.code, 2);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
    assert.match(bad.stderr, /--expect-status/);
  } finally {
    await s.stop();
  }
});

test('send smpp --no-wait returns after submit_sm_resp with the message_id', async () => {
  const s = smsc(cardDir());
  try {
    const r = await send(await s.port, [...SJA2_ARGS, '--no-wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1 SUBMITTED tar=B00010 cntr=0 message_id=\w+/);
    // --json: a uicc-ota-smpp-submit/1 object (its schema checked by the cli helper), and with --each one per line.
    const j = await send(await s.port, [...SJA2_ARGS, '--no-wait', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const o = JSON.parse(j.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(o), ['format', 'line', 'tar', 'counter', 'messageIds', 'error']);
    assert.deepEqual([o.format, o.line, o.tar, o.counter, o.error], ['uicc-ota-smpp-submit/1', 1, 'B00010', 0, null]);
    const data = SJA2_ARGS.filter((_, i) => SJA2_ARGS[i - 1] === '--apdu').join('');
    const rest = SJA2_ARGS.filter((a, i) => a !== '--apdu' && SJA2_ARGS[i - 1] !== '--apdu');
    const e = await send(await s.port, [...rest, '--no-wait', '--json', '--each'], [], `${data}\nZZ\n`);
    assert.equal(e.code, 2, e.stderr);
    const lines = e.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l.format, l.line]), [['uicc-ota-smpp-submit/1', 1], ['uicc-ota-error/1', 2]]);
  } finally {
    await s.stop();
  }
});

// ------------------------------------------------------------ against Net::SMPP (Debian libnet-smpp-perl)

test('Net::SMPP ESME → uicc-ota smsc: submit_sm of a uicc-ota-built SMS, deliver_sm back with the real PoR', async () => {
  const built = run(['build', 'sms', ...SJA2_ARGS, '--format', 'ud']);
  assert.equal(built.code, 0, built.stderr);
  assert.equal(built.stdout.trim(), SJA2_UD); // the real SJA2 command (vectors/sms-pp-commands.json)
  const s = smsc(cardDir());
  try {
    const port = await s.port;
    const p = launch('perl', [join(PEERS, 'net-smpp-esme.pl'), '--port', String(port), '--ud', built.stdout.trim()], /()^$/);
    assert.equal(await p.done, 0, p.err());
    const out = p.out();
    assert.match(out, /BIND status=0/);
    assert.match(out, /SUBMIT_RESP status=0 message_id=\w+/);
    // PoR in the SMS-DELIVER-REPORT → deliver_sm: UDHI, TP-PID/TP-DCS of the SMS-DELIVER, source = the card's MSISDN.
    assert.match(out, new RegExp(`DELIVER esm_class=64 protocol_id=127 data_coding=246 source=1/1/491700000 dest=0/1/12345 ud=027100${SJA2_POR}`));
    assert.match(out, /ENQUIRE_LINK_RESP status=0/);
    assert.match(out, /UNBIND_RESP status=0/);
    // Wrong password: refused with ESME_RINVPASWD (0x0E = 14), the SMSC stays up.
    const w = launch('perl', [join(PEERS, 'net-smpp-esme.pl'), '--port', String(port), '--password', 'wrong'], /()^$/);
    await w.done;
    assert.match(w.out(), /BIND status=14/);
    const again = launch('perl', [join(PEERS, 'net-smpp-esme.pl'), '--port', String(port), '--ud', SJA5_UD], /()^$/);
    assert.equal(await again.done, 0, again.err());
    assert.match(again.out(), new RegExp(`ud=027100${SJA5_POR}`));
  } finally {
    await s.stop();
  }
});

for (const [name, args, ud, por] of [['3DES', SJA2_ARGS, SJA2_UD, SJA2_POR], ['AES', SJA5_ARGS, SJA5_UD, SJA5_POR]] as const) {
  test(`uicc-ota send smpp → Net::SMPP SMSC (${name}): submit_sm fields checked by the peer, its deliver_sm PoR verified`, async () => {
    // The peer expects the real card's command octets and answers with the real card's PoR.
    // It also sends an enquire_link while we wait (SMPP 3.4 cl. 4.11): we answer it.
    const p = perlSmsc(['--expect', ud, '--por', `027100${por}`, '--enquire']);
    const r = await send(await p.port, [...args, '--json']);
    await p.done;
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(p.out(), /FAIL/, p.out());
    assert.match(p.out(), /ENQUIRE_LINK_RESP status=0/);
    assert.match(p.out(), /SUBMIT esm_class=64 protocol_id=127 data_coding=246 dest=1\/1\/491700000 source=12345 registered_delivery=0/);
    assert.match(p.out(), /DELIVER_RESP status=0/);
    assert.match(p.out(), /UNBIND/);
    const j = porJson(r);
    assert.equal(j.hex, por);
    assert.equal(j.verified, true);
  });
}

// AES key KIc 22 of vectors/keysets/test.json, for deciphering PoRs with the openssl CLI.
const K2_KIC = '200102030405060708090A0B0C0D0E0F';
const openssl = (args: string[], hex: string) => execFileSync('openssl', args, { input: Buffer.from(hex, 'hex') }).toString('hex').toUpperCase();
/** CNTR and status of a ciphered response packet (RPL RHL TAR | ciphered CNTR PCNTR status CC ...), deciphered by openssl. */
function decipherPacket(packet: string, alg: '3des' | 'aes', key: string): { cntr: bigint; status: string } {
  const ct = packet.slice(12);
  const plain = alg === '3des'
    ? openssl(['enc', '-d', '-des-ede-cbc', '-K', key, '-iv', '0000000000000000', '-nopad'], ct)
    : openssl(['enc', '-d', '-aes-128-cbc', '-K', key, '-iv', '00000000000000000000000000000000', '-nopad'], ct);
  return { cntr: BigInt('0x' + plain.slice(0, 10)), status: plain.slice(12, 14) };
}

/** por-framing.json por-submit-concat8-2seg-aes (openssl CLI + vectors/tools/framing.py): the TP-UD of each SMS-SUBMIT. */
function concatAesPor(): string[] {
  const d = JSON.parse(readFileSync(join(ROOT, 'vectors', 'por-framing.json'), 'utf8')) as { cases: { id: string; expected: { hex: string[] } }[] };
  // SMS-SUBMIT (TS 23.040 cl. 9.2.2.2): 41 MR, DA 08 81 21436587, PID, DCS, UDL, then TP-UD: 11 octets before it.
  return d.cases.find((c) => c.id === 'por-submit-concat8-2seg-aes')!.expected.hex.map((t) => t.slice(22));
}
const LONG_AES = ['--keyset', KEYSET, '--spi', '0639', '--kic', '22', '--kid', '22', '--tar', 'B00010', '--counter', '0', '--concat-ref', '9', '--data', 'E7'.repeat(180)];

test('uicc-ota send smpp → Net::SMPP SMSC: a concatenated AES command in two submit_sm, a concatenated PoR in two deliver_sm (por-submit-concat8-2seg-aes) reassembled and verified', async () => {
  const built = run(['build', 'sms', ...LONG_AES, '--format', 'ud']);
  assert.equal(built.code, 0, built.stderr);
  const uds = built.stdout.trim().split('\n');
  assert.equal(uds.length, 2);
  // TS 23.040 cl. 9.2.3.24.1 concatenation IE 00 03 ref total seq; TS 31.115 cl. 4: IE 70 00 in the first segment only.
  assert.match(uds[0], /^070003090201700000/);
  assert.match(uds[1], /^050003090202/);
  const por = concatAesPor();
  const p = perlSmsc(['--expect', uds[0], '--expect', uds[1], '--por', por[0], '--por', por[1]]);
  const r = await send(await p.port, [...LONG_AES, '--json']);
  await p.done;
  assert.equal(r.code, 0, r.stderr + p.out());
  assert.doesNotMatch(p.out(), /FAIL/, p.out());
  assert.equal(p.out().split('SUBMIT esm_class=64 protocol_id=127 data_coding=246').length - 1, 2);
  assert.equal(p.out().split('DELIVER_RESP status=0').length - 1, 2);
  const j = JSON.parse(r.stdout) as { counter: number; status: { code: string }; checksum: { value: string; verified: boolean }; verified: boolean };
  // Expected fields of the vector (por-framing.json): counter 0, status 00, CC 8C91321CC8BA0F03.
  assert.equal(j.counter, 0);
  assert.equal(j.status.code, '00');
  assert.equal(j.checksum.value, '8C91321CC8BA0F03');
  assert.equal(j.verified, true);
});

test('Net::SMPP ESME → uicc-ota smsc: a concatenated AES command (two submit_sm, the card reassembles), the PoR deciphered by openssl carries its counter', async () => {
  const dir = cardDir();
  const args = ['--keyset', KEYSET, '--spi', '1619', '--kic', '22', '--kid', '22', '--tar', 'B00010', '--counter', '5', '--concat-ref', '3', ...Array.from({ length: 26 }, () => ['--apdu', 'A0A40000027F20']).flat()];
  const built = run(['build', 'sms', ...args, '--format', 'ud']);
  assert.equal(built.code, 0, built.stderr);
  const uds = built.stdout.trim().split('\n');
  assert.equal(uds.length, 2);
  const s = smsc(dir);
  try {
    const p = launch('perl', [join(PEERS, 'net-smpp-esme.pl'), '--port', String(await s.port), '--ud', uds[0], '--ud', uds[1]], /()^$/);
    assert.equal(await p.done, 0, p.err() + s.err());
    assert.equal(p.out().split('SUBMIT_RESP status=0').length - 1, 2);
    const m = /DELIVER esm_class=64 protocol_id=127 data_coding=246 source=1\/1\/491700000 dest=0\/1\/12345 ud=027100([0-9A-F]+)\n/.exec(p.out());
    assert.ok(m, p.out());
    assert.equal(m[1].slice(6, 12), 'B00010'); // TAR in clear (TS 102 225 cl. 5.2)
    const d = decipherPacket(m[1], 'aes', K2_KIC);
    assert.equal(d.cntr, 5n);
    assert.equal(d.status, '00');
  } finally {
    await s.stop();
  }
  assert.match(s.err(), /segment 1 of 2 \(reference 3\) stored/);
  assert.match(readFileSync(join(dir, 'CARD.json'), 'utf8'), /"counter": 5/);
});

test('smsc serves concurrent sessions while one stalls half-way through a PDU and another sends garbage', async () => {
  const s = smsc(cardDir());
  try {
    const port = await s.port;
    // Session A: binds, sends an unknown command (generic_nack ESME_RINVCMDID, SMPP 3.4 cl. 4.3 / Table 5-2), then 10 octets of a 40-octet PDU, and stalls.
    const a = connect({ host: '127.0.0.1', port });
    let aData = Buffer.alloc(0);
    a.on('data', (d) => (aData = Buffer.concat([aData, d])));
    a.on('error', () => undefined);
    await new Promise((res) => a.once('connect', res));
    const bind = Buffer.concat([Buffer.from('lab\0secret\0\0', 'latin1'), Buffer.from([0x34, 0, 0, 0])]);
    a.write(Buffer.concat([hdr(16 + bind.length, 0x00000009, 0, 1), bind, hdr(16, 0x00000077, 0, 2), hdr(40, 0x00000004, 0, 3).subarray(0, 10)]));
    // Session C: garbage that is no PDU at all (command_length 0x41414141 > 70000): generic_nack, then closed.
    const c = raw(port, [Buffer.from('AAAAAAAAAAAAAAAAAAAA', 'latin1')]);
    // Sessions B (Net::SMPP, 3DES) and D (uicc-ota send smpp, AES) meanwhile, in parallel.
    const b = launch('perl', [join(PEERS, 'net-smpp-esme.pl'), '--port', String(port), '--ud', SJA2_UD], /()^$/);
    const d = send(port, [...SJA5_ARGS, '--json']);
    const [bCode, dRes, cRes] = await Promise.all([b.done, d, c]);
    assert.equal(bCode, 0, b.err());
    assert.match(b.out(), new RegExp(`ud=027100${SJA2_POR}`)); // the real SJA2 PoR
    assert.equal(dRes.code, 0, dRes.stderr);
    assert.equal(porJson(dRes).hex, SJA5_POR); // the real SJA5 PoR
    // generic_nack ESME_RINVCMDLEN, echoing the sequence_number octets the garbage carried ('AAAA').
    assert.equal(cRes.data.subarray(0, 16).toString('hex'), hdr(16, 0x80000000, 2, 0x41414141).toString('hex'));
    assert.equal(cRes.closed, true);
    // A got its bind_transceiver_resp (ESME_ROK) and the generic_nack, and is still connected.
    assert.equal(aData.readUInt32BE(4), 0x80000009);
    assert.equal(aData.readUInt32BE(8), 0);
    const at = aData.readUInt32BE(0);
    assert.equal(aData.subarray(at, at + 16).toString('hex'), hdr(16, 0x80000000, 3, 2).toString('hex'));
    assert.equal(a.destroyed, false);
    a.destroy();
  } finally {
    await s.stop();
  }
});

// ------------------------------------------------------------ faults

/** A command with --counter next from `state` (the counter is reserved, stored as used, before anything is sent). */
const nextArgs = (state: string) => ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', 'next', '--state', state, '--apdu', 'A0A40000027F20'];
// State files hold integers since JSON v1 (older string counters are still read); compared as text here.
const usedCounter = (state: string) => String(Object.values((JSON.parse(readFileSync(state, 'utf8')) as { counters: Record<string, string | number> }).counters)[0]);

test('faults: bind refused / wrong password name the step and the status; exit 4; the counter stays used', async () => {
  const state = join(tmp(), 'counters.json');
  const p = perlSmsc(['--bind_status', '13']);
  const r = await send(await p.port, nextArgs(state));
  await p.done;
  assert.equal(r.code, 4);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  // SMPP 3.4 Table 5-2: 0x0D ESME_RBINDFAIL.
  assert.equal(r.stderr, 'uicc-ota: SMPP bind_transceiver: refused by the SMSC: ESME_RBINDFAIL (0x0000000D)\n');
  assert.equal(usedCounter(state), '1');
  const s = smsc(cardDir());
  try {
    const w = await cli(['send', 'smpp', '--port', String(await s.port), '--system-id', 'lab', '--password', 'nope', '--dest', '1', ...SJA2_ARGS]);
    assert.equal(w.code, 4);
    assert.ok(isOneLineError(w.stderr), w.stderr);
    assert.match(w.stderr, /bind_transceiver.*ESME_RINVPASWD/);
  } finally {
    await s.stop();
  }
});

test('faults: submit_sm_resp with an error status is named (ESME_RINVDSTADR); exit 4; the counter stays used', async () => {
  const state = join(tmp(), 'counters.json');
  const p = perlSmsc(['--submit_status', '11', '--expect', '.*']);
  const r = await send(await p.port, nextArgs(state));
  await p.done;
  assert.equal(r.code, 4);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  // SMPP 3.4 Table 5-2: 0x0B ESME_RINVDSTADR.
  assert.match(r.stderr, /submit_sm.*ESME_RINVDSTADR \(0x0000000B\)/);
  assert.equal(usedCounter(state), '1');
  const again = perlSmsc(['--close', 'after-bind']);
  const c = await send(await again.port, nextArgs(state));
  await again.done;
  assert.equal(c.code, 4);
  assert.ok(isOneLineError(c.stderr), c.stderr);
  assert.match(c.stderr, /SMPP submit_sm \(the SMS\): the SMSC closed the connection/);
  assert.equal(usedCounter(state), '2'); // never reused
});

test('faults: a PoR for our TAR but another counter is not taken for ours: exit 1 naming both', async () => {
  // The real SJA2 PoR answers CNTR 0 (status 00); our command has CNTR 1.
  const args = SJA2_ARGS.map((a, i) => (SJA2_ARGS[i - 1] === '--counter' ? '1' : a));
  const p = perlSmsc(['--expect', '.*', '--por', `027100${SJA2_POR}`]);
  const r = await send(await p.port, [...args, '--timeout', '1500']);
  await p.done;
  assert.equal(r.code, 1);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(r.stderr, /no PoR for TAR B00010 CNTR 1 within 1500 ms; received a PoR for another command \(TAR B00010 CNTR 0 status 00\)/);
});

test('faults: the SMSC closes the connection, or unbinds, while we wait; exit 4', async () => {
  const p = perlSmsc(['--close', 'after-submit', '--expect', SJA2_UD]);
  const r = await send(await p.port, SJA2_ARGS);
  await p.done;
  assert.equal(r.code, 4);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(r.stderr, /closed the connection/);
  // The SMSC ends the session with an unbind instead: answered with unbind_resp, then the same failure, named so.
  const u = perlSmsc(['--close', 'unbind', '--expect', SJA2_UD]);
  const v = await send(await u.port, SJA2_ARGS);
  await u.done;
  assert.match(u.out(), /UNBIND_RESP status=0/);
  assert.equal(v.code, 4);
  assert.equal(v.stderr, 'uicc-ota: SMPP waiting for the PoR (transceiver): the SMSC ended the session (unbind)\n');
});

test('faults: no PoR before --timeout (exit 4); a PoR for another TAR/counter only (exit 1); counters recorded as used', async () => {
  const state = join(tmp(), 'counters.json');
  const next = ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', 'next', '--state', state, '--apdu', 'A0A40000027F20'];
  const p = perlSmsc(['--expect', '.*']);
  const port = await p.port;
  // The peer expects other octets: its FAIL line does not matter here; it sends no PoR.
  const r = await send(port, [...next, '--timeout', '1500']);
  await p.done;
  assert.equal(r.code, 4);
  assert.ok(isOneLineError(r.stderr), r.stderr);
  assert.match(r.stderr, /waiting for the PoR: no PoR for TAR B00010 CNTR 1 within 1500 ms/);
  // The counter consumed by the failed send is stored as used: the next send takes 2.
  const q = perlSmsc(['--expect', SJA2_UD, '--por', `027100${SJA5_POR}`]);
  const o = await send(await q.port, [...SJA2_ARGS, '--timeout', '1500']);
  await q.done;
  assert.equal(o.code, 1);
  assert.ok(isOneLineError(o.stderr), o.stderr);
  assert.match(o.stderr, /no PoR for TAR B00010 CNTR 0 .*another command \(TAR B00011/);
  const bad = await send(1, [...next, '--timeout', '1500']); // nothing listens on port 1
  assert.equal(bad.code, 4);
  assert.match(bad.stderr, /connect to 127\.0\.0\.1:1: ECONNREFUSED/);
  assert.match(readFileSync(state, 'utf8'), /"2"|: 2\b/);
});

/** Raw bytes to the SMSC; resolves with what came back before `ms` or the close. */
function raw(port: number, chunks: Buffer[], ms = 1500): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let data = Buffer.alloc(0);
    let closed = false;
    s.on('data', (d) => (data = Buffer.concat([data, d])));
    s.on('close', () => ((closed = true), resolve({ data, closed })));
    s.on('error', () => undefined);
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
    });
    setTimeout(() => {
      s.destroy();
      if (!closed) resolve({ data, closed });
    }, ms);
  });
}

const hdr = (len: number, id: number, status: number, seq: number) => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(len, 0);
  b.writeUInt32BE(id, 4);
  b.writeUInt32BE(status, 8);
  b.writeUInt32BE(seq, 12);
  return b;
};

test('smsc: malformed PDUs get generic_nack and the SMSC stays up for this and other sessions', async () => {
  const s = smsc(cardDir());
  try {
    const port = await s.port;
    // SMPP 3.4 cl. 4.3: generic_nack = command_id 0x80000000; ESME_RINVCMDID 0x03, ESME_RINVCMDLEN 0x02 (Table 5-2).
    // 1) unknown command_id, 2) a bind_transceiver whose body stops inside system_id, 3) a good bind, then enquire_link.
    const bind = Buffer.concat([Buffer.from('lab\0secret\0\0', 'latin1'), Buffer.from([0x34, 0, 0, 0])]);
    const a = await raw(port, [hdr(16, 0x00000077, 0, 5), Buffer.concat([hdr(18, 0x00000009, 0, 6), Buffer.from('la')]), Buffer.concat([hdr(16 + bind.length, 0x00000009, 0, 7), bind]), hdr(16, 0x00000015, 0, 8)]);
    const d = a.data;
    assert.equal(d.subarray(0, 16).toString('hex'), hdr(16, 0x80000000, 3, 5).toString('hex'));
    assert.equal(d.subarray(16, 32).toString('hex'), hdr(16, 0x80000000, 2, 6).toString('hex'));
    assert.equal(d.readUInt32BE(32 + 4), 0x80000009); // bind_transceiver_resp
    assert.equal(d.readUInt32BE(32 + 8), 0); // ESME_ROK
    const at = d.readUInt32BE(32);
    assert.equal(d.subarray(32 + at, 32 + at + 16).toString('hex'), hdr(16, 0x80000015, 0, 8).toString('hex'));
    // 4) command_length 8: the stream cannot be followed: generic_nack ESME_RINVCMDLEN, then the connection is closed.
    const b = await raw(port, [Buffer.from('0000000800000015', 'hex')]);
    assert.equal(b.data.subarray(0, 16).toString('hex'), hdr(16, 0x80000000, 2, 0).toString('hex'));
    assert.equal(b.closed, true);
    // Others are still served.
    const r = await send(port, [...SJA2_ARGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(porJson(r).hex, SJA2_POR);
  } finally {
    await s.stop();
  }
  assert.match(s.err(), /malformed PDU: unknown command_id/);
});

test('smsc: --card or --pcsc, and the PC/SC options only with --pcsc: exit 2, one line naming the option', () => {
  const base = ['smsc', '--port', '0', '--system-id', 'lab', '--password', 'secret'];
  for (const [args, field] of [
    [[], /--card/],
    [['--card', 'CARD.json', '--pcsc'], /--pcsc/],
    [['--card', 'CARD.json', '--timeout', '100'], /--timeout: only with --pcsc/],
    [['--card', 'CARD.json', '--terminal-profile', '0301'], /--terminal-profile: only with --pcsc/],
    [['--pcsc', '--state', 'x.json'], /--state: only with --card/],
    [['--pcsc', '--cla', 'B0'], /--cla/],
  ] as const) {
    const r = run([...base, ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, field);
  }
});
