/**
 * The library API against the CLI for the commands test/api.test.ts does not
 * cover: card init, counter show/set/next, build push, card process on CAT_TP
 * PDUs, the CAT_TP sessions (cattp serve / cattp send, each run once
 * through the API and once through the CLI against the other side), and send
 * smpp through the in-repo SMSC in front of the card simulator (send pcsc,
 * which needs pcscd, is in api-send-pcsc.test.ts). The same
 * inputs give identical objects (the CLI's --json; for counter, which has no
 * --json, the values its lines print), and bad input throws the typed error
 * with the message the CLI prints and its exit code.
 *
 * These are identity checks between two front ends of the same code (both
 * ours): they catch drift, not wrong octets. The octets themselves are checked
 * against openssl / tshark / specification examples in card, cattp, cli-cattp
 * and scp81 tests.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { BIN, KEYSET, run, runAsync, start } from './helpers/cli.js';
import { launch } from './helpers/launch.js';
import { assertCliError, thrown } from './helpers/api-error.js';
import * as api from '../src/api/index.js';

const APDU = '00A40004023F00';
// Real sysmoISIM-SJA2 command (SPI 0619, KIc/KID 15, TAR B00010, CNTR 0, SELECT 7F20 + GET RESPONSE), its user data and PoR
// (vectors/sms-pp-commands.json card-sja2-3des-cc-cipher, vectors/responses.json card-sja2-por-3des-cc-cipher; pySim's docs/smpp-ota-tool.rst).
const SJA2 = { keyset: KEYSET, spi: '0619', kic: '15', kid: '15', tar: 'B00010', counter: 0, apdu: ['A0A40000027F20', 'A0C0000016'] };
const SJA2_ARGS = ['--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '0', '--apdu', 'A0A40000027F20', '--apdu', 'A0C0000016'];
const SJA2_UD = '02700000281506191515B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';
const SJA2_POR = '002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39';
const SMPP = { systemId: 'lab', password: 'secret', dest: '+491700000', source: '12345', timeout: 5000 };
const SMPP_ARGS = ['--system-id', 'lab', '--password', 'secret', '--dest', '+491700000', '--source', '12345', '--timeout', '5000'];

/** Every write to stdout/stderr while `fn` runs (the library writes none). */
async function writesDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const out = process.stdout.write;
  const err = process.stderr.write;
  // Text only: the test runner's own reports to its parent are Buffers.
  process.stdout.write = ((c: unknown, ...rest: unknown[]) => (typeof c === 'string' ? (seen.push(`stdout: ${c}`), true) : (out as (...a: unknown[]) => boolean).call(process.stdout, c, ...rest))) as typeof out;
  process.stderr.write = ((c: unknown, ...rest: unknown[]) => (typeof c === 'string' ? (seen.push(`stderr: ${c}`), true) : (err as (...a: unknown[]) => boolean).call(process.stderr, c, ...rest))) as typeof err;
  try {
    await fn().catch(() => undefined);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return seen;
}

/** A JSON round trip, as the CLI prints it (bigint as number, bytes as hex), without the library-only keys. */
function asJson(r: unknown): unknown {
  const { units: _u, warnings: _w, ...rest } = r as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? Buffer.from(x).toString('hex').toUpperCase() : x)));
}

