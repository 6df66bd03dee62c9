/**
 * The library calls of `smsc`, `scp81 parse|parse-push|serve|agent` and
 * `vectors record` against the CLI: the same inputs give the objects the
 * commands print with --json, servers started through the API serve the CLI
 * as client (and the other way round), and bad input throws the typed error
 * with the CLI's message and exit code.
 *
 * Expected octets come from real cards or independent peers, named next to
 * them; the API-vs-CLI comparisons are identity checks between two front ends
 * of the same code (they catch drift, not wrong octets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, KEYSET, ROOT, run, runAsync, type RunResult } from './helpers/cli.js';
import * as api from '../src/api/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'uicc-ota-api-servers-'));

/** The command as a user runs it, stdin given (and closed). */
const cli = (args: string[], input = ''): Promise<RunResult> => runAsync(args, { input });

// ------------------------------------------------------------ smsc

// Real sysmoISIM-SJA2 command (SPI 0619, KIc/KID 15, TAR B00010, CNTR 0, SELECT 7F20 + GET RESPONSE) and
// its PoR, as quoted in vectors/responses.json (card-sja2-por-3des-cc-cipher, "real-card trace": pySim's
// docs/smpp-ota-tool.rst); the same pair test/smpp.test.ts uses.
const SJA2_ARGS = ['--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016'];
const SJA2_POR = '002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39';

function cardFile(): string {
  const f = join(tmp(), 'CARD.json');
  const r = run(['card', 'init', '--out', f]);
  assert.equal(r.code, 0, r.stderr);
  return f;
}

