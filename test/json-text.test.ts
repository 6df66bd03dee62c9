/**
 * The SMS-PP layers' JSON written as text (Layer.jsonText / Peeled.jsonText,
 * used by parse --read --ndjson) is JSON.stringify of the layer's object, octet
 * for octet: the hand-written writers in src/smspp/render.ts must follow
 * tpduToJson, envelopeToJson and proactiveToJson. Inputs: what the CLI builds
 * for every SMS layer, and random octets (whatever decodes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { run, ROOT } from './helpers/cli.js';
import { join } from 'node:path';
import { fromHex } from '../src/util/hex.js';
import * as sp from '../src/smspp/index.js';

const KEYSET = join(ROOT, 'vectors', 'keysets', 'test.json');

/** jsonText read first (it is given only while the object is not built), then the object. */
function same(p: sp.Peeled, what: string): boolean {
  const text = p.jsonText;
  if (text === undefined) return false;
  assert.equal(text, JSON.stringify(p.json), what);
  return true;
}

/** What the CLI builds for every SMS layer: [what, hex]. */
function built(): Array<[string, string]> {
  const sec = ['--keyset', KEYSET, '--tar', 'B00010', '--counter', '1', '--apdu', '00A40004023F00'];
  const inputs: Array<[string, string]> = [];
  for (const f of ['envelope', 'tpdu']) {
    const r = run(['build', 'sms', ...sec, '--format', f]);
    assert.equal(r.code, 0, r.stderr);
    inputs.push([f, r.stdout.trim()]);
  }
  const pkt = run(['build', 'sms', ...sec, '--format', 'packet']).stdout.trim();
  for (const f of ['submit', 'proactive']) {
    const r = run(['build', 'por', '--keyset', KEYSET, '--request', pkt, '--sw', '9000', '--format', f]);
    assert.equal(r.code, 0, r.stderr);
    inputs.push([f, r.stdout.trim()]);
  }
  // A 3-SMS concatenated command: its segments' ENVELOPEs (UDH with IE 00).
  const long = run(['build', 'sms', ...sec, '--apdu', '00D6000080' + '00'.repeat(128), '--apdu', '00D6000080' + '11'.repeat(128), '--format', 'envelope']);
  assert.equal(long.code, 0, long.stderr);
  long.stdout.trim().split(/\s+/).forEach((l, i) => inputs.push([`segment ${i + 1}`, l]));
  return inputs;
}
const INPUTS = built();
const directionOf = (what: string): sp.Direction | undefined => (what === 'submit' ? 'ms-to-sc' : undefined);

test('jsonText = JSON.stringify(json) for every layer the CLI builds (ENVELOPE, SMS-DELIVER, SMS-SUBMIT, proactive command)', () => {
  for (const [what, hex] of INPUTS) {
    const direction = directionOf(what);
    const p = sp.peelSmsPp(fromHex(hex), direction ? { direction } : {});
    assert.ok(same(p, what), `${what}: no jsonText`);
  }
});

test('jsonText = JSON.stringify(json) on those layers with random octets changed, wherever they still decode', () => {
  let given = 0;
  fc.assert(
    fc.property(fc.constantFrom(...INPUTS), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), ([what, hex], changes) => {
      const b = fromHex(hex);
      for (const [at, v] of changes) b[at % b.length] = v;
      let p: sp.Peeled;
      try {
        p = sp.peelSmsPp(b, directionOf(what) ? { direction: directionOf(what) } : {});
      } catch {
        return; // no longer a layer: nothing to compare
      }
      if (same(p, `${what} ${Buffer.from(b).toString('hex')}`)) given++;
    }),
    { numRuns: 3000, seed: 102225 },
  );
  assert.ok(given > 1000, `only ${given} changed inputs decoded with a jsonText`);
});
