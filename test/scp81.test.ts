/**
 * Issue "SCP81: remote administration over HTTPS with PSK-TLS": the push
 * (`build push`, `scp81 parse-push`, `parse`), the admin HTTP messages
 * (`scp81 parse`), and real PSK-TLS sessions on loopback (`scp81 serve`,
 * `scp81 agent`), against each other and against Debian's openssl.
 *
 * Where expected values come from (never from our own encoder alone):
 *  - the worked example of the trigger in the SCP81 digest §6.1 (GP Amendment B
 *    tag tree; its TLV lengths were computed there by an independent script),
 *    quoted below byte for byte;
 *  - the real connection-parameter TLVs of pySim's cat.py test vectors quoted in
 *    the digest §2.2 (B5 01 03, BC 03 02 80 00, BE 05 21 01 02 03 04, C7 04 03 6E 61 61);
 *  - the HTTP messages ①–⑥ of digest §6.3 (from the 2019 reference capture), written
 *    out by hand below as the octets on the wire;
 *  - the TS 31.115 / TS 102 225 command header with SPI 0000 (no security): CPL,
 *    CHL 0D, SPI, KIc, KID, TAR, CNTR, PCNTR, written out by hand;
 *  - `openssl s_client` / `openssl s_server` (Debian OpenSSL 3) and `gnutls-cli`
 *    (Debian GnuTLS 3.7) as the TLS peers, with hand-written HTTP bytes;
 *  - tshark decrypting a recorded session with the NSS key log that `--keylog` wrote.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, runAsync, isOneLineError, BIN, ROOT } from './helpers/cli.js';
import { buildServerAnswer } from '../src/https/http.js';
import { fromHex } from '../src/util/hex.js';
import { exampleCard } from '../src/card/card.js';

const DIR = mkdtempSync(join(tmpdir(), 'scp81-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
let nfile = 0;
const tmp = (ext: string) => join(DIR, `f${++nfile}.${ext}`);

// Example PSK (digest §7 used 000102…0F with identity card-psk-id).
const KEY = '000102030405060708090A0B0C0D0E0F';
const ID = '89000000000000000001';

// Digest §6.1, "One line": the 111-octet trigger for 10.0.0.1:8443, buffer 1500, identity
// 89000000000000000001, KVN 40, KID 01, host 10.0.0.1, agent ID = identity, URI /server/adminagent?cmd=1.
const TRIGGER_61 =
  '816D836B8413B50103B90205DCBC030220FBBE05210A0000018518143839303030303030303030303030303030303031024001893A8A0831302E302E302E318B1438393030303030303030303030303030303030318C182F7365727665722F61646D696E6167656E743F636D643D31';
const PUSH_61 = ['--connect', '10.0.0.1:8443', '--psk-identity', ID, '--psk-kvn', '40', '--psk-kid', '01',
  '--admin-host', '10.0.0.1', '--agent-id', ID, '--admin-uri', '/server/adminagent?cmd=1'];

const CRLF = '\r\n';
const bin = (s: string) => Buffer.from(s, 'latin1');
const hexb = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');
// Digest §6.3 ① first POST, no body.
const POST1 = bin(['POST /server/adminagent?cmd=1 HTTP/1.1', 'Host: 10.0.0.1', 'X-Admin-Protocol: globalplatform-remote-admin/1.0',
  `X-Admin-From: ${ID}`, '', ''].join(CRLF));
// Digest §6.3 ② 200 with GET DATA 0085, indefinite template AE 80 22 05 80 CA 00 85 00 00 00.
const ANSWER2 = Buffer.concat([bin(['HTTP/1.1 200 OK', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', 'X-Admin-Next-URI: /server/adminagent?cmd=2',
  'Content-Type: application/vnd.globalplatform.card-content-mgt;version=1.0', 'Content-Length: 11', '', ''].join(CRLF)), hexb('AE 80 22 05 80 CA 00 85 00 00 00')]);
// Digest §6.3 ③ the result, chunked: chunk size 8, AF 80 23 02 6A 88 00 00, last chunk.
const POST3 = Buffer.concat([bin(['POST /server/adminagent?cmd=2 HTTP/1.1', 'Host: 10.0.0.1', 'X-Admin-Protocol: globalplatform-remote-admin/1.0',
  `X-Admin-From: ${ID}`, 'Content-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0', 'Transfer-Encoding: chunked',
  'X-Admin-Script-Status: ok', '', '8', ''].join(CRLF)), hexb('AF 80 23 02 6A 88 00 00'), bin(`${CRLF}0${CRLF}${CRLF}`)]);
// Digest §6.3 ⑥ 204, end of session.
const ANSWER6 = bin(['HTTP/1.1 204 No Content', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', '', ''].join(CRLF));

/** A CLI child process with its output; `port` resolves from serve's "listening on TLS addr:port" line. */
interface Child {
  p: ChildProcess;
  out: () => string;
  err: () => string;
  port: Promise<number>;
  done: Promise<number>;
}
function startCli(args: string[], limitMs = 30000): Child {
  const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, cwd: ROOT });
  let out = '';
  let err = '';
  let gotPort: (n: number) => void = () => undefined;
  let noPort: (e: Error) => void = () => undefined;
  const port = new Promise<number>((res, rej) => ((gotPort = res), (noPort = rej)));
  port.catch(() => undefined);
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => {
    err += d;
    const m = /listening on TLS [\d.]+:(\d+)/.exec(err);
    if (m) gotPort(Number(m[1]));
  });
  const timer = setTimeout(() => p.kill('SIGKILL'), limitMs);
  const done = new Promise<number>((res) => p.on('close', (code) => {
    clearTimeout(timer);
    noPort(new Error(`exited (${code}) before listening: ${err}`));
    res(code ?? -1);
  }));
  return { p, out: () => out, err: () => err, port, done };
}

