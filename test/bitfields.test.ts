/**
 * The SPI/KIc/KID bit fields are compiled to shifts and masks at load. Expected
 * values: buffer-layout's own BitStructure decode/encode of the same declaration
 * (an implementation that is not ours), for every one of the 256 octet values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SPI1, SPI2, spiCodec } from '../src/secured/spi.js';
import { KIC_FIELDS } from '../src/secured/kic.js';
import type { OctetFields } from '../src/secured/bitfields.js';
import { InputError } from '../src/util/errors.js';

const TABLES: OctetFields[] = [SPI1, SPI2, KIC_FIELDS];

describe('bit fields compiled at load', () => {
  for (const t of TABLES) {
    it(`${t.name}: raw, decode and encode agree with buffer-layout for all 256 octets`, () => {
      for (let o = 0; o < 256; o++) {
        const bl = t.layout.decode(Uint8Array.of(o)) as Record<string, number | boolean>;
        assert.deepEqual(t.raw(o), { ...bl }, `raw 0x${o.toString(16)}`);
        const d = t.decode(o);
        for (const decl of t.decls) {
          const v = bl[decl.key];
          assert.equal(d[decl.key], decl.values ? decl.values[v as number] : v, `${decl.key} of 0x${o.toString(16)}`);
        }
        // encode from names and from raw numbers; buffer-layout encodes the raw object to the same octet
        const buf = new Uint8Array(1);
        t.layout.encode(bl, buf, 0);
        assert.equal(buf[0], o);
        assert.equal(t.encode(d), o);
        assert.equal(t.encode(bl), o);
      }
    });
    it(`${t.name}: masks are buffer-layout's`, () => {
      for (const decl of t.decls) assert.equal(t.mask(decl.key), t.layout.fieldFor(decl.key)!.wordMask);
    });
  }

  it('out-of-range and unknown values are input errors naming the field', () => {
    assert.throws(() => SPI1.encode({ counter: 'sometimes' }), (e: unknown) => e instanceof InputError && /SPI octet 1 Counter/.test(e.where.field ?? ''));
    assert.throws(() => KIC_FIELDS.encode({ keyIndex: 16 }), (e: unknown) => e instanceof InputError && /does not fit 4 bit/.test(e.message));
    assert.throws(() => KIC_FIELDS.encode({ mode: 1.5 }), (e: unknown) => e instanceof InputError);
    assert.throws(() => KIC_FIELDS.encode({ mode: -1 }), (e: unknown) => e instanceof InputError);
  });

  it('SPI 16 21 (TS 102 225 cl. 5.1.1 example of a CC, ciphered, counter-checked command with PoR)', () => {
    // 0x16 = 000 10 1 10: counter higher, ciphering, CC; 0x21 = 00 1 0 00 01: PoR required, via SMS-SUBMIT
    const s = spiCodec.decode(Uint8Array.of(0x16, 0x21));
    assert.equal(s.integrity, 'cc');
    assert.equal(s.ciphering, true);
    assert.equal(s.counter, 'higher');
    assert.equal(s.porRequest, 'required');
    assert.equal(s.porIntegrity, 'none');
    assert.equal(s.porVia, 'submit');
    assert.deepEqual([...spiCodec.encode(s)], [0x16, 0x21]);
  });
});
