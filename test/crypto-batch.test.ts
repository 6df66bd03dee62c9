/**
 * Batched crypto (src/crypto/batch.ts): many packets of different lengths in
 * one call, each checked against the openssl CLI run on that packet alone:
 *   cipher:   openssl enc -<cipher>-cbc -K <key> -iv 0 -nopad   (zero IV per packet)
 *   CBC-MAC:  the last block of the same over the zero-padded message
 *             (TS 102 225 cl. 5.1.3.1: ISO/IEC 9797-1 MAC algorithm 1, padding method 1)
 *   AES-CMAC: openssl mac -cipher AES-<n>-CBC -macopt hexkey:<key> CMAC
 * single DES through `-provider legacy -provider default` (OpenSSL 3).
 *   decipher: openssl enc -d -<cipher>-cbc -K <key> -iv 0 -nopad  (each packet alone)
 * Every backend (auto, native, forge, builtin) runs the same batches.
 * The batched command builder is also compared, packet for packet, with
 * buildCommand (whose octets the golden vectors check against independent values).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchChecksummer, batchDecryptor, batchEncryptor, CRYPTO_BACKENDS, getCryptoBackend, setCryptoBackend, type CcAlg, type CipherAlg } from '../src/crypto/index.js';
import { buildCommand } from '../src/secured/command.js';
import { commandBatchBuilder } from '../src/secured/command-batch.js';
import { spiCodec } from '../src/secured/spi.js';
import { smsDialect } from '../src/smspp/dialect.js';
import { fromHex, toHex } from '../src/util/hex.js';

const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-crypto-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openssl(args: string[], input: Uint8Array): Buffer {
  const f = join(dir, 'in.bin');
  writeFileSync(f, input);
  try {
    return execFileSync('openssl', [args[0], '-in', f, ...args.slice(1)], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`openssl ${args.join(' ')} failed (is the openssl CLI installed?): ${(e as Error).message}`);
  }
}

/** Deterministic test octets (a linear congruential sequence). */
function octets(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Runs of the given lengths placed at odd offsets in one buffer, with junk between them. */
function layout(lens: number[], seed: number): { buf: Uint8Array; off: Int32Array; len: Int32Array } {
  const off = new Int32Array(lens.length);
  const len = Int32Array.from(lens);
  let total = 3;
  for (let k = 0; k < lens.length; k++) {
    off[k] = total;
    total += lens[k] + 1 + (k % 3);
  }
  return { buf: octets(total + 5, seed), off, len };
}

/** The same runs copied to 4-aligned offsets (CbcBatch then XORs 32-bit words instead of octets). */
function aligned(e: { buf: Uint8Array; off: Int32Array; len: Int32Array }): { buf: Uint8Array; off: Int32Array; len: Int32Array } {
  const off = new Int32Array(e.off.length);
  let total = 0;
  for (let k = 0; k < off.length; k++) {
    off[k] = (total + 3) & ~3;
    total = off[k] + e.len[k] + 4;
  }
  const buf = new Uint8Array(total);
  for (let k = 0; k < off.length; k++) buf.set(e.buf.subarray(e.off[k], e.off[k] + e.len[k]), off[k]);
  return { buf, off, len: e.len };
}

interface CipherCase {
  alg: CipherAlg;
  key: string;
  block: number;
  args: string[];
}
const CIPHERS: CipherCase[] = [
  { alg: 'des-cbc', key: '133457799BBCDFF1', block: 8, args: ['enc', '-des-cbc', '-provider', 'legacy', '-provider', 'default'] },
  { alg: '3des-2key-cbc', key: '0123456789ABCDEFFEDCBA9876543210', block: 8, args: ['enc', '-des-ede-cbc'] },
  { alg: '3des-3key-cbc', key: '0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123', block: 8, args: ['enc', '-des-ede3-cbc'] },
  { alg: 'aes-cbc', key: '000102030405060708090A0B0C0D0E0F', block: 16, args: ['enc', '-aes-128-cbc'] },
  { alg: 'aes-cbc', key: '000102030405060708090A0B0C0D0E0F1011121314151617', block: 16, args: ['enc', '-aes-192-cbc'] },
  { alg: 'aes-cbc', key: '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', block: 16, args: ['enc', '-aes-256-cbc'] },
];

/** Block counts of the packets of a batch: unsorted, repeated, a long one among short ones. */
const BLOCKS = [1, 3, 2, 17, 1, 5, 5, 9, 2, 1, 12, 4, 7, 3, 1, 30, 6, 2, 8, 1];
/** Message lengths for the checksums: empty, aligned and not, around block boundaries. */
const MAC_LENS = [0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 47, 48, 49, 100, 129, 3, 64, 250];

// Expected values from the CLI, computed once for both backends.
const expectedCipher = CIPHERS.map((c, ci) => {
  const { buf, off, len } = layout(BLOCKS.map((b) => b * c.block), 11 + ci);
  const want = BLOCKS.map((_, k) => toHex(openssl([...c.args, '-K', c.key, '-iv', '0'.repeat(2 * c.block), '-nopad'], buf.subarray(off[k], off[k] + len[k]))));
  return { buf, off, len, want };
});

// Deciphering (parse --each's fast path): the same packets read as ciphertext, the CLI deciphering each alone.
const expectedDecipher = CIPHERS.map((c, ci) => {
  const lens = BLOCKS.map((b) => b * c.block);
  const ct = octets(lens.reduce((a, b) => a + b, 0), 211 + ci);
  const off = new Int32Array(lens.length);
  for (let k = 1; k < lens.length; k++) off[k] = off[k - 1] + lens[k - 1];
  const len = Int32Array.from(lens);
  const want = BLOCKS.map((_, k) => toHex(openssl([c.args[0], '-d', ...c.args.slice(1), '-K', c.key, '-iv', '0'.repeat(2 * c.block), '-nopad'], ct.subarray(off[k], off[k] + len[k]))));
  return { ct, off, len, want };
});

interface MacCase {
  alg: CcAlg;
  key: string;
  block: number;
  expect: (key: string, msg: Uint8Array) => string;
}
const zeroPadMac = (args: string[]) => (key: string, msg: Uint8Array): string => {
  const n = msg.length === 0 ? 8 : Math.ceil(msg.length / 8) * 8;
  const padded = new Uint8Array(n);
  padded.set(msg);
  const c = openssl([...args, '-K', key, '-iv', '0000000000000000', '-nopad'], padded);
  return toHex(c.subarray(c.length - 8));
};
const cmac = (cipher: string) => (key: string, msg: Uint8Array): string =>
  openssl(['mac', '-cipher', cipher, '-macopt', `hexkey:${key}`, 'CMAC'], msg).toString('latin1').trim().toUpperCase();
const MACS: MacCase[] = [
  { alg: 'des-cbc-mac', key: '133457799BBCDFF1', block: 8, expect: zeroPadMac(['enc', '-des-cbc', '-provider', 'legacy', '-provider', 'default']) },
  { alg: '3des-2key-cbc-mac', key: '0123456789ABCDEFFEDCBA9876543210', block: 8, expect: zeroPadMac(['enc', '-des-ede-cbc']) },
  { alg: '3des-3key-cbc-mac', key: '0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123', block: 8, expect: zeroPadMac(['enc', '-des-ede3-cbc']) },
  { alg: 'aes-cmac', key: '2B7E151628AED2A6ABF7158809CF4F3C', block: 16, expect: cmac('AES-128-CBC') },
  { alg: 'aes-cmac', key: '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', block: 16, expect: cmac('AES-256-CBC') },
];
const expectedMac = MACS.map((m, mi) => {
  const { buf, off, len } = layout(MAC_LENS, 101 + mi);
  const want = MAC_LENS.map((_, k) => m.expect(m.key, buf.subarray(off[k], off[k] + len[k])));
  return { buf, off, len, want };
});

const initial = getCryptoBackend();
after(() => setCryptoBackend(initial));

for (const backend of CRYPTO_BACKENDS) {
  describe(`batched crypto, ${backend} backend, against the openssl CLI`, () => {
    it('zero-IV CBC of 20 packets of 1 to 30 blocks in one call, in place, other octets untouched', () => {
      setCryptoBackend(backend);
      CIPHERS.forEach((c, ci) => {
        const e = expectedCipher[ci];
        const buf = Uint8Array.from(e.buf);
        const enc = batchEncryptor(c.alg, fromHex(c.key));
        enc.encrypt(buf, e.off, e.len, BLOCKS.length);
        const outside = Uint8Array.from(e.buf);
        BLOCKS.forEach((_, k) => {
          assert.equal(toHex(buf.subarray(e.off[k], e.off[k] + e.len[k])), e.want[k], `${c.args[1]} packet ${k}`);
          outside.set(buf.subarray(e.off[k], e.off[k] + e.len[k]), e.off[k]);
        });
        assert.deepEqual(buf, outside, `${c.args[1]}: octets between packets`);
        // The same object again (a long-lived ECB context): same answers.
        const again = Uint8Array.from(e.buf);
        enc.encrypt(again, e.off, e.len, BLOCKS.length);
        assert.deepEqual(again, buf, `${c.args[1]}: second batch`);
        // A prefix of the batch (fewer packets than the scratch holds).
        const part = Uint8Array.from(e.buf);
        enc.encrypt(part, e.off, e.len, 4);
        for (let k = 0; k < 4; k++) assert.equal(toHex(part.subarray(e.off[k], e.off[k] + e.len[k])), e.want[k]);
        // 4-aligned runs (the word path).
        const a = aligned(e);
        enc.encrypt(a.buf, a.off, a.len, BLOCKS.length);
        BLOCKS.forEach((_, k) => assert.equal(toHex(a.buf.subarray(a.off[k], a.off[k] + a.len[k])), e.want[k], `${c.args[1]} aligned packet ${k}`));
      });
    });

    it('zero-IV CBC deciphering of 20 packets of 1 to 30 blocks in one ECB call (forge has none)', () => {
      setCryptoBackend(backend);
      CIPHERS.forEach((c, ci) => {
        const e = expectedDecipher[ci];
        const dec = batchDecryptor(c.alg, fromHex(c.key))!;
        const pt = dec.decrypt(e.ct, e.ct.length, e.off, e.len, BLOCKS.length);
        if (backend === 'forge') {
          assert.equal(pt, undefined, 'forge: no long-lived decipher, callers go packet by packet');
          return;
        }
        BLOCKS.forEach((_, k) => assert.equal(toHex(pt!.subarray(e.off[k], e.off[k] + e.len[k])), e.want[k], `${c.args[1]} -d packet ${k}`));
        // The same object again (long-lived decipher): same answers.
        const again = dec.decrypt(e.ct, e.ct.length, e.off, e.len, BLOCKS.length)!;
        assert.deepEqual(again, pt);
      });
    });

    it('CBC-MAC and AES-CMAC of 20 messages of 0 to 250 octets in one call', () => {
      setCryptoBackend(backend);
      MACS.forEach((m, mi) => {
        const e = expectedMac[mi];
        const mac = batchChecksummer(m.alg, fromHex(m.key));
        const n = MAC_LENS.length;
        const out = new Uint8Array(n * 16 + 7);
        const outOff = Int32Array.from({ length: n }, (_, k) => 7 + k * 16);
        mac.mac(e.buf, e.off, e.len, n, out, outOff, m.block);
        MAC_LENS.forEach((l, k) => assert.equal(toHex(out.subarray(outOff[k], outOff[k] + m.block)), e.want[k], `${m.alg} ${m.key.length * 4}-bit key, ${l} octets`));
        // Truncated (TS 102 225: the leftmost 8 or 4 octets of the CC).
        const short = new Uint8Array(n * 4);
        mac.mac(e.buf, e.off, e.len, n, short, Int32Array.from({ length: n }, (_, k) => 4 * k), 4);
        MAC_LENS.forEach((_, k) => assert.equal(toHex(short.subarray(4 * k, 4 * k + 4)), e.want[k].slice(0, 8)));
        // 4-aligned runs (the word path).
        const a = aligned(e);
        mac.mac(a.buf, a.off, a.len, n, out, outOff, m.block);
        MAC_LENS.forEach((l, k) => assert.equal(toHex(out.subarray(outOff[k], outOff[k] + m.block)), e.want[k], `${m.alg} aligned, ${l} octets`));
      });
    });

    it('a batch of commands equals buildCommand packet for packet (3DES and AES; CC, RC, none; ciphered or not)', () => {
      setCryptoBackend(backend);
      const cases: Array<[string, number, string, string]> = [
        ['1621', 0x15, '0123456789ABCDEFFEDCBA9876543210', '89ABCDEF0123456776543210FEDCBA98'],
        ['1621', 0x22, '000102030405060708090A0B0C0D0E0F', '101112131415161718191A1B1C1D1E1F'],
        ['1221', 0x22, '000102030405060708090A0B0C0D0E0F', '101112131415161718191A1B1C1D1E1F'],
        ['0500', 0x15, '0123456789ABCDEFFEDCBA9876543210', '89ABCDEF0123456776543210FEDCBA98'],
        ['0000', 0x15, '0123456789ABCDEFFEDCBA9876543210', '89ABCDEF0123456776543210FEDCBA98'],
      ];
      const lens = [0, 1, 7, 8, 9, 15, 16, 17, 23, 100, 250, 3, 1000, 2];
      const din = octets(lens.reduce((a, b) => a + b, 0), 7);
      const doff = new Int32Array(lens.length);
      for (let k = 1; k < lens.length; k++) doff[k] = doff[k - 1] + lens[k - 1];
      const ctr = Float64Array.from(lens, (_, k) => 2 ** 40 - 1 - k * 77777);
      for (const [spiHex, code, kic, kid] of cases) {
        const spi = spiCodec.decode(fromHex(spiHex));
        const kid0 = spiHex === '0500' ? 0x01 : code; // RC: CRC-16
        const input = { spi, kic: code, kid: kid0, tar: fromHex('B00010') };
        const keys = { kicKey: fromHex(kic), kidKey: fromHex(kid) };
        const build = commandBatchBuilder(smsDialect, input, keys);
        const r = build(din, doff, Int32Array.from(lens), ctr, lens.length);
        lens.forEach((l, k) => {
          const one = buildCommand(smsDialect, { ...input, data: din.subarray(doff[k], doff[k] + l), counter: BigInt(ctr[k]) }, keys);
          assert.equal(r.error[k], undefined);
          assert.equal(toHex(r.out.subarray(r.off[k], r.off[k] + r.len[k])), toHex(one.bytes), `SPI ${spiHex} KIc/KID ${code.toString(16)}, ${l} octets`);
        });
      }
    });
  });
}