const until = async (cond: () => boolean, what: string, ms = 15000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

// ------------------------------------------------------------------ push

describe('SCP81 push (build push, parse-push, parse)', () => {
  it('build push gives the digest §6.1 trigger as secured data of an unsecured packet (header by hand, TS 102 225 cl. 5.1)', () => {
    const r = run(['build', 'push', ...PUSH_61, '--spi', '0000', '--kic', '00', '--kid', '00']);
    assert.equal(r.code, 0, r.stderr);
    // CPL 007D = 125 = CHL(1) + 13 + 111; CHL 0D; SPI 0000; KIc 00; KID 00; TAR 000000 (ISD); CNTR 0; PCNTR 00.
    assert.equal(r.stdout.trim(), '007D' + '0D' + '0000' + '00' + '00' + '000000' + '0000000000' + '00' + TRIGGER_61);
  });

  it('scp81 parse-push names every field of the §6.1 trigger', () => {
    const r = run(['scp81', 'parse-push', TRIGGER_61, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.connection.bearer, '03');
    assert.equal(j.connection.bufferSize, 1500);
    assert.deepEqual(j.connection.transport, { protocol: '02', name: 'TCP, UICC in client mode, remote connection', port: 8443 });
    assert.equal(j.connection.destination, '10.0.0.1');
    assert.deepEqual(j.security, { identity: ID, identityHex: '3839303030303030303030303030303030303031', kvn: '40', kid: '01' });
    assert.deepEqual(j.http, { host: '10.0.0.1', agentId: ID, uri: '/server/adminagent?cmd=1' });
    const t = run(['scp81', 'parse-push', TRIGGER_61, '--no-bits']);
    assert.match(t.stdout, /Administration URI \(8C\): "\/server\/adminagent\?cmd=1"/);
    assert.match(t.stdout, /Key version number \(KVN\): 40/);
  });

  it('connection TLVs match pySim cat.py vectors (digest §2.2); retry policy 86 = counter 2 octets + Timer value TLV 25', () => {
    const r = run(['build', 'push', '--connect', '1.2.3.4:32768', '--apn', 'naa', '--retry-counter', '3', '--retry-delay', '001000', '--spi', '0000', '--kic', '00', '--kid', '00']);
    assert.equal(r.code, 0, r.stderr);
    const data = r.stdout.trim().slice(32);
    // 84 contents: B5 01 03 | B9 02 05 DC | C7 04 03 6E 61 61 | BC 03 02 80 00 | BE 05 21 01 02 03 04 (= 0x19 octets)
    const conn = 'B50103' + 'B90205DC' + 'C704036E6161' + 'BC03028000' + 'BE052101020304';
    // 86 contents: 00 03 | 25 03 00 10 00 (timer value hh mm ss as given)
    const retry = '0003' + '2503001000';
    // Lengths by hand: 84 value 3+4+6+5+7 = 25 (19), 86 value 2+5 = 7; 83 value (2+25)+(2+7) = 36 (24); 81 value 2+36 = 38 (26).
    assert.equal(data, '81' + '26' + '83' + '24' + '84' + '19' + conn + '86' + '07' + retry);
  });

  it('parse shows a secured push decoded (SCP80 3DES keys of the test keyset; two concatenated SMS)', () => {
    const ks = join(ROOT, 'vectors', 'keysets', 'test.json');
    const b = run(['build', 'push', ...PUSH_61, '--keyset', ks, '--format', 'tpdu']);
    assert.equal(b.code, 0, b.stderr);
    const segs = b.stdout.trim().split('\n');
    assert.equal(segs.length, 2);
    const p = run(['parse', '--keyset', ks, '--json', ...segs]);
    assert.equal(p.code, 0, p.stderr);
    const j = JSON.parse(p.stdout);
    assert.equal(j.verified, true);
    assert.equal(j.tar.hex ?? j.tar, '000000');
    assert.equal(j.script.scriptFormat, 'scp81-push');
    assert.equal(j.script.security.identity, ID);
    assert.equal(j.script.http.uri, '/server/adminagent?cmd=1');
  });

  it('bad push input: one line, exit 2', () => {
    const r = run(['scp81', 'parse-push', '816D836B84']);
    assert.equal(r.code, 2);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    const r2 = run(['build', 'push', '--apdu', '00A40000023F00']);
    assert.equal(r2.code, 2);
    assert.ok(isOneLineError(r2.stderr), r2.stderr);
  });
});

// ------------------------------------------------------------------ HTTP messages

describe('SCP81 HTTP messages (scp81 parse)', () => {
  it('parses the digest §6.3 exchange ①②③⑥ written out by hand', () => {
    const f = tmp('http');
    writeFileSync(f, Buffer.concat([POST1, ANSWER2, POST3, ANSWER6]));
    const r = run(['scp81', 'parse', f, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout).messages;
    assert.equal(m.length, 4);
    assert.equal(m[0].method, 'POST');
    assert.equal(m[0].from, ID);
    assert.equal(m[0].body, '');
    assert.equal(m[1].status, 200);
    assert.equal(m[1].nextUri, '/server/adminagent?cmd=2');
    assert.deepEqual(m[1].script.apdus, ['80CA008500']);
    assert.equal(m[1].script.indefinite, true);
    assert.equal(m[2].scriptStatus, 'ok');
    assert.equal(m[2].framing, 'chunked');
    assert.deepEqual(m[2].chunks, [8, 0]);
    assert.equal(m[2].body, 'AF8023026A880000');
    assert.deepEqual(m[2].response.rapdus, [{ data: '', sw: '6A88' }]);
    assert.equal(m[3].status, 204);
    const t = run(['scp81', 'parse', f, '--no-bits']);
    assert.match(t.stdout, /R-APDU 1 \(23\): SW 6A88/);
    assert.match(t.stdout, /GET DATA \(80 CA 00 85, case 2\)/);
  });

  it('X-Admin-Resume, X-Admin-Targeted-Application (digest §4.3, whty AID) and the ETSI content types, chunked answer', () => {
    const post = bin(['POST /ram?cmd=4 HTTP/1.1', 'Host: ota.example', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', 'X-Admin-From: agent-7',
      'X-Admin-Resume: true', 'X-Admin-Script-Status: security-error', '', ''].join(CRLF));
    const answer = Buffer.concat([bin(['HTTP/1.1 200 OK', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', 'X-Admin-Next-URI: /ram?cmd=5',
      'X-Admin-Targeted-Application: //aid/A000000559/1010FFFFFFFF8900000100', 'Content-Type: application/vnd.etsi.scp.command-data;version=1.0',
      'Transfer-Encoding: chunked', '', 'C'].join(CRLF)), bin(CRLF), hexb('AA 0A 22 08 80 F2 80 00 02 4F 00 00'), bin(`${CRLF}0${CRLF}${CRLF}`)]);
    const f = tmp('http');
    writeFileSync(f, Buffer.concat([post, answer]));
    const r = run(['scp81', 'parse', f, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const [p, a] = JSON.parse(r.stdout).messages;
    assert.equal(p.resume, true);
    assert.equal(p.scriptStatus, 'security-error');
    assert.equal(a.targetedApplication, '//aid/A000000559/1010FFFFFFFF8900000100');
    assert.equal(a.profile, 'etsi');
    assert.deepEqual(a.chunks, [12, 0]);
    assert.deepEqual(a.script.apdus, ['80F28000024F0000']);
  });

  it('the server answer encoder gives digest §6.3 ② byte for byte', () => {
    const b = buildServerAnswer({ script: fromHex('AE80220580CA0085000000'), nextUri: '/server/adminagent?cmd=2' });
    assert.equal(Buffer.from(b).toString('hex'), ANSWER2.toString('hex'));
  });

  const bad: [string, Buffer, RegExp][] = [
    ['malformed start line', bin(`POST/x HTTP/1.1${CRLF}${CRLF}`), /HTTP start line at byte 0/],
    ['bad chunk size', Buffer.concat([bin(POST3.toString('latin1').replace(`${CRLF}8${CRLF}`, `${CRLF}zz${CRLF}`))]), /chunk size .* is not hex/],
    ['wrong content type', bin(POST3.toString('latin1').replace('card-content-mgt-response', 'card-content-mgt')), /Content-Type: .*not a response-string type/],
    ['script not BER-TLV', Buffer.concat([bin(ANSWER2.toString('latin1').replace('Content-Length: 11', 'Content-Length: 4').slice(0, -11)), hexb('AA 07 22 05')]), /command string is not a valid BER-TLV template/],
    ['unknown X-Admin-Script-Status', bin(POST3.toString('latin1').replace('Script-Status: ok', 'Script-Status: fine')), /X-Admin-Script-Status: unknown value "fine"/],
  ];
  for (const [what, bytes, re] of bad) {
    it(`bad input: ${what} → one line naming it, exit 2`, () => {
      const f = tmp('http');
      writeFileSync(f, bytes);
      const r = run(['scp81', 'parse', f]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, re);
    });
  }
});

// ------------------------------------------------------------------ sessions

const serveArgs = (extra: string[]) => ['scp81', 'serve', '--port', '0', '--psk', `${ID}:${KEY}`, '--no-bits', ...extra];

describe('SCP81 PSK-TLS sessions on loopback', () => {
  it('serve ↔ agent: full session, R-APDUs written, key log written', async () => {
    const responses = tmp('ndjson');
    const kl1 = tmp('keylog');
    const srv = startCli(serveArgs(['--apdu', '80CA008500', '--apdu', '80F28002024F00', '--max-sessions', '1', '--responses', responses, '--keylog', kl1]));
    const port = await srv.port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', KEY, '--uri', '/server/adminagent?cmd=1', '--answer', '80CA0085=6A88', '--no-bits']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /TLSv1\.2 TLS_PSK_WITH_AES_128_CBC_SHA256/);
    assert.match(a.stderr, /session complete: 3 POSTs, 2 scripts run/);
    assert.equal(await srv.done, 0, srv.err());
    assert.match(srv.out(), /session 1 <- HTTP request .*POST \/server\/adminagent\?cmd=3/);
    assert.match(srv.out(), /HTTP\/1\.1 204 No Content/);
    const lines = readFileSync(responses, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.rapdus), [[{ data: '', sw: '6A88' }], [{ data: '', sw: '9000' }]]);
    // TLS 1.2: one CLIENT_RANDOM line (NSS key-log format) per session.
    assert.match(readFileSync(kl1, 'utf8'), /^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/);
  });

  it('agent --card: the card simulator answers; response strings as digest §6.3 ③ and ⑤', async () => {
    const card = exampleCard() as { applications: Record<string, unknown>[] };
    // The example card's own ISD (000000, RAM) makes way for this SCP81 one.
    card.applications = card.applications.filter((a) => a.tar !== '000000');
    card.applications.push({
      tar: '000000', name: 'ISD running SCP81', msl: '00', format: 'expanded', counter: '0',
      swByApdu: { '80CA0085': { sw: '6A88' }, '80F28002': { sw: '9000', data: 'E3134F08A0000000030000009F70010FC5039EFE80' } },
      defaultSw: '9000',
    });
    const cardFile = tmp('json');
    writeFileSync(cardFile, JSON.stringify(card));
    const responses = tmp('ndjson');
    const srv = startCli(serveArgs(['--apdu', '80CA008500', '--apdu', '80F28002024F00', '--max-sessions', '1', '--responses', responses, '--quiet']));
    const port = await srv.port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', KEY, '--card', cardFile, '--quiet']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(await srv.done, 0, srv.err());
    const lines = readFileSync(responses, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // ③: AF 80 23 02 6A 88 00 00; ⑤: AF 80 23 17 E3 13 4F 08 A0 00 00 00 03 00 00 00 9F 70 01 0F C5 03 9E FE 80 90 00 00 00.
    assert.equal(lines[0].response, 'AF8023026A880000');
    assert.equal(lines[1].response, 'AF802317E3134F08A0000000030000009F70010FC5039EFE80900000' + '00');
  });

  it('keyset file with a "psk" list: SCP80 keys and PSKs in one file (build push KVN/KID, serve, agent)', async () => {
    const ks = JSON.parse(readFileSync(join(ROOT, 'vectors', 'keysets', 'test.json'), 'utf8'));
    ks.psk = [{ identity: ID, key: KEY, kvn: '41', kid: '01' }, { identity: 'other', key: 'FF'.repeat(16) }];
    const kf = tmp('json');
    writeFileSync(kf, JSON.stringify(ks));
    // The SCP80 reader still accepts the file (3DES CC + ciphering from KVN 1), and the KVN comes from the psk entry.
    const b = run(['build', 'push', '--keyset', kf, '--psk-identity', ID, '--json']);
    assert.equal(b.code, 0, b.stderr);
    const j = JSON.parse(b.stdout);
    assert.deepEqual([j.script.security.kvn, j.script.security.kid], ['41', '01']);
    const u = run(['build', 'push', '--keyset', kf, '--psk-identity', ID, '--spi', '0000', '--kic', '00', '--kid', '00']);
    // By hand: 85 value = Lid 14 + 20 identity octets + 02 41 01 = 24 (18); 83 value 26 (1A); 81 value 28 (1C).
    assert.equal(u.stdout.trim().slice(32), '811C831A851814' + Buffer.from(ID).toString('hex').toUpperCase() + '024101');
    const srv = startCli(['scp81', 'serve', '--port', '0', '--keyset', kf, '--apdu', '80CA008500', '--max-sessions', '1', '--quiet']);
    const port = await srv.port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--keyset', kf, '--quiet']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(await srv.done, 0, srv.err());
  });

  it('server against openssl s_client with a hand-written POST ① and ③', async () => {
    const responses = tmp('ndjson');
    const srv = startCli(serveArgs(['--script', 'AE80220580CA0085000000', '--max-sessions', '1', '--responses', responses]));
    const port = await srv.port;
    const c = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-psk', KEY, '-psk_identity', ID,
      '-cipher', 'PSK-AES128-CBC-SHA256', '-tls1_2', '-quiet', '-ign_eof'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = Buffer.alloc(0);
    c.stdout.on('data', (d) => (out = Buffer.concat([out, d])));
    const closed = new Promise<number>((r) => c.on('close', (code) => r(code ?? -1)));
    c.stdin.write(POST1);
    await until(() => out.includes('X-Admin-Next-URI'), 's_client to receive the script');
    c.stdin.end(POST3);
    await closed;
    const text = out.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /X-Admin-Next-URI: \/server\/adminagent\?cmd=2\r\n/);
    assert.ok(out.includes(hexb('AE80220580CA0085000000')));
    assert.match(text, /HTTP\/1\.1 204 No Content\r\n/);
    assert.equal(await srv.done, 0, srv.err());
    assert.deepEqual(JSON.parse(readFileSync(responses, 'utf8')).rapdus, [{ data: '', sw: '6A88' }]);
  });

  it('server against GnuTLS (gnutls-cli, a TLS implementation other than OpenSSL) with hand-written POSTs', async () => {
    const responses = tmp('ndjson');
    const srv = startCli(serveArgs(['--script', 'AE80220580CA0085000000', '--max-sessions', '1', '--responses', responses]));
    const port = await srv.port;
    const c = spawn('gnutls-cli', [`--pskusername=${ID}`, `--pskkey=${KEY}`, '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+PSK', '-p', String(port), '127.0.0.1'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = Buffer.alloc(0);
    c.stdout.on('data', (d) => (out = Buffer.concat([out, d])));
    const closed = new Promise<number>((r) => c.on('close', (code) => r(code ?? -1)));
    try {
      await until(() => out.includes('Simple Client Mode'), 'gnutls-cli handshake');
      c.stdin.write(POST1);
      await until(() => out.includes('X-Admin-Next-URI'), 'gnutls-cli to receive the script');
      c.stdin.write(POST3);
      await until(() => out.includes('204 No Content'), 'the 204');
    } finally {
      c.stdin.end();
      await closed;
    }
    const text = out.toString('latin1');
    assert.match(text, /PSK authentication\. Connected as '89000000000000000001'/);
    assert.match(text, /HTTP\/1\.1 200 OK\r\n/);
    assert.ok(out.includes(hexb('AE80220580CA0085000000')));
    assert.equal(await srv.done, 0, srv.err());
    assert.match(srv.err(), /TLSv1\.2 TLS_PSK_WITH_AES_128_CBC_SHA/);
    assert.deepEqual(JSON.parse(readFileSync(responses, 'utf8')).rapdus, [{ data: '', sw: '6A88' }]);
  });

  it('agent against openssl s_server answering hand-written ② and ⑥', async () => {
    const s = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-nocert', '-psk', KEY, '-cipher', 'PSK-AES128-CBC-SHA256', '-tls1_2', '-naccept', '1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = Buffer.alloc(0);
    s.stdout.on('data', (d) => (out = Buffer.concat([out, d])));
    const sClosed = new Promise<void>((r) => s.on('close', () => r()));
    try {
      await until(() => /ACCEPT 127\.0\.0\.1:\d+/.test(out.toString('latin1')), 's_server ACCEPT line');
      const port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(out.toString('latin1'))![1]);
      const agent = startCli(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', KEY, '--uri', '/server/adminagent?cmd=1',
        '--host-header', '10.0.0.1', '--answer', '80CA0085=6A88', '--json']);
      await until(() => out.includes(`X-Admin-From: ${ID}\r\n\r\n`), 'the first POST at s_server');
      s.stdin.write(ANSWER2);
      await until(() => out.includes(`0\r\n\r\n`), 'the second POST at s_server');
      s.stdin.write(ANSWER6);
      assert.equal(await agent.done, 0, agent.err());
      const text = out.toString('latin1');
      assert.match(text, /POST \/server\/adminagent\?cmd=1 HTTP\/1\.1\r\nHost: 10\.0\.0\.1\r\nX-Admin-Protocol: globalplatform-remote-admin\/1\.0\r\n/);
      assert.match(text, /POST \/server\/adminagent\?cmd=2 HTTP\/1\.1\r\n/);
      assert.match(text, /X-Admin-Script-Status: ok\r\n/);
      // The response string, chunked: size 8 then AF 80 23 02 6A 88 00 00 (digest §6.3 ③).
      assert.ok(out.includes(Buffer.concat([bin(`\r\n8\r\n`), hexb('AF8023026A880000'), bin('\r\n0\r\n\r\n')])));
    } finally {
      s.kill();
      await sClosed;
    }
  });

  it('wrong PSK: the agent fails the handshake (exit 4, one clear line); the server logs one line and keeps serving', async () => {
    const srv = startCli(serveArgs(['--max-sessions', '1']));
    const port = await srv.port;
    const bad = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', 'FF'.repeat(16)]);
    assert.equal(bad.code, 4);
    assert.ok(isOneLineError(bad.stderr.split('\n').filter((l) => !/connected to/.test(l)).join('\n')), bad.stderr);
    assert.match(bad.stderr, /wrong PSK/);
    const unknown = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', 'nobody', '--psk-key', KEY]);
    assert.equal(unknown.code, 4);
    assert.match(unknown.stderr, /does not know this PSK identity/);
    // Still serving: a good agent completes (no scripts: 204 at once).
    const good = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', KEY]);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(await srv.done, 0);
    assert.match(srv.err(), /TLS handshake with 127\.0\.0\.1:\d+ failed: .*wrong PSK/);
    assert.match(srv.err(), /TLS handshake with 127\.0\.0\.1:\d+ failed: unknown PSK identity/);
  });

  it('cipher suites: PSK-NULL-SHA256 (Amendment B table) works both ways; 3DES (absent from Node\'s OpenSSL) and non-PSK suites are refused in one line', async () => {
    const srv = startCli(serveArgs(['--cipher', 'PSK-NULL-SHA256', '--max-sessions', '1', '--quiet']));
    const port = await srv.port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', KEY, '--cipher', 'PSK-NULL-SHA256']);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stderr, /TLS_PSK_WITH_NULL_SHA256/);
    assert.equal(await srv.done, 0);
    for (const [c, re] of [['PSK-3DES-EDE-CBC-SHA', /no cipher match/], ['AES128-SHA', /only PSK cipher suites/], ['RSA-PSK-AES128-CBC-SHA256', /only PSK cipher suites/]] as const) {
      const r = run(['scp81', 'agent', '--to', '127.0.0.1:9', '--psk-identity', ID, '--psk-key', KEY, '--cipher', c]);
      assert.equal(r.code, 2, r.stderr);
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, re);
    }
  });

  it('a vanished or silent peer is timed out on both sides', async () => {
    // Server side: a TLS client that completes the handshake and then says nothing.
    const srv = startCli(serveArgs(['--timeout', '500', '--max-sessions', '1']));
    const port = await srv.port;
    const sock = tls.connect({ host: '127.0.0.1', port, ciphers: 'PSK-AES128-CBC-SHA256', maxVersion: 'TLSv1.2', checkServerIdentity: () => undefined,
      pskCallback: () => ({ psk: Buffer.from(KEY, 'hex'), identity: ID }) });
    sock.on('error', () => undefined);
    assert.equal(await srv.done, 0, srv.err());
    assert.match(srv.err(), /session 1: no data from 127\.0\.0\.1:\d+ for 500 ms: closed/);
    sock.destroy();
    // Agent side: a TCP listener that never answers the ClientHello.
    const mute = net.createServer(() => undefined);
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', () => r()));
    const mp = (mute.address() as net.AddressInfo).port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${mp}`, '--psk-identity', ID, '--psk-key', KEY, '--timeout', '500']);
    mute.close();
    assert.equal(a.code, 4);
    assert.ok(isOneLineError(a.stderr), a.stderr);
    assert.match(a.stderr, /TLS handshake with 127\.0\.0\.1:\d+ not finished within 500 ms/);
  });

  it('bad input on the wire: the server logs one line and keeps serving; the agent exits 2', async () => {
    const srv = startCli(serveArgs(['--max-sessions', '2']));
    const port = await srv.port;
    const psk = { ciphers: 'PSK-AES128-CBC-SHA256', maxVersion: 'TLSv1.2' as const, checkServerIdentity: () => undefined, pskCallback: () => ({ psk: Buffer.from(KEY, 'hex'), identity: ID }) };
    const c = tls.connect({ host: '127.0.0.1', port, ...psk });
    c.on('error', () => undefined);
    await new Promise<void>((r) => c.on('secureConnect', () => r()));
    c.write(bin(POST3.toString('latin1').replace('Script-Status: ok', 'Script-Status: maybe')));
    await new Promise<void>((r) => c.on('close', () => r()));
    const good = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${port}`, '--psk-identity', ID, '--psk-key', KEY]);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(await srv.done, 0);
    const errLines = srv.err().split('\n').filter((l) => /unknown value/.test(l));
    assert.equal(errLines.length, 1);
    assert.match(errLines[0], /^uicc-ota: session 1 \(89000000000000000001\): SCP81 admin protocol X-Admin-Script-Status: unknown value "maybe"/);

    // Agent against a PSK server (Node tls, hand-written answer) sending a script that is not BER-TLV.
    const evil = tls.createServer({ ciphers: 'PSK-AES128-CBC-SHA256', maxVersion: 'TLSv1.2', pskCallback: () => Buffer.from(KEY, 'hex') } as tls.TlsOptions, (s) => {
      s.once('data', () => s.write(Buffer.concat([bin(ANSWER2.toString('latin1').replace('Content-Length: 11', 'Content-Length: 4').slice(0, -11)), hexb('AA 07 22 05')])));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    const ep = (evil.address() as net.AddressInfo).port;
    const a = await runAsync(['scp81', 'agent', '--to', `127.0.0.1:${ep}`, '--psk-identity', ID, '--psk-key', KEY, '--quiet']);
    evil.close();
    assert.equal(a.code, 2, a.stderr);
    assert.ok(isOneLineError(a.stderr), a.stderr);
    assert.match(a.stderr, /command string is not a valid BER-TLV template/);
  });

  it('the agent takes server, identity and URI from the push; tshark decrypts a recorded session with the key log', async () => {
    const kl = tmp('keylog');
    const srv = startCli(serveArgs(['--script', 'AE80220580CA0085000000', '--max-sessions', '1']));
    const port = await srv.port;
    // A TCP relay records both directions so the session can be written as a pcap (no capture privileges needed).
    const records: { dir: 0 | 1; data: Buffer }[] = [];
    const relay = net.createServer((down) => {
      const up = net.connect(port, '127.0.0.1');
      down.on('data', (d) => (records.push({ dir: 0, data: d }), up.write(d)));
      up.on('data', (d) => (records.push({ dir: 1, data: d }), down.write(d)));
      down.on('end', () => up.end());
      up.on('end', () => down.end());
      down.on('error', () => up.destroy());
      up.on('error', () => down.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const rp = (relay.address() as net.AddressInfo).port;
    const push = run(['build', 'push', '--connect', `127.0.0.1:${rp}`, '--psk-identity', ID, '--admin-uri', '/ram?cmd=1', '--agent-id', 'agent-7', '--spi', '0000', '--kic', '00', '--kid', '00']);
    const trigger = push.stdout.trim().slice(32);
    const a = await runAsync(['scp81', 'agent', '--push', trigger, '--psk-key', KEY, '--keylog', kl, '--answer', '80CA=6A88']);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(await srv.done, 0);
    relay.close();
    assert.match(srv.out(), /POST \/ram\?cmd=1 HTTP\/1\.1/);
    assert.match(srv.out(), /X-Admin-From: agent-7/);
    const pcap = tmp('pcap');
    writeFileSync(pcap, tcpPcap(records, rp));
    assert.ok(existsSync(kl));
    const fields = execFileSync('tshark', ['-r', pcap, '-o', `tls.keylog_file:${kl}`, '-d', `tcp.port==${rp},tls`, '-Y', 'http',
      '-T', 'fields', '-e', 'http.request.uri', '-e', 'http.response.code', '-e', 'http.request.line', '-e', 'http.response.line'], { encoding: 'utf8' });
    // Decrypted HTTP: the two POSTs and the 200 / 204 answers.
    assert.match(fields, /\/ram\?cmd=1/);
    assert.match(fields, /\/ram\?cmd=2/);
    assert.match(fields, /\t200\t/);
    assert.match(fields, /\t204\t/);
    assert.match(fields, /X-Admin-Script-Status: ok/);
  });
});

/** IPv4/TCP pcap (linktype RAW) of a recorded relay session: client 10.0.0.2:40000 → server 10.0.0.1:port, with a handshake. */
function tcpPcap(records: { dir: 0 | 1; data: Buffer }[], port: number): Buffer {
  const frames: Buffer[] = [];
  const seq = [1000, 5000];
  const ip = [[10, 0, 0, 2], [10, 0, 0, 1]];
  const ports = [40000, port];
  const seg = (dir: 0 | 1, flags: number, payload: Buffer) => {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(ports[dir], 0);
    tcp.writeUInt16BE(ports[1 - dir], 2);
    tcp.writeUInt32BE(seq[dir] >>> 0, 4);
    tcp.writeUInt32BE(flags & 0x10 ? seq[1 - dir] >>> 0 : 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp.writeUInt16BE(65535, 14);
    const ipH = Buffer.alloc(20);
    ipH[0] = 0x45;
    ipH.writeUInt16BE(40 + payload.length, 2);
    ipH[8] = 64;
    ipH[9] = 6;
    Buffer.from(ip[dir]).copy(ipH, 12);
    Buffer.from(ip[1 - dir]).copy(ipH, 16);
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += ipH.readUInt16BE(i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    ipH.writeUInt16BE(~sum & 0xffff, 10);
    frames.push(Buffer.concat([ipH, tcp, payload]));
    seq[dir] += payload.length + (flags & 0x03 ? 1 : 0);
  };
  seg(0, 0x02, Buffer.alloc(0));
  seg(1, 0x12, Buffer.alloc(0));
  seg(0, 0x10, Buffer.alloc(0));
  for (const r of records) seg(r.dir, 0x18, r.data);
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(101, 20);
  const recs = frames.map((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000, 0);
    h.writeUInt32LE(i * 1000, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, f]);
  });
  return Buffer.concat([head, ...recs]);
}
