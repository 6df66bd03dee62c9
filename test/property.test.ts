/**
 * Property tests (fast-check). Round trips through our own encoder and decoder
 * prove nothing about the bytes on the wire (the golden vectors do that); they
 * prove that every field the builder takes comes back from the parser, for
 * every SPI combination, algorithm, key length, counter and data length, and
 * that a packet with one octet changed is never reported verified with its
 * original content.
 *
 * PROPERTY_RUNS scales the number of cases (default 1: a few seconds per
 * property); e.g. PROPERTY_RUNS=50 for a long run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildCommand, parseCommand, type SecuredCommand } from '../src/secured/command.js';
import { buildResponse, parseResponse, type SecuredResponse } from '../src/secured/response.js';
import { CNTR_MAX } from '../src/secured/common.js';
import { encodeKic, encodeKid } from '../src/secured/kic.js';
import { INTEGRITY, COUNTER, POR_REQUEST, POR_VIA, spiHex, type Spi } from '../src/secured/spi.js';
import type { KeyMaterial } from '../src/secured/keys.js';
import type { CipherAlg, CcAlg, RcAlg } from '../src/crypto/index.js';
import type { Dialect } from '../src/secured/dialect.js';
import { smsDialect } from '../src/smspp/dialect.js';
import { cattpDialect } from '../src/cattp/dialect.js';
import { buildSmsPp, peelAndReassemble } from '../src/smspp/build.js';
import { decodeTpdu } from '../src/smspp/tpdu.js';
import { tpduToJson, envelopeToJson } from '../src/smspp/render.js';
import { envelope } from '../src/smspp/envelope.js';
import { decodePdu, encodePdu, type CattpPdu } from '../src/cattp/pdu.js';
import { OtaError } from '../src/util/errors.js';
import { toHex } from '../src/util/hex.js';

const SCALE = Number(process.env.PROPERTY_RUNS ?? 1);
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * SCALE)), seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined });

const CIPHER_KEYS: Record<CipherAlg, number[]> = {
  'des-cbc': [8], 'des-ecb': [8], '3des-2key-cbc': [16], '3des-3key-cbc': [24], 'aes-cbc': [16, 24, 32],
};
const CC_KEYS: Record<CcAlg, number[]> = {
  'des-cbc-mac': [8], '3des-2key-cbc-mac': [16], '3des-3key-cbc-mac': [24], 'aes-cmac': [16, 24, 32],
};
const RC_ALGS: RcAlg[] = ['crc16', 'crc32'];

/** DES-family keys whose halves/thirds differ (a repeated half makes 3DES single DES: refused when building). */
const key = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).filter((k) => n < 16 || toHex(k.subarray(0, 8)) !== toHex(k.subarray(8, 16)));

interface Security {
  spi: Spi;
  kic: number;
  kid: number;
  keys: KeyMaterial;
  ccLength?: number;
}

const integrityArb = fc.constantFrom(...INTEGRITY.filter((i) => i !== 'ds'));

/** Every supported combination of SPI, KIc/KID algorithm and key length. */
const securityArb: fc.Arbitrary<Security> = fc
  .record({
    integrity: integrityArb,
    ciphering: fc.boolean(),
    counter: fc.constantFrom(...COUNTER),
    porRequest: fc.constantFrom(...POR_REQUEST),
    porIntegrity: integrityArb,
    porCiphered: fc.boolean(),
    porVia: fc.constantFrom(...POR_VIA),
    kicAlg: fc.constantFrom(...(Object.keys(CIPHER_KEYS) as CipherAlg[])),
    ccAlg: fc.constantFrom(...(Object.keys(CC_KEYS) as CcAlg[])),
    rcAlg: fc.constantFrom(...RC_ALGS),
    kvn: fc.integer({ min: 0, max: 15 }),
    keyPick: fc.nat(),
    shortCc: fc.boolean(),
  })
  .chain((r) => {
    const kidIsRc = r.integrity === 'rc' || (r.integrity === 'none' && r.porIntegrity === 'rc');
    const kidAlg = kidIsRc ? r.rcAlg : r.ccAlg;
    const kicLens = CIPHER_KEYS[r.kicAlg];
    const kidLens = kidIsRc ? [16] : CC_KEYS[r.ccAlg];
    return fc.record({ kicKey: key(kicLens[r.keyPick % kicLens.length]), kidKey: key(kidLens[r.keyPick % kidLens.length]) }).map(({ kicKey, kidKey }) => ({
      spi: { integrity: r.integrity, ciphering: r.ciphering, counter: r.counter, porRequest: r.porRequest, porIntegrity: r.porIntegrity, porCiphered: r.porCiphered, porVia: r.porVia, reserved1: 0, reserved2: 0 },
      kic: encodeKic(r.kvn, r.kicAlg),
      kid: encodeKid(r.kvn, kidAlg),
      keys: { kicKey, kidKey },
      ccLength: !kidIsRc && r.ccAlg === 'aes-cmac' && r.shortCc ? 4 : undefined,
    }));
  })
  // The PoR's integrity must be readable with the same KID as the command's.
  .filter((s) => s.spi.integrity === 'none' || s.spi.porIntegrity === 'none' || s.spi.porIntegrity === s.spi.integrity);