function cliJson(args: string[]): unknown {
  const r = run([...args, '--json']);
  assert.ok(r.code === 0 || r.code === 1, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Ports the OS picked differ between two runs: everything else must match. */
function withoutPorts(j: unknown): unknown {
  const o = JSON.parse(JSON.stringify(j)) as Record<string, unknown>;
  for (const k of ['remote', 'local']) if (o[k]) o[k] = { address: (o[k] as { address: string }).address };
  return o;
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'uicc-ota-api-cmd-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('API = CLI, further commands', () => {
  it('card init', () => {
    const r = api.cardInit({ out: '-' });
    const cli = run(['card', 'init', '--out', '-']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(r.text, cli.stdout);
    assert.equal(r.path, null);
    assert.deepEqual(r.card, JSON.parse(cli.stdout));
    const path = join(dir, 'init.json');
    assert.equal(api.cardInit({ out: path }).path, path);
    assert.equal(readFileSync(path, 'utf8'), cli.stdout);
  });

  it('counter set / show / next on one state file, alternating API and CLI', async () => {
    const state = join(dir, 'counters.json');
    const s = ['--state', state, '--kvn', '1', '--tar', 'B00010'];
    const set = await api.counterSet(41, { state, kvn: 1, tar: 'B00010' });
    assert.deepEqual([set.key, set.counter, set.path], ['kvn1/B00010', 41n, state]);
    // The CLI reads what the API stored, and its lines print the values the API returns.
    assert.equal(run(['counter', 'show', ...s]).stdout, `state file: ${state}\nkvn1/B00010: 41 (next is 42)\n`);
    assert.equal(run(['counter', 'next', ...s]).stdout, '42\n');
    const next = await api.counterNext({ state, kvn: '1', tar: 'B00010' });
    assert.equal(next.counter, 43n);
    const show = api.counterShow({ state });
    assert.deepEqual(show, { path: state, exists: true, counters: { 'kvn1/B00010': 43 } });
    assert.equal(run(['counter', 'show', '--state', state]).stdout, `state file: ${state}\nkvn1/B00010: 43 (next is 44)\n`);
    const cliSet = run(['counter', 'set', '0x64', ...s]);
    assert.equal(cliSet.stdout, `kvn1/B00010: 100 stored in ${state} (next is 101)\n`);
    assert.deepEqual(api.counter.show({ state, kvn: 1, tar: 'B00010' }).counters, { 'kvn1/B00010': 100 });
  });

  it('build push (every format)', async () => {
    const push = { connect: '192.0.2.10:8443', pskIdentity: 'lab-card-1', retryCounter: '3', adminHost: 'ota.example', agentId: 'agent-1' };
    const args = ['--connect', '192.0.2.10:8443', '--psk-identity', 'lab-card-1', '--retry-counter', '3', '--admin-host', 'ota.example', '--agent-id', 'agent-1'];
    for (const format of ['packet', 'ud', 'tpdu', 'envelope'] as const) {
      const a = await api.buildPush({ keyset: KEYSET, ...push, format });
      assert.deepEqual(asJson(a), cliJson(['build', 'push', '--keyset', KEYSET, ...args, '--format', format]), format);
      assert.deepEqual(a.units.map((u) => Buffer.from(u).toString('hex').toUpperCase()), a.output);
    }
  });

  it('cattp build (each PDU type, and overrides for negative tests)', () => {
    const cases: Array<[string, api.CattpPduOptions, string[]]> = [
      ['syn', { srcPort: 1024, dstPort: 1, seq: 4660, iccid: '89882110000004672850', maxPdu: 200, maxSdu: 1000 }, ['--src-port', '1024', '--dst-port', '1', '--seq', '4660', '--iccid', '89882110000004672850', '--max-pdu', '200', '--max-sdu', '1000']],
      ['synack', { seq: 1, ack: 4660 }, ['--seq', '1', '--ack', '4660']],
      ['data', { seq: '5', ack: '7', data: '0102030405', seg: true }, ['--seq', '5', '--ack', '7', '--data', '0102030405', '--seg']],
      ['eack', { ack: 3, eack: '5,6' }, ['--ack', '3', '--eack', '5,6']],
      ['rst', { reason: '05' }, ['--reason', '05']],
      ['nul', { checksum: 'FFFF' }, ['--checksum', 'FFFF']],
    ];
    for (const [type, opts, args] of cases) {
      const a = api.buildCattpPdu(type, opts);
      assert.deepEqual(asJson(a), cliJson(['cattp', 'build', type, ...args]), type);
      assert.equal(Buffer.from(a.units[0]).toString('hex').toUpperCase(), a.hex);
    }
  });

  it('card process of CAT_TP data PDUs', async () => {
    const init = run(['card', 'init', '--out', join(dir, 'pa.json')]);
    assert.equal(init.code, 0, init.stderr);
    copyFileSync(join(dir, 'pa.json'), join(dir, 'pb.json'));
    const pdus = (await api.buildCattp({ keyset: KEYSET, apdu: [APDU], counter: 1 })).output;
    const viaApi = await new api.Card(join(dir, 'pa.json')).process(pdus);
    assert.deepEqual(asJson(viaApi), cliJson(['card', 'process', '--card', join(dir, 'pb.json'), ...pdus]));
    assert.equal(viaApi.status.code, '00');
  });

  it('cattp serve and cattp send: each through the API against the other through the CLI', async () => {
    for (const n of ['sa', 'sb']) assert.equal(run(['card', 'init', '--out', join(dir, `${n}.json`)]).code, 0);
    const common = { isn: '100', timeout: '300' };
    const serveArgs = ['--port', '0', '--max-sessions', '1', '--isn', '100', '--timeout', '300', '--keyset', KEYSET, '--apdu', APDU, '--counter', '1', '--quiet'];
    const sendArgs = (port: number, card: string) => ['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--isn', '200', '--timeout', '300', '--quiet', '--json'];

    // A: the server through the API, the card side through the CLI.
    const server = await api.cattpServe({ port: 0, maxSessions: 1, ...common, keyset: KEYSET, apdu: [APDU], counter: 1 });
    assert.equal(server.push, true);
    const pdus: api.PduLogEntry[] = [];
    server.on('pdu', (e: api.PduLogEntry) => pdus.push(e));
    const served = server.nextSession();
    // Asynchronously: the API server runs in this process.
    const cliSend = await runAsync(sendArgs(server.address.port, join(dir, 'sa.json')));
    assert.equal(cliSend.code, 0, cliSend.stderr);
    const apiSession = await served;
    const summary = await server.done;
    assert.deepEqual([summary.sessions, summary.failedSessions, summary.exitCode], [1, 0, 0]);
    assert.ok(pdus.some((e) => e.dir === 'sent') && pdus.some((e) => e.dir === 'received'), 'pdu events both ways');
    assert.equal(apiSession.ok, true);

    // B: the server through the CLI, the card side through the API.
    const cliServe = start(['cattp', 'serve', ...serveArgs, '--json']);
    const port = await cliServe.port;
    const send = api.cattpSend({ to: `127.0.0.1:${port}`, card: join(dir, 'sb.json'), isn: 200, timeout: 300 });
    const exchanges: api.SendExchange[] = [];
    send.on('exchange', (x: api.SendExchange) => exchanges.push(x));
    const apiSend = await send.done;
    const served2 = await cliServe.done;
    assert.equal(served2.code, 0, served2.stderr);
    assert.equal(exchanges.length, 1);
    assert.equal(apiSend.ok, true);

    assert.deepEqual(withoutPorts(asJson(apiSession.json)), withoutPorts(JSON.parse(served2.stdout)));
    assert.deepEqual(withoutPorts(asJson(apiSend.json)), withoutPorts(JSON.parse(cliSend.stdout)));
  });

  it('send smpp through the in-repo SMSC (smsc --card): single, a refused status, --each', async () => {
    assert.equal(run(['card', 'init', '--out', join(dir, 'smpp-card.json')]).code, 0);
    const smsc = launch(process.execPath, [BIN, 'smsc', '--port', '0', '--system-id', 'lab', '--password', 'secret', '--card', join(dir, 'smpp-card.json')], /listening on TCP [\d.]+:(\d+)/);
    try {
      const port = await smsc.port;
      const cli = async (args: string[], input = '', codes = [0, 1]) => {
        const r = await runAsync(['send', 'smpp', '--port', String(port), ...SMPP_ARGS, ...args, '--json'], { input });
        assert.ok(codes.includes(r.code), `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
        return r;
      };
      // SPI 0619: no counter check, so the card answers the same command the same way twice.
      const pdus: api.SmppPduLog[] = [];
      let a!: api.SendSmppResult;
      assert.deepEqual(await writesDuring(async () => (a = await api.sendSmpp({ port, ...SMPP, ...SJA2, onPdu: (l) => pdus.push(l) }))), [], 'the library writes nothing');
      assert.deepEqual(asJson(a), JSON.parse((await cli(SJA2_ARGS)).stdout));
      assert.equal(a.hex, SJA2_POR); // the real card's PoR (vectors/responses.json card-sja2-por-3des-cc-cipher)
      assert.equal(a.verified, true);
      assert.deepEqual(a.units.map((u) => Buffer.from(u).toString('hex').toUpperCase()), [SJA2_UD]); // the real command's user data
      assert.ok(pdus.some((l) => l.direction === 'out') && pdus.some((l) => l.direction === 'in'), 'onPdu both ways');

      // Counter mode "higher" (SPI 1619), CNTR 5 a second and third time: status 02 (TS 102 225 Table 5); the send fails (exit 1), not thrown.
      const low = { keyset: KEYSET, spi: '1619', kic: '15', kid: '15', tar: 'B00010', apdu: ['A0A40000027F20'], counter: 5 };
      const lowArgs = ['--keyset', KEYSET, '--spi', '1619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--apdu', 'A0A40000027F20', '--counter', '5'];
      assert.equal((await cli(lowArgs)).code, 0);
      const refused = await api.sendSmpp({ port, ...SMPP, ...low });
      const cliRefused = await cli(lowArgs);
      assert.equal(cliRefused.code, 1);
      assert.deepEqual(asJson(refused), JSON.parse(cliRefused.stdout));
      assert.deepEqual([(refused.status as { code: string }).code, refused.statusOk], ['02', false]);
      const expected = await api.sendSmpp({ port, ...SMPP, ...low, expectStatus: '02' });
      assert.deepEqual(asJson(expected), JSON.parse((await cli([...lowArgs, '--expect-status', '02'])).stdout));
      assert.deepEqual([expected.statusOk, expected.expectedStatus], [true, ['02']]);

      // --each: one NDJSON line per input line (a comment passes through as an empty line).
      const input = 'A0A40000027F20\n# then\nA0A40000027F20A0C0000016\n';
      const each = { keyset: KEYSET, spi: '0619', kic: '15', kid: '15', tar: 'B00010', counter: 3 };
      const r = await api.sendSmppEach(input, { port, ...SMPP, ...each });
      const cliEach = await cli(['--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '3', '--each'], input);
      assert.equal(cliEach.code, 0, cliEach.stderr);
      assert.equal(r.exitCode, 0);
      // message_ids are the SMSC's numbering (one per submit_sm it took): all else is the same.
      const noIds = (j: unknown) => ({ ...(j as Record<string, unknown>), messageIds: (j as { messageIds: unknown[] }).messageIds.length });
      assert.deepEqual(r.lines.map((x) => ('passThrough' in x ? '' : noIds(asJson(x.json)))), cliEach.stdout.split('\n').slice(0, -1).map((l) => (l ? noIds(JSON.parse(l)) : '')));
      assert.deepEqual(r.lines.map((x) => ('passThrough' in x ? x.passThrough : x.kind)), ['por', '# then', 'por']);
      // streamSendSmpp (what the command runs): the same lines, written to the given stream.
      let streamed = '';
      const sink = new Writable({ write: (c: Buffer, _e, cb) => ((streamed += c.toString()), cb()) });
      const summary = await api.streamSendSmpp({ port, ...SMPP, ...each }, { input: (async function* () { yield input; })(), output: sink, json: true });
      assert.deepEqual([summary.exitCode, summary.commands, summary.failed, summary.lines], [0, 2, 0, 3]);
      const counterOf = (l: string) => (l ? (JSON.parse(l) as { counter: number }).counter : null);
      assert.deepEqual(streamed.split('\n').slice(0, -1).map(counterOf), [3, null, 4]);
      assert.deepEqual(streamed.split('\n').slice(0, -1).map((l) => (l ? noIds(JSON.parse(l)) : '')), cliEach.stdout.split('\n').slice(0, -1).map((l) => (l ? noIds(JSON.parse(l)) : '')));
      // A line that is not hex is its own error line (exit 2) in both, and the campaign goes on (it used to throw here).
      const withBad = 'ZZ\nA0A40000027F20\n';
      const rb = await api.sendSmppEach(withBad, { port, ...SMPP, ...each });
      const cliBad = await cli(['--keyset', KEYSET, '--spi', '0619', '--kic', '15', '--kid', '15', '--tar', 'B00010', '--counter', '3', '--each'], withBad, [2]);
      assert.equal(cliBad.code, 2, cliBad.stderr);
      assert.equal(rb.exitCode, 2);
      assert.deepEqual(rb.lines.map((x) => ('passThrough' in x ? x.passThrough : [x.kind, x.exitCode])), [['error', 2], ['por', 0]]);
      const cliBadLines = cliBad.stdout.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(asJson((rb.lines[0] as { json: unknown }).json), cliBadLines[0]);
      assert.equal(cliBadLines[0].exitCode, 2);
      assert.match(String(cliBadLines[0].error), /^not a hex digit "Z" at character 1$/);
      assert.equal(rb.units.length, 1);
    } finally {
      await smsc.stop();
    }
  });

  it('rfm read / ram status --dry-run: the script the CLI prints, nothing secured', async () => {
    const rfmArgs = ['--path', '3F00/7F20/6F07', '--length', '9', '--keyset', KEYSET, '--kvn', '1'];
    const r = await api.rfm('read', { path: '3F00/7F20/6F07', length: '9', keyset: KEYSET, kvn: '1', dryRun: true });
    assert.deepEqual(asJson(r), cliJson(['rfm', 'read', ...rfmArgs, '--dry-run']));
    assert.deepEqual(r.units, [], 'a dry run secures no packet');
    const s = await api.ram('status', { subset: 'load-files', keyset: KEYSET, kvn: '1', dryRun: true });
    assert.deepEqual(asJson(s), cliJson(['ram', 'status', '--subset', 'load-files', '--keyset', KEYSET, '--kvn', '1', '--dry-run']));
  });

  it('ram status with a fixed counter: the secured packets and their wire octets the CLI prints', async () => {
    const args = ['--keyset', KEYSET, '--kvn', '1', '--spi', '1629', '--counter', '5', '--format', 'envelope'];
    const r = await api.ram('status', { keyset: KEYSET, kvn: '1', spi: '1629', counter: '5', format: 'envelope' });
    assert.deepEqual(asJson(r), cliJson(['ram', 'status', ...args]));
    const lines = run(['ram', 'status', ...args]).stdout.trim().split('\n');
    assert.deepEqual(r.units.map((u) => Buffer.from(u).toString('hex').toUpperCase()), lines, 'units: the octets the CLI writes, one ENVELOPE per line');
  });

  it('rfm / ram bad input throws the CLI\'s typed error', async () => {
    const cases: Array<[() => unknown, string[]]> = [
      [() => api.rfm('read', { path: '3F00/7G20', keyset: KEYSET, dryRun: true }), ['rfm', 'read', '--path', '3F00/7G20', '--keyset', KEYSET, '--dry-run']],
      [() => api.ram('delete', { aid: '0102', keyset: KEYSET, dryRun: true }), ['ram', 'delete', '--aid', '0102', '--keyset', KEYSET, '--dry-run']],
    ];
    for (const [fn, args] of cases) {
      assertCliError(await thrown(fn), run(args), api.InputError, args.join(' '));
    }
  });

  it('bad input throws the typed error with the CLI\'s message and exit code', async () => {
    const existing = join(dir, 'exists.json');
    writeFileSync(existing, '{}');
    const cases: Array<[() => unknown, string[], new (...a: never[]) => api.OtaError]> = [
      [() => api.cardInit({ out: existing }), ['card', 'init', '--out', existing], api.StateError],
      [() => api.counterSet(5, { tar: 'B00010' }), ['counter', 'set', '5', '--tar', 'B00010'], api.InputError],
      [() => api.counterNext({ kvn: 16, tar: 'B00010', state: join(dir, 'c2.json') }), ['counter', 'next', '--kvn', '16', '--tar', 'B00010', '--state', join(dir, 'c2.json')], api.InputError],
      [() => api.buildPush({ keyset: KEYSET, bearer: '03' }), ['build', 'push', '--keyset', KEYSET, '--bearer', '03'], api.InputError],
      [() => api.buildPush({ keyset: KEYSET, apdu: [APDU] } as api.BuildPushOptions), ['build', 'push', '--keyset', KEYSET, '--apdu', APDU], api.InputError],
      [() => api.cattpSend({ to: 'nohost', sdu: '00' }).done, ['cattp', 'send', '--to', 'nohost', '--sdu', '00'], api.InputError],
      [() => api.cattpSend({ to: '127.0.0.1:9' }).done, ['cattp', 'send', '--to', '127.0.0.1:9'], api.InputError],
      [() => api.cattpServe({ port: 0, tar: 'B00010' }), ['cattp', 'serve', '--port', '0', '--tar', 'B00010'], api.InputError],
      [() => api.cattpServe({ port: 0, packet: '0102', apdu: [APDU] }), ['cattp', 'serve', '--port', '0', '--packet', '0102', '--apdu', APDU], api.InputError],
      [() => api.buildCattpPdu('fin'), ['cattp', 'build', 'fin'], api.InputError],
      [() => api.cardVpcd({ card: join(dir, 'none.json') }), ['card', 'vpcd', '--card', join(dir, 'none.json')], api.StateError],
      [() => api.sendSmpp({ port: 1, ...SMPP, dcs: 'XYZ', apdu: [APDU] }), ['send', 'smpp', '--port', '1', ...SMPP_ARGS, '--dcs', 'XYZ', '--apdu', APDU], api.InputError],
      [() => api.sendSmpp({ port: 70000, ...SMPP, apdu: [APDU] }), ['send', 'smpp', '--port', '70000', ...SMPP_ARGS, '--apdu', APDU], api.InputError],
      [() => api.sendSmppEach('00\n', { port: 1, ...SMPP, apdu: [APDU] }), ['send', 'smpp', '--port', '1', ...SMPP_ARGS, '--apdu', APDU, '--each'], api.InputError],
      [() => api.sendPcsc({ cla: '01', apdu: [APDU] }), ['send', 'pcsc', '--cla', '01', '--apdu', APDU], api.InputError],
      [() => api.sendPcsc({ terminalProfile: '', apdu: [APDU] }), ['send', 'pcsc', '--terminal-profile', '', '--apdu', APDU], api.InputError],
    ];
    for (const [fn, args, Cls] of cases) {
      const cli = run(args);
      let err: unknown;
      const writes = await writesDuring(async () => (err = await thrown(fn)));
      assertCliError(err, cli, Cls, args.join(' '));
      if (args[0] === 'send') assert.deepEqual(writes, [], `${args.join(' ')}: the library writes nothing`);
    }
  });
});
