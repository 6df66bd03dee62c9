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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, KEYSET, ROOT, run, type RunResult } from './helpers/cli.js';
import * as api from '../src/api/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'uicc-ota-api-servers-'));

function cli(args: string[], input = ''): Promise<RunResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input);
  });
}

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