const counterArb = fc.oneof(fc.constantFrom(0n, 1n, CNTR_MAX, CNTR_MAX - 1n), fc.bigInt({ min: 0n, max: CNTR_MAX }));
/** Data lengths from 0 up; now and then long ones (multi-SMS, 2-octet BER CPL). */
const dataArb = fc.oneof({ weight: 4, arbitrary: fc.uint8Array({ maxLength: 200 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 1500 }) });
const tarArb = fc.uint8Array({ minLength: 3, maxLength: 3 });
const dialectArb = fc.constantFrom<Dialect>(smsDialect, cattpDialect);

function isOta(e: unknown): boolean {
  if (!(e instanceof OtaError)) throw e;
  assert.ok(!/[\r\n]/.test(e.message), `one-line message: ${JSON.stringify(e.message)}`);
  return true;
}

function commandFields(c: SecuredCommand): string {
  return JSON.stringify({
    cpl: c.cpl, chl: c.chl, spi: spiHex(c.spi), kic: c.kic, kid: c.kid, tar: toHex(c.tar), counter: c.counter?.toString(), pcntr: c.pcntr,
    data: c.data && toHex(c.data), padding: c.padding && toHex(c.padding), cc: c.checksum.value && toHex(c.checksum.value),
  });
}

test('property: command packet build → parse returns every field (all SPI, algorithms, key lengths, counters, data lengths, both dialects)', () => {
  fc.assert(
    fc.property(securityArb, counterArb, dataArb, tarArb, dialectArb, (s, counter, data, tar, d) => {
      const built = buildCommand(d, { spi: s.spi, kic: s.kic, kid: s.kid, tar, counter, data, ccLength: s.ccLength }, s.keys);
      const p = parseCommand(d, built.bytes, s.keys);
      assert.deepEqual(p.failures, []);
      assert.equal(p.cpl, built.cpl);
      assert.equal(p.chl, built.chl);
      assert.deepEqual(p.spi, s.spi);
      assert.equal(p.kic, s.kic);
      assert.equal(p.kid, s.kid);
      assert.deepEqual(p.tar, tar);
      assert.equal(p.counter, counter);
      assert.equal(p.pcntr, built.pcntr);
      assert.deepEqual(p.data, data);
      assert.equal(p.ciphered, s.spi.ciphering);
      assert.equal(p.deciphered, true);
      assert.equal(p.checksum.verified, s.spi.integrity === 'none' ? null : true);
      assert.equal(p.cpi, d.cpi);
    }),
    runs(150),
  );
});

