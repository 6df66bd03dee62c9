/**
 * The terminal state machine (src/transport/pcsc/terminal.ts) against the
 * card simulator's ISO 7816 interface (src/card/terminal-interface.ts) in
 * memory, without PC/SC. Expected bytes: the real sysmoISIM-SJA2 PoR
 * (vectors/responses.json card-sja2-por-3des-cc-cipher, secured-packet.md
 * §12.1 of the spec digest, recomputed there with the openssl CLI) for the
 * command vectors/sms-pp-commands.json card-sja2-3des-cc-cipher; the SEND
 * SHORT MESSAGE of vectors/por-framing.json por-proactive-aes (openssl +
 * vectors/tools/framing.py); status words from TS 102 221 cl. 10.2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { fromHex, toHex } from '../src/util/hex.js';
import { exampleCard, validateCard } from '../src/card/card.js';
import { processPacket } from '../src/card/simulator.js';
import { smsDialect } from '../src/smspp/dialect.js';
import { buildSmsPp } from '../src/smspp/build.js';
import { VirtualCard, defaultAtr } from '../src/card/terminal-interface.js';
import { exchangeSmsPp } from '../src/transport/pcsc/send.js';
import { NetworkError } from '../src/util/errors.js';

const vector = (file: string, id: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'vectors', file), 'utf8')) as { cases: { id: string; expected: { hex: string | string[] } }[] }).cases.find((c) => c.id === id)!.expected.hex;
const SJA2_POR = vector('responses.json', 'card-sja2-por-3des-cc-cipher') as string;
const SJA2_CMD = vector('sms-pp-commands.json', 'card-sja2-3des-cc-cipher') as string;
const AES_SSM = (vector('por-framing.json', 'por-proactive-aes') as string[])[0];

function card() {
  // B00010 answers from its canned status words only (as the golden PoRs were recorded), not from the RFM file system.
  const raw = exampleCard() as unknown as { applications: { tar: string; handler?: string }[] };
  for (const app of raw.applications) if (app.tar === 'B00010') delete app.handler;
  const c = validateCard(raw, 'example');
  return new VirtualCard({ process: async (p) => processPacket(c, p, smsDialect) });
}

test('ATR: TCK makes the XOR of T0…TCK zero (ISO 7816-3 8.2.5)', () => {
  const atr = defaultAtr();
  assert.equal(atr.subarray(1).reduce((a, b) => a ^ b, 0), 0);
});

test('PoR in the ENVELOPE response: 61 31, GET RESPONSE 00 C0 00 00 31 → the real SJA2 PoR', async () => {
  const env = buildSmsPp(fromHex(SJA2_CMD)).envelopes;
  const vc = card();
  const r = await exchangeSmsPp((c) => vc.transmit(c), env);
  assert.equal(toHex(r.deliverReportUd!), '027100' + SJA2_POR);
  assert.deepEqual(r.steps.map((s) => toHex(s.command).slice(0, 10)), ['8010000004', toHex(env[0]).slice(0, 10), '00C0000031']);
  assert.equal(r.steps[1].sw, 0x6131);
});

test('class A0 (2G SIM): ENVELOPE A0 C2, 9F xx, GET RESPONSE A0 C0', async () => {
  const vc = card();
  const r = await exchangeSmsPp((c) => vc.transmit(c), buildSmsPp(fromHex(SJA2_CMD)).envelopes, { cla: 0xa0, terminalProfile: null });
  assert.equal(toHex(r.steps[0].command).slice(0, 4), 'A0C2');
  assert.equal(r.steps[0].sw, 0x9f31);
  assert.equal(toHex(r.steps[1].command), 'A0C0000031');
  assert.equal(toHex(r.deliverReportUd!), '027100' + SJA2_POR);
});

test('PoR via SMS-SUBMIT: 91 41, FETCH, the SEND SHORT MESSAGE of por-proactive-aes, TERMINAL RESPONSE', async () => {
  const { buildCommand } = await import('../src/secured/command.js');
  const { spiCodec } = await import('../src/secured/spi.js');
  const keys = { kicAlg: 'aes-cbc' as const, kicKey: fromHex('200102030405060708090A0B0C0D0E0F'), kidAlg: 'aes-cmac' as const, kidKey: fromHex('201102030405060708090A0B0C0D0E0F') };
  const cmd = buildCommand(smsDialect, { spi: spiCodec.decode(fromHex('0639')), kic: 0x22, kid: 0x22, tar: fromHex('B00010'), counter: 0n, data: fromHex('00B0000010') }, keys);
  const vc = card();
  const r = await exchangeSmsPp((c) => vc.transmit(c), buildSmsPp(cmd.bytes).envelopes);
  assert.equal(r.proactive.length, 1);
  assert.equal(toHex(r.proactive[0].data), AES_SSM);
  assert.equal(r.submitUds.length, 1);
  assert.equal(toHex(r.steps[r.steps.length - 1].command), '801400000C810301130082028281830100');
});

test('an unexpected SW names the step; 93 00 is "toolkit busy"', async () => {
  const env = buildSmsPp(fromHex(SJA2_CMD)).envelopes;
  await assert.rejects(exchangeSmsPp(async (c) => Uint8Array.of(c[1] === 0xc2 ? 0x93 : 0x90, 0x00), env), (e: unknown) => e instanceof NetworkError && /^ENVELOPE 1\/1: SW 9300 \(toolkit busy\)/.test(e.message));
  await assert.rejects(exchangeSmsPp(async () => { throw new Error('boom'); }, env), (e: unknown) => e instanceof NetworkError && e.message === 'TERMINAL PROFILE: boom');
});

test('SELECT ADF by partial USIM AID (61xx + GET RESPONSE of the FCP), STATUS 6Cxx, GET RESPONSE / FETCH with nothing pending 6985 (TS 102 221 cl. 10.2)', async () => {
  const vc = card();
  const r = await exchangeSmsPp((c) => vc.transmit(c), buildSmsPp(fromHex(SJA2_CMD)).envelopes, { selectAdf: fromHex('A0000000871002') });
  assert.equal(toHex(r.steps[1].command), '00A4040407A0000000871002');
  assert.equal(r.steps[1].sw >> 8, 0x61);
  assert.equal(toHex(r.steps[2].command).slice(0, 8), '00C00000');
  assert.equal(toHex(r.deliverReportUd!), '027100' + SJA2_POR);
  assert.equal(toHex(await vc.transmit(fromHex('80F2000000'))).slice(0, 2), '6C');
  assert.equal(toHex(await vc.transmit(fromHex('00C0000010'))), '6985');
  assert.equal(toHex(await vc.transmit(fromHex('8012000010'))), '6985');
  assert.equal(toHex(await vc.transmit(fromHex('00A40004023F01'))), '6A82');
});
