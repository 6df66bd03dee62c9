/**
 * rfm() / ram() through the library against `uicc-ota rfm|ram --json` in the
 * modes that answer: --por (a PoR the card simulator gave), --card (two
 * copies of one CARD.json, one per front end), --send cattp (each side the
 * OTA server of a CAT_TP session with `cattp send --card` as the card) and
 * --format scp81-scripts (the scripts file, the dry run, a response string). The same inputs give
 * the same object; a failing PoR is reported, not thrown, by the library
 * (the command exits 1 on it); bad input throws the typed error with the
 * CLI's line and exit code.
 *
 * These are identity checks between two front ends of the same code: they
 * catch drift. The octets are checked against independent references in
 * rmgmt.test.ts (openssl, spec examples, the card's EF content).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, KEYSET, run, runAsync } from './helpers/cli.js';
import { launch } from './helpers/launch.js';
import { assertCliError, thrown } from './helpers/api-error.js';
import { capFile, PACKAGE_AID, APPLET_AID } from './helpers/cap.js';
import * as api from '../src/api/index.js';

const SEC = ['--keyset', KEYSET, '--kvn', '1', '--spi', '1629'];
const sec = { keyset: KEYSET, kvn: '1', spi: '1629' };

function asJson(r: unknown): unknown {
  const { units: _u, ...rest } = r as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest, (_k, x) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? Buffer.from(x).toString('hex').toUpperCase() : x)));
}

function cliJson(args: string[], expectCode = 0): unknown {
  const r = run([...args, '--json']);
  assert.equal(r.code, expectCode, `${args.join(' ')}: exit ${r.code} ${r.stderr}`);
  return JSON.parse(r.stdout);
}

let dir: string;
let CAP: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'uicc-ota-rmgmt-api-'));
  CAP = join(dir, 'hello.cap');
  writeFileSync(CAP, capFile());
});
after(() => rmSync(dir, { recursive: true, force: true }));

function twoCards(name: string): [string, string] {
  const a = join(dir, `${name}-a.json`);
  const b = join(dir, `${name}-b.json`);
  assert.equal(run(['card', 'init', '--out', a]).code, 0);
  copyFileSync(a, b);
  return [a, b];
}

describe('rfm() / ram() = rfm / ram --json in every mode', () => {
  it('--card: load + install, status, read, put-key on two copies of one card', async () => {
    const [ca, cb] = twoCards('card');
    const load = await api.ram('load', { cap: CAP, install: true, ...sec, counter: '1', card: cb });
    assert.deepEqual(asJson(load), cliJson(['ram', 'load', '--cap', CAP, '--install', ...SEC, '--counter', '1', '--card', ca]));
    assert.equal((load.pors as unknown[]).length, load.packets);
    assert.deepEqual(JSON.parse(readFileSync(cb, 'utf8')).registry.loadFiles, [{ aid: PACKAGE_AID, modules: [APPLET_AID] }], 'the library call updated its card file');
    const n = load.packets as number;
    const status = await api.ram('status', { ...sec, counter: String(n + 1), card: cb });
    assert.deepEqual(asJson(status), cliJson(['ram', 'status', ...SEC, '--counter', String(n + 1), '--card', ca]));
    const read = await api.rfm('read', { path: '3F00/7F20/6F07', ...sec, counter: String(n + 2), card: cb });
    assert.deepEqual(asJson(read), cliJson(['rfm', 'read', '--path', '3F00/7F20/6F07', ...SEC, '--counter', String(n + 2), '--card', ca]));
    const nk = '00112233445566778899AABBCCDDEEFF';
    const pk = await api.ram('put-key', { newKvn: '5', newKic: nk, newKid: nk, ...sec, counter: String(n + 3), card: cb });
    assert.deepEqual(asJson(pk), cliJson(['ram', 'put-key', '--new-kvn', '5', '--new-kic', nk, '--new-kid', nk, ...SEC, '--counter', String(n + 3), '--card', ca]));
    // A replayed counter: the card refuses (status 02); the command exits 1, the library reports it in pors[].failures.
    const again = await api.ram('status', { ...sec, counter: '1', card: cb });
    assert.deepEqual(asJson(again), cliJson(['ram', 'status', ...SEC, '--counter', '1', '--card', ca], 1));
    assert.ok((again.pors as { failures: string[] }[])[0].failures.length > 0);
  });

  it('--por: the PoR the simulator gave, decoded against the same script (one line, and "-" lines for the CLI)', async () => {
    const [ca] = twoCards('por');
    const args = ['rfm', 'read', '--path', '3F00/7F20/6F07', ...SEC, '--counter', '7'];
    const ud = run([...args, '--format', 'ud']);
    assert.equal(ud.code, 0, ud.stderr);
    const p = run(['card', 'process', '--card', ca, ud.stdout.trim()]);
    assert.equal(p.code, 0, p.stderr);
    const por = p.stdout.trim().split('\n').at(-1)!;
    const r = await api.rfm('read', { path: '3F00/7F20/6F07', ...sec, counter: '7', por });
    assert.deepEqual(asJson(r), cliJson([...args, '--por', por]));
    assert.deepEqual(r.units, [], 'a PoR report has no packets');
    const viaStdin = run([...args, '--por', '-', '--json'], { input: `# the PoR\n${por}\n` });
    assert.deepEqual(asJson(await api.rfm('read', { path: '3F00/7F20/6F07', ...sec, counter: '7', por: `# the PoR\n${por}\n` })), JSON.parse(viaStdin.stdout));
  });

  it('--format scp81-scripts: the scripts file, the dry run, a response string', async () => {
    const args = ['ram', 'delete', '--aid', PACKAGE_AID, '--format', 'scp81-scripts', '--scp81-agent', 'card-1'];
    const o = { aid: PACKAGE_AID, format: 'scp81-scripts', scp81Agent: 'card-1' };
    // The scripts file (what scp81 serve --scripts reads) is printed as is, with or without --json.
    const file = run(args);
    assert.equal(file.code, 0, file.stderr);
    assert.deepEqual(asJson(await api.ram('delete', o)), JSON.parse(file.stdout));
    assert.deepEqual(asJson(await api.ram('delete', { ...o, dryRun: true })), cliJson([...args, '--dry-run']));
    // TS 102 226 cl. 5.2.2: AF 80 ‖ 23 02 90 00 (R-APDU of DELETE: normal ending) ‖ 00 00.
    assert.deepEqual(asJson(await api.ram('delete', { ...o, por: 'AF80230290000000' })), cliJson([...args, '--por', 'AF80230290000000']));
    // 6A88 (referenced data not found): exit 1 for the command, reported by the library.
    const bad = await api.ram('delete', { ...o, por: 'AF8023026A880000' });
    assert.deepEqual(asJson(bad), cliJson([...args, '--por', 'AF8023026A880000'], 1));
  });

  it('--send cattp: the library as the OTA server (hooks.listening gives the port), the CLI as the other; cattp send --card as the card', async () => {
    const [ca, cb] = twoCards('cattp');
    const cardSide = (card: string, port: number) => runAsync(['cattp', 'send', '--to', `127.0.0.1:${port}`, '--card', card, '--quiet']);
    let peer: Promise<{ code: number; stderr: string }> | undefined;
    const viaApi = await api.ram('load', { cap: CAP, install: true, ...sec, counter: '1', bearer: 'cattp', maxSdu: '200', send: 'cattp', port: '0', timeout: '20000' }, {
      listening: (a) => (peer = cardSide(cb, a.port)),
    });
    assert.equal((await peer!).code, 0);
    const srv = launch(process.execPath, [BIN, 'ram', 'load', '--cap', CAP, '--install', ...SEC, '--counter', '1', '--bearer', 'cattp', '--max-sdu', '200', '--send', 'cattp', '--port', '0', '--timeout', '20000', '--json'], /listening on UDP 127\.0\.0\.1:(\d+)/);
    assert.equal((await cardSide(ca, await srv.port)).code, 0);
    assert.equal(await srv.done, 0, srv.err());
    assert.deepEqual(asJson(viaApi), JSON.parse(srv.out()));
    assert.ok((viaApi.packets as number) > 1 && (viaApi.pors as unknown[]).length === viaApi.packets);
    assert.deepEqual(JSON.parse(readFileSync(cb, 'utf8')).registry.loadFiles, [{ aid: PACKAGE_AID, modules: [APPLET_AID] }]);
  });

  it('bad input in these modes throws the CLI\'s typed error (line, exit code)', async () => {
    const cases: Array<[() => unknown, string[]]> = [
      [() => api.ram('status', { ...sec, card: join(dir, 'none.json') }), ['ram', 'status', ...SEC, '--card', join(dir, 'none.json')]],
      [() => api.rfm('read', { path: '3F00/2FE2', ...sec, por: '02 71 zz' }), ['rfm', 'read', '--path', '3F00/2FE2', ...SEC, '--por', '02 71 zz']],
      [() => api.ram('delete', { aid: PACKAGE_AID, format: 'scp81-scripts', card: join(dir, 'x.json') }), ['ram', 'delete', '--aid', PACKAGE_AID, '--format', 'scp81-scripts', '--card', join(dir, 'x.json')]],
      [() => api.ram('status', { ...sec, send: 'cattp' }), ['ram', 'status', ...SEC, '--send', 'cattp']],
      [() => api.ram('status', { ...sec, bearer: 'cattp', send: 'cattp' }), ['ram', 'status', ...SEC, '--bearer', 'cattp', '--send', 'cattp']],
      [() => api.ram('status', { ...sec, dryRun: true, card: join(dir, 'x.json') }), ['ram', 'status', ...SEC, '--dry-run', '--card', join(dir, 'x.json')]],
    ];
    for (const [fn, args] of cases) {
      assertCliError(await thrown(fn), run(args), api.OtaError, args.join(' '));
    }
  });
});