test('property: a command packet with any single octet changed fails verification or reports the changed field; never verified with its original content', () => {
  fc.assert(
    fc.property(securityArb, counterArb, fc.uint8Array({ maxLength: 40 }), tarArb, dialectArb, fc.integer({ min: 1, max: 255 }), (s, counter, data, tar, d, delta) => {
      const built = buildCommand(d, { spi: s.spi, kic: s.kic, kid: s.kid, tar, counter, data, ccLength: s.ccLength }, s.keys);
      const original = commandFields(parseCommand(d, built.bytes, s.keys));
      for (let i = 0; i < built.bytes.length; i++) {
        const b = Uint8Array.from(built.bytes);
        b[i] ^= delta;
        let p: SecuredCommand;
        try {
          p = parseCommand(d, b, s.keys);
        } catch (e) {
          isOta(e);
          continue;
        }
        const failed = p.failures.length > 0 || p.checksum.verified === false;
        if (failed) continue;
        // Not flagged: the change must show in a reported field …
        assert.notEqual(commandFields(p), original, `octet ${i} ^ ${delta} of ${toHex(built.bytes)} went unnoticed`);
        // … and where a CC covers the octet (it covers all of them) it cannot pass:
        // a MAC collision with a random change is out of reach (2^-32 at 4 octets).
        if (p.spi.integrity === 'cc' && p.checksum.verified === true) assert.fail(`octet ${i} changed, CC still verified`);
        // A CRC detects every change of one octet of the clear packet.
        if (p.spi.integrity === 'rc' && !p.spi.ciphering && p.checksum.verified === true && spiHex(p.spi) === spiHex(s.spi)) {
          assert.fail(`octet ${i} changed, RC still verified`);
        }
      }
    }),
    runs(25),
  );
});

function responseFields(r: SecuredResponse): string {
  return JSON.stringify({
    rpl: r.rpl, rhl: r.rhl, tar: toHex(r.tar), counter: r.counter?.toString(), pcntr: r.pcntr, status: r.status,
    data: r.data && toHex(r.data), padding: r.padding && toHex(r.padding), cc: r.checksum.value && toHex(r.checksum.value),
  });
}

const porArb = fc.record({ s: securityArb, counter: counterArb, status: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 300 }), tar: tarArb, d: dialectArb });

function porSecurity(s: Security) {
  return { integrity: s.spi.porIntegrity, ciphered: s.spi.porCiphered, kic: s.kic, kid: s.kid, ccLength: s.ccLength };
}

test('property: PoR build → parse returns every field', () => {
  fc.assert(
    fc.property(porArb, ({ s, counter, status, data, tar, d }) => {
      const sec = porSecurity(s);
      const built = buildResponse(d, { ...sec, tar, counter, status, data }, s.keys);
      const p = parseResponse(d, built.bytes, s.keys, sec);
      assert.deepEqual(p.failures, []);
      assert.equal(p.rpl, built.rpl);
      assert.equal(p.rhl, built.rhl);
      assert.deepEqual(p.tar, tar);
      assert.equal(p.counter, counter);
      assert.equal(p.status, status);
      assert.deepEqual(p.data, data);
      assert.equal(p.checksum.verified, sec.integrity === 'none' ? null : true);
    }),
    runs(150),
  );
});

test('property: a PoR with any single octet changed fails verification or reports the changed field', () => {
  fc.assert(
    fc.property(porArb, fc.integer({ min: 1, max: 255 }), ({ s, counter, status, data, tar, d }, delta) => {
      const sec = porSecurity(s);
      const built = buildResponse(d, { ...sec, tar, counter, status, data: data.subarray(0, 30) }, s.keys);
      const original = responseFields(parseResponse(d, built.bytes, s.keys, sec));
      for (let i = 0; i < built.bytes.length; i++) {
        const b = Uint8Array.from(built.bytes);
        b[i] ^= delta;
        let p: SecuredResponse;
        try {
          p = parseResponse(d, b, s.keys, sec);
        } catch (e) {
          isOta(e);
          continue;
        }
        if (p.failures.length > 0 || p.checksum.verified === false) continue;
        assert.notEqual(responseFields(p), original, `octet ${i} ^ ${delta} of ${toHex(built.bytes)} went unnoticed`);
        if (sec.integrity === 'cc' && p.checksum.verified === true) assert.fail(`octet ${i} changed, PoR CC still verified`);
      }
    }),
    runs(25),
  );
});

test('property: SMS-PP framing (user data, SMS-DELIVER, ENVELOPE; single and concatenated) gives back the packet', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 14, maxLength: 1200 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom<8 | 16>(8, 16), fc.boolean(), (packet, ref, refBits, force) => {
      const built = buildSmsPp(packet, { ref, refBits, force });
      for (const layer of [built.uds, built.tpdus, built.envelopes]) {
        // Any order of the segments reassembles.
        const r = peelAndReassemble([...layer].reverse());
        assert.deepEqual(r.packet, packet);
      }
    }),
    runs(60),
  );
});