test('smscServe (API) with send smpp (CLI) as ESME: the card simulator answers with the real SJA2 PoR; events per PDU and message', async () => {
  const smsc = new api.Smsc({ port: 0, systemId: 'lab', password: 'secret', card: cardFile() });
  const pdus: api.SmscPdu[] = [];
  const messages: api.SmscMessage[] = [];
  const logs: unknown[] = [];
  smsc.on('pdu', (p: api.SmscPdu) => pdus.push(p));
  smsc.on('message', (m: api.SmscMessage) => messages.push(m));
  smsc.on('log', (t: unknown) => logs.push(t));
  const addr = await smsc.start();
  assert.equal(smsc.address()?.port, addr.port);
  assert.match(smsc.card ?? '', /^card simulator /);
  try {
    const r = await cli(['send', 'smpp', '--port', String(addr.port), '--system-id', 'lab', '--password', 'secret', '--dest', '+491700000', '--source', '12345', '--timeout', '5000', ...SJA2_ARGS, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { hex: string; verified: boolean };
    assert.equal(j.hex, SJA2_POR); // real-card PoR
    assert.equal(j.verified, true);
  } finally {
    await smsc.close();
  }
  await smsc.done;
  assert.equal(messages.length, 1);
  const m = messages[0];
  assert.equal(m.ok, true);
  assert.equal(m.answer?.sw, 0x9000);
  // The ENVELOPE response: UDH with IEI 71 (response packet, TS 31.115 cl. 4.2 / TS 23.040 9.2.3.24), then the PoR.
  assert.equal(Buffer.from(m.answer!.response).toString('hex').toUpperCase(), `027100${SJA2_POR}`);
  // The ENVELOPE C-APDU: INS C2 (TS 102 221 cl. 10.1.2), its data a BER-TLV with tag D1, SMS-PP download (TS 101 220 Table 7.17).
  assert.equal(m.envelope?.[1], 0xc2);
  assert.equal(m.envelope?.[5], 0xd1);
  assert.deepEqual(m.delivered.map((d) => d.what), ['SMS-DELIVER-REPORT user data (ENVELOPE response)']);
  const seen = pdus.map((p) => `${p.direction} ${p.pdu.command}`);
  for (const c of ['in bind_transceiver', 'out bind_transceiver_resp', 'in submit_sm', 'out submit_sm_resp', 'out deliver_sm', 'in deliver_sm_resp']) assert.ok(seen.includes(c), `${c} in ${seen.join(', ')}`);
  assert.ok(logs.length > 0);
});

test('smscServe: bad options throw the CLI\'s InputError before listening (exit 2, same message)', async () => {
  await assert.rejects(api.smscServe({ port: 0, systemId: 'lab', password: 'secret' }), (e: unknown) => {
    assert.ok(e instanceof api.InputError);
    assert.equal(e.exitCode, 2);
    assert.equal(e.where.field, '--card');
    const r = run(['smsc', '--port', '0', '--system-id', 'lab', '--password', 'secret']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), `uicc-ota: ${e.message}`);
    return true;
  });
  await assert.rejects(api.smscServe({ port: 0, systemId: 'lab', password: 'toolongpassword', card: 'x' }), (e: unknown) => e instanceof api.InputError && e.where.field === '--password');
});

// ------------------------------------------------------------ scp81

// Example PSK and identity of test/scp81.test.ts (SCP81 digest §7: 000102…0F).
const PSK_KEY = '000102030405060708090A0B0C0D0E0F';
const PSK_ID = '89000000000000000001';
// SCP81 digest §6.1, "One line": the 111-octet trigger for 10.0.0.1:8443 (the TLV lengths computed there by an independent script).
const TRIGGER_61 =
  '816D836B8413B50103B90205DCBC030220FBBE05210A0000018518143839303030303030303030303030303030303031024001893A8A0831302E302E302E318B1438393030303030303030303030303030303030318C182F7365727665722F61646D696E6167656E743F636D643D31';
const CRLF = '\r\n';
// SCP81 digest §6.3 ① first POST, ② 200 with GET DATA 0085 in an indefinite template, ⑥ 204: the octets on the wire, by hand.
const POST1 = ['POST /server/adminagent?cmd=1 HTTP/1.1', 'Host: 10.0.0.1', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', `X-Admin-From: ${PSK_ID}`, '', ''].join(CRLF);
const ANSWER2 = Buffer.concat([Buffer.from(['HTTP/1.1 200 OK', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', 'X-Admin-Next-URI: /server/adminagent?cmd=2',
  'Content-Type: application/vnd.globalplatform.card-content-mgt;version=1.0', 'Content-Length: 11', '', ''].join(CRLF), 'latin1'), Buffer.from('AE80220580CA0085000000', 'hex')]);
const ANSWER6 = ['HTTP/1.1 204 No Content', 'X-Admin-Protocol: globalplatform-remote-admin/1.0', '', ''].join(CRLF);

test('parsePush (API) is the object scp81 parse-push --json prints (digest §6.1 trigger)', () => {
  const viaApi = api.parsePush(TRIGGER_61);
  const r = run(['scp81', 'parse-push', TRIGGER_61, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(viaApi, JSON.parse(r.stdout));
  assert.deepEqual(api.parsePush(Buffer.from(TRIGGER_61, 'hex')), viaApi);
  // Digest §6.1: connection to 10.0.0.1:8443, URI /server/adminagent?cmd=1.
  assert.match(JSON.stringify(viaApi), /10\.0\.0\.1/);
  assert.match(JSON.stringify(viaApi), /8443/);
  assert.match(JSON.stringify(viaApi), /\/server\/adminagent\?cmd=1/);
  // Bad input: the CLI's message and exit code.
  assert.throws(() => api.parsePush('8102'), (e: unknown) => {
    assert.ok(e instanceof api.InputError);
    const c = run(['scp81', 'parse-push', '8102']);
    assert.equal(c.code, e.exitCode);
    assert.equal(c.stderr.trim(), `uicc-ota: ${e.message}`);
    return true;
  });
});

test('parseScp81 (API) is the object scp81 parse --json prints, from octets, HTTP text and hex text (digest §6.3 ①②⑥)', () => {
  const wire = Buffer.concat([Buffer.from(POST1, 'latin1'), ANSWER2, Buffer.from(ANSWER6, 'latin1')]);
  const dir = tmp();
  const file = join(dir, 'session.bin');
  writeFileSync(file, wire);
  const r = run(['scp81', 'parse', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const cli = JSON.parse(r.stdout) as { messages: { body: string }[] };
  assert.deepEqual(api.parseScp81(wire), cli);
  assert.deepEqual(api.parseScp81(wire.toString('latin1')), cli);
  assert.deepEqual(api.parseScp81(wire.toString('hex')), cli);
  assert.equal(cli.messages.length, 3);
  assert.equal(cli.messages[1].body, 'AE80220580CA0085000000'); // digest §6.3 ②
  const hexFile = join(dir, 'session.hex');
  writeFileSync(hexFile, 'zz');
  const bad = run(['scp81', 'parse', hexFile, '--hex']);
  assert.throws(() => api.parseScp81('zz', { hex: true, name: hexFile }), (e: unknown) => e instanceof api.InputError && bad.code === e.exitCode && bad.stderr.trim() === `uicc-ota: ${e.message}`);
});

/** JSON lines of a CLI run. */
const lines = (s: string) => s.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);

test('scp81Serve / scp81Agent (API) on loopback against scp81 agent / scp81 serve (CLI): the same message objects as --json prints', async () => {
  const serveOpts = { psk: [`${PSK_ID}:${PSK_KEY}`], apdu: ['80CA008500'], maxSessions: 1 };
  const agentOpts = { pskIdentity: PSK_ID, pskKey: PSK_KEY, sw: '6A88' };

  // 1. API server, CLI agent.
  const server = new api.Scp81Server({ port: 0, ...serveOpts });
  const apiServed: Record<string, unknown>[] = [];
  const sessions: unknown[] = [];
  const responses: api.Scp81Responses[] = [];
  server.on('message', (m: api.Scp81Message) => apiServed.push(m.json));
  server.on('session', (s: unknown) => sessions.push(s));
  server.on('responses', (r: api.Scp81Responses) => responses.push(r));
  const addr = await server.start();
  assert.equal(server.address()?.port, addr.port);
  const cliAgent = await cli(['scp81', 'agent', '--to', `127.0.0.1:${addr.port}`, '--psk-identity', PSK_ID, '--psk-key', PSK_KEY, '--sw', '6A88', '--json']);
  assert.equal(cliAgent.code, 0, cliAgent.stderr);
  const summary = await server.done;
  assert.deepEqual(summary, { sessions: 1, errors: 0 });
  assert.equal(sessions.length, 1);
  // Digest §6.3 ③: the agent's result AF 80 23 02 6A 88 00 00 for SW 6A88.
  assert.equal(responses.length, 1);
  assert.equal(responses[0].json.response, 'AF8023026A880000');

  // 2. CLI server, API agent.
  const cliServe = spawn(process.execPath, [BIN, 'scp81', 'serve', '--port', '0', '--psk', `${PSK_ID}:${PSK_KEY}`, '--apdu', '80CA008500', '--max-sessions', '1', '--json'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  cliServe.stdout.on('data', (d) => (out += d));
  const port = await new Promise<number>((resolve, reject) => {
    cliServe.stderr.on('data', (d) => {
      err += d;
      const m = /listening on TLS [\d.]+:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    cliServe.on('close', () => reject(new Error(err)));
  });
  const closed = new Promise<number>((r) => cliServe.on('close', (c) => r(c ?? -1)));
  const agent = api.scp81Agent({ to: `127.0.0.1:${port}`, ...agentOpts });
  const apiAgent: Record<string, unknown>[] = [];
  const scripts: api.Scp81Script[] = [];
  agent.on('message', (m: api.Scp81Message) => apiAgent.push(m.json));
  agent.on('script', (s: api.Scp81Script) => scripts.push(s));
  const result = await agent.done;
  assert.equal(await closed, 0, err);
  assert.equal(result.posts, 2);
  assert.equal(result.scripts, 1);
  assert.equal(scripts.length, 1);
  assert.equal(Buffer.from(scripts[0].script).toString('hex').toUpperCase(), 'AE80220580CA0085000000'); // digest §6.3 ②

  assert.deepEqual(apiServed, lines(out), 'API server events = scp81 serve --json lines');
  assert.deepEqual(apiAgent, lines(cliAgent.stdout), 'API agent events = scp81 agent --json lines');
  assert.equal(apiAgent.length, 4);
});

test('scp81Serve / scp81Agent: bad options throw the CLI\'s typed error (same message, exit code)', async () => {
  await assert.rejects(api.scp81Serve({ port: 0 }), (e: unknown) => {
    assert.ok(e instanceof api.InputError);
    const r = run(['scp81', 'serve', '--port', '0'], { env: { UICC_OTA_KEYSET: undefined } });
    assert.equal(r.code, e.exitCode);
    assert.equal(r.stderr.trim(), `uicc-ota: ${e.message}`);
    return true;
  });
  await assert.rejects(api.scp81Agent({ to: '127.0.0.1:1', pskIdentity: PSK_ID, pskKey: PSK_KEY, answer: ['nonsense'] }).done, (e: unknown) => {
    assert.ok(e instanceof api.InputError);
    const r = run(['scp81', 'agent', '--to', '127.0.0.1:1', '--psk-identity', PSK_ID, '--psk-key', PSK_KEY, '--answer', 'nonsense']);
    assert.equal(r.code, e.exitCode);
    assert.equal(r.stderr.trim(), `uicc-ota: ${e.message}`);
    return true;
  });
});

// ------------------------------------------------------------ vectors record

test('recordVectors (API) is the object vectors record --json prints; the case it writes verifies; bad input throws the CLI\'s error', async () => {
  // The real sysmoISIM-SJA2 command above (SPI 0619, KIc/KID 15, TAR B00010, CNTR 0; pySim's docs/smpp-ota-tool.rst):
  // its user data is quoted in vectors/sms-pp-commands.json and test/smpp.test.ts.
  const SJA2_UD = '02700000281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';
  const opts = { keyset: KEYSET, spi: '0619', kic: '15', kid: '15', tar: 'B00010', counter: '0', apdu: ['A0A40000027F20', 'A0C0000016'], kind: 'sms', format: 'ud', id: 'sja2', provenance: 'sysmoISIM-SJA2 trace (pySim docs/smpp-ota-tool.rst)' };
  const a = join(tmp(), 'rec.json');
  const b = join(tmp(), 'rec.json');
  const viaApi = await api.recordVectors({ ...opts, out: a });
  const r = run(['vectors', 'record', '--out', b, '--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '0',
    '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016', '--kind', 'sms', '--format', 'ud', '--id', 'sja2', '--provenance', opts.provenance, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { warnings, ...rest } = viaApi;
  assert.deepEqual(warnings, []);
  assert.deepEqual(JSON.parse(JSON.stringify(rest).split(a).join(b)), JSON.parse(r.stdout));
  assert.deepEqual(viaApi.hex, [SJA2_UD]); // real-card command
  assert.equal(viaApi.replaced, false);
  assert.equal(run(['vectors', 'verify', a]).code, 0);
  // Again without force: the CLI's message and exit code.
  await assert.rejects(api.recordVectors({ ...opts, out: a }), (e: unknown) => {
    assert.ok(e instanceof api.InputError);
    const again = run(['vectors', 'record', '--out', a, '--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '0',
      '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016', '--kind', 'sms', '--format', 'ud', '--id', 'sja2']);
    assert.equal(again.code, e.exitCode);
    assert.equal(again.stderr.trim(), `uicc-ota: ${e.message}`);
    return true;
  });
  assert.equal((await api.recordVectors({ ...opts, out: a, force: true })).replaced, true);
});