test('property: a TPDU or ENVELOPE with one octet changed is rejected or decodes to different fields', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 14, maxLength: 120 }), fc.integer({ min: 1, max: 255 }), (packet, delta) => {
      const built = buildSmsPp(packet);
      const tpdu = built.tpdus[0];
      const env = built.envelopes[0];
      const tOrig = JSON.stringify(tpduToJson(decodeTpdu(tpdu, 'sc-to-ms')));
      // The JSON view leaves out the COMPREHENSION-TLV CR flags; the decoder reports them.
      const envFields = (b: Uint8Array) => {
        const e = envelope.decode(b);
        return JSON.stringify([envelopeToJson(e), e.deviceIdentities.cr, e.address?.cr, e.tpduCr]);
      };
      const eOrig = envFields(env);
      for (let i = 0; i < tpdu.length; i++) {
        const b = Uint8Array.from(tpdu);
        b[i] ^= delta;
        try {
          assert.notEqual(JSON.stringify(tpduToJson(decodeTpdu(b, 'sc-to-ms'))), tOrig, `TPDU octet ${i}`);
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          isOta(e);
        }
      }
      for (let i = 0; i < env.length; i++) {
        const b = Uint8Array.from(env);
        b[i] ^= delta;
        try {
          assert.notEqual(envFields(b), eOrig, `ENVELOPE octet ${i}`);
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          isOta(e);
        }
      }
    }),
    runs(40),
  );
});

const u16 = fc.integer({ min: 0, max: 0xffff });
const pduArb: fc.Arbitrary<CattpPdu> = fc.oneof(
  fc.record({ type: fc.constant<'SYN'>('SYN'), srcPort: u16, dstPort: u16, seq: u16, ack: u16, window: u16, maxPduSize: u16, maxSduSize: u16, identification: fc.uint8Array({ maxLength: 20 }), data: fc.constant(new Uint8Array(0)) }),
  fc.record({ type: fc.constant<'SYN/ACK'>('SYN/ACK'), srcPort: u16, dstPort: u16, seq: u16, ack: u16, window: u16, maxPduSize: u16, maxSduSize: u16, identification: fc.uint8Array({ maxLength: 20 }), data: fc.constant(new Uint8Array(0)) }),
  fc.record({ type: fc.constant<'DATA'>('DATA'), seg: fc.boolean(), srcPort: u16, dstPort: u16, seq: u16, ack: u16, window: u16, data: fc.uint8Array({ minLength: 1, maxLength: 300 }) }),
  fc.record({ type: fc.constantFrom<'ACK' | 'NUL'>('ACK', 'NUL'), srcPort: u16, dstPort: u16, seq: u16, ack: u16, window: u16, data: fc.constant(new Uint8Array(0)) }),
  fc.record({ type: fc.constant<'EACK'>('EACK'), srcPort: u16, dstPort: u16, seq: u16, ack: u16, window: u16, eack: fc.array(u16, { maxLength: 20 }), data: fc.constant(new Uint8Array(0)) }),
  fc.record({ type: fc.constant<'RST'>('RST'), srcPort: u16, dstPort: u16, seq: u16, ack: u16, window: u16, reason: fc.integer({ min: 0, max: 255 }), data: fc.constant(new Uint8Array(0)) }),
);

test('property: CAT_TP PDU encode → decode returns every field; one changed octet is a bad checksum or an error', () => {
  fc.assert(
    fc.property(pduArb, fc.integer({ min: 1, max: 255 }), (pdu, delta) => {
      const b = encodePdu(pdu);
      const d = decodePdu(b);
      assert.equal(d.checksumOk, true);
      for (const k of Object.keys(pdu) as (keyof CattpPdu)[]) {
        const want = pdu[k];
        const got = d.pdu[k];
        if (k === 'seg' && !want) continue;
        if (k === 'identification' && (want as Uint8Array).length === 0 && got === undefined) continue;
        assert.deepEqual(got, want, `field ${k}`);
      }
      for (let i = 0; i < b.length; i++) {
        const m = Uint8Array.from(b);
        m[i] ^= delta;
        try {
          const x = decodePdu(m);
          // The one's-complement sum changes by 1..0xFF00 for one octet: never by 0 or 0xFFFF.
          assert.equal(x.checksumOk, false, `octet ${i} changed, checksum still good`);
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          isOta(e);
        }
      }
    }),
    runs(150),
  );
});
