/**
 * Crypto primitives. Every expected value below comes from the openssl CLI
 * (OpenSSL 3.0.19; single DES via `-provider legacy -provider default`), gzip's
 * CRC-32 trailer, the CRC catalogue, RFC 4493, or the spec digest's worked
 * examples (/work/shared/spec/secured-packet.md section 12, verified against real
 * cards) — the command or source is given next to each.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  aesCmac,
  blockSize,
  checkKey,
  computeCc,
  computeRc,
  crc16x25,
  crc32,
  decrypt,
  desCbcMac,
  desDecrypt,
  desEncrypt,
  encrypt,
  aesEcbEncrypt,
  CRYPTO_BACKENDS,
  clearNativeContexts,
  getCryptoBackend,
  setCryptoBackend,
  type CcAlg,
  type CipherAlg,
} from '../src/crypto/index.js';
import { InputError } from '../src/util/errors.js';
import { fromHex, toHex } from '../src/util/hex.js';

const h = (s: string): Uint8Array => fromHex(s);
const hex = (b: Uint8Array): string => toHex(b);

/** Assert an InputError whose field is `field` and whose message matches `re`. */
function throwsInput(fn: () => unknown, field: string | undefined, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.where.field, field);
    assert.match(e.message, re);
    return true;
  });
}

const P = '00112233445566778899AABBCCDDEEFF0102030405060708090A0B0C0D0E0F10';
const K_DES = '133457799BBCDFF1';
const K_2KEY = '0123456789ABCDEFFEDCBA9876543210';
const K_3KEY = '0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123';
const K_AES128 = '000102030405060708090A0B0C0D0E0F';
const K_AES192 = '000102030405060708090A0B0C0D0E0F1011121314151617';
const K_AES256 = '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F';

interface CipherCase {
  alg: CipherAlg;
  key: string;
  ct: string;
  cmd: string;
}

// P = 00112233445566778899AABBCCDDEEFF0102030405060708090A0B0C0D0E0F10 in every command.
const CIPHER_CASES: CipherCase[] = [
  {
    alg: 'des-cbc',
    key: K_DES,
    cmd: 'printf $P | xxd -r -p | openssl enc -des-cbc -provider legacy -provider default -K 133457799BBCDFF1 -iv 0000000000000000 -nopad | xxd -p -c 64',
    ct: 'b64cb5acdf11937f3cf6f4e927c10032724f0dd16a16d674995a0955866a93e8',
  },
  {
    alg: 'des-ecb',
    key: K_DES,
    cmd: 'printf $P | xxd -r -p | openssl enc -des-ecb -provider legacy -provider default -K 133457799BBCDFF1 -nopad | xxd -p -c 64',
    ct: 'b64cb5acdf11937f902b87a684ba5159118199c3180eeb27d9074fbf178ddf77',
  },
  {
    alg: '3des-2key-cbc',
    key: K_2KEY,
    cmd: 'printf $P | xxd -r -p | openssl enc -des-ede-cbc -K 0123456789ABCDEFFEDCBA9876543210 -iv 0000000000000000 -nopad | xxd -p -c 64',
    ct: '31a7364cac91ca39b72a829449ffee5a057c06a5930e66599abdf4399769c790',
  },
  {
    alg: '3des-3key-cbc',
    key: K_3KEY,
    cmd: 'printf $P | xxd -r -p | openssl enc -des-ede3-cbc -K 0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123 -iv 0000000000000000 -nopad | xxd -p -c 64',
    ct: '109aeac4d79bfadd00d623de611ebb31fda462ff35bb4cb93c6ca6a795d23d8a',
  },
  {
    alg: 'aes-cbc',
    key: K_AES128,
    cmd: 'printf $P | xxd -r -p | openssl enc -aes-128-cbc -K 000102030405060708090A0B0C0D0E0F -iv 00000000000000000000000000000000 -nopad | xxd -p -c 64',
    ct: '69c4e0d86a7b0430d8cdb78070b4c55a2729a04e14fb4eeece7fa3dbe6b5fbcb',
  },
  {
    alg: 'aes-cbc',
    key: K_AES192,
    cmd: 'printf $P | xxd -r -p | openssl enc -aes-192-cbc -K 000102030405060708090A0B0C0D0E0F1011121314151617 -iv 00000000000000000000000000000000 -nopad | xxd -p -c 64',
    ct: 'dda97ca4864cdfe06eaf70a0ec0d7191ea1631d747113299bea255041b4679bc',
  },
  {
    alg: 'aes-cbc',
    key: K_AES256,
    cmd: 'printf $P | xxd -r -p | openssl enc -aes-256-cbc -K 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F -iv 00000000000000000000000000000000 -nopad | xxd -p -c 64',
    ct: '8ea2b7ca516745bfeafc49904b4960891b9c959a33214e26d140d5a4b1c7f44f',
  },
];

// Every case below runs through every backend: auto (built-in, then OpenSSL), OpenSSL (native), node-forge and the built-in ciphers.
for (const backend of CRYPTO_BACKENDS) describe(`${backend} backend`, () => {
before(() => setCryptoBackend(backend));
after(() => setCryptoBackend('native'));

describe('ciphers (openssl enc vectors)', () => {
  for (const c of CIPHER_CASES) {
    it(`${c.alg} with a ${c.key.length / 2}-octet key, both directions`, () => {
      // expected: `${c.cmd}`
      const ct = encrypt(c.alg, h(c.key), h(P));
      assert.ok(ct instanceof Uint8Array);
      assert.equal(hex(ct), c.ct.toUpperCase());
      assert.equal(hex(decrypt(c.alg, h(c.key), h(c.ct))), P);
    });
  }

  it('single DES block, FIPS 46 textbook value', () => {
    // printf 0123456789ABCDEF | xxd -r -p | openssl enc -des-ecb -provider legacy -provider default -K 133457799BBCDFF1 -nopad | xxd -p
    assert.equal(hex(encrypt('des-ecb', h(K_DES), h('0123456789ABCDEF'))), '85E813540F0AB405');
  });

  it('3DES 2-key ECB through desEncrypt', () => {
    // printf $P | xxd -r -p | openssl enc -des-ede -K 0123456789ABCDEFFEDCBA9876543210 -nopad | xxd -p -c 64
    const ct = '31a7364cac91ca39c0489f69bec54fa2a85ceb8cdadff80855d4ed36ca9af7ab';
    assert.equal(hex(desEncrypt(h(K_2KEY), h(P), 'ecb')), ct.toUpperCase());
    assert.equal(hex(desDecrypt(h(K_2KEY), h(ct), 'ecb')), P);
  });

  it('AES-128 ECB (FIPS-197 C.1 for the first block)', () => {
    // printf $P | xxd -r -p | openssl enc -aes-128-ecb -K 000102030405060708090A0B0C0D0E0F -nopad | xxd -p -c 64
    assert.equal(
      hex(aesEcbEncrypt(h(K_AES128), h(P))),
      '69C4E0D86A7B0430D8CDB78070B4C55A0892085605BE8F349F584AF993DF11F8',
    );
  });

  it('inputs given as subarray views are read at their offset', () => {
    const big = h('FFFF' + P + 'FFFF');
    const view = big.subarray(2, 2 + 32);
    // same openssl command as the 3des-2key-cbc case
    assert.equal(hex(encrypt('3des-2key-cbc', h(K_2KEY), view)), '31A7364CAC91CA39B72A829449FFEE5A057C06A5930E66599ABDF4399769C790');
    assert.equal(hex(encrypt('aes-cbc', h(K_AES128), view)), '69C4E0D86A7B0430D8CDB78070B4C55A2729A04E14FB4EEECE7FA3DBE6B5FBCB');
  });

  it('empty input gives empty output', () => {
    for (const c of CIPHER_CASES) {
      assert.equal(encrypt(c.alg, h(c.key), new Uint8Array(0)).length, 0);
      assert.equal(decrypt(c.alg, h(c.key), new Uint8Array(0)).length, 0);
    }
  });

  it('blockSize', () => {
    assert.equal(blockSize('des-cbc'), 8);
    assert.equal(blockSize('des-ecb'), 8);
    assert.equal(blockSize('3des-2key-cbc'), 8);
    assert.equal(blockSize('3des-3key-cbc'), 8);
    assert.equal(blockSize('aes-cbc'), 16);
  });
});

describe('digest worked examples (secured-packet.md section 12)', () => {
  const KIC_121 = h('F09C43EE1A0391665CC9F05AF4E0BD10');
  const KID_121 = h('01981F4A20999F62AF99988007BAF6CA');

  it('12.1 3DES 2-key CC 78CFE8C148CC3556 and ciphertext', () => {
    // 34-octet CC input quoted from 12.1 step 3; the CBC-MAC zero-pads to 40 itself.
    const ccIn = h('0028 15 0619 15 15 B00010 0000000000 06 A0A40000027F20A0C0000016 000000000000');
    assert.equal(ccIn.length, 34);
    // digest 12.1 step 4; openssl: printf 00281506191515B00010000000000006A0A40000027F20A0C0000016000000000000000000000000
    //   | xxd -r -p | openssl enc -des-ede-cbc -K 01981F4A20999F62AF99988007BAF6CA -iv 0000000000000000 -nopad | tail -c 8 | xxd -p  -> 78cfe8c148cc3556
    assert.equal(hex(computeCc('3des-2key-cbc-mac', KID_121, ccIn)), '78CFE8C148CC3556');
    // digest 12.1 step 6; openssl enc -des-ede-cbc -K F09C43EE1A0391665CC9F05AF4E0BD10 -iv 0000000000000000 -nopad gives the same
    const plain = h('0000000000 06 78CFE8C148CC3556 A0A40000027F20A0C0000016 000000000000');
    const ct = 'DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D';
    assert.equal(hex(encrypt('3des-2key-cbc', KIC_121, plain)), ct);
    assert.equal(hex(decrypt('3des-2key-cbc', KIC_121, h(ct))), hex(plain));
  });

  it('12.1 KID key parity variant …99988107… gives the same CC', () => {
    // digest section 4 (parity bits ignored); openssl enc -des-ede-cbc -K 01981F4A20999F62AF99988107BAF6CA ... | tail -c 8 -> 78cfe8c148cc3556
    const ccIn = h('00281506191515B00010000000000006A0A40000027F20A0C0000016000000000000');
    assert.equal(hex(computeCc('3des-2key-cbc-mac', h('01981F4A20999F62AF99988107BAF6CA'), ccIn)), '78CFE8C148CC3556');
  });

  it('12.1 response: decrypt and CC 8FEAF52EF40EC214', () => {
    // digest 12.1; openssl: printf 7DDF…9A39 | xxd -r -p | openssl enc -d -des-ede-cbc -K F09C43EE1A0391665CC9F05AF4E0BD10 -iv 0000000000000000 -nopad | xxd -p -c 64
    const ct = h('7DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39');
    assert.equal(
      hex(decrypt('3des-2key-cbc', KIC_121, ct)),
      '00000000000000' + '8FEAF52EF40EC214' + '029000' + '0000FFFF7F2002000000000009B106350400838A838A',
    );
    // 41-octet CC input from the digest; openssl over it zero-padded to 48 (…838A838A00000000000000), tail -c 8 -> 8feaf52ef40ec214
    const ccIn = h('027100 002C 12 B00010 0000000000 00 00 029000 0000FFFF7F2002000000000009B106350400838A838A');
    assert.equal(ccIn.length, 41);
    assert.equal(hex(computeCc('3des-2key-cbc-mac', KID_121, ccIn)), '8FEAF52EF40EC214');
  });

  it('12.4 unciphered CC 826D5654A08AF149', () => {
    // digest 12.4; openssl: printf 00221502091515B00010000000000100A0A40000027F20A0C000001600000000 | xxd -r -p
    //   | openssl enc -des-ede-cbc -K 01981F4A20999F62AF99988007BAF6CA -iv 0000000000000000 -nopad | tail -c 8 | xxd -p -> 826d5654a08af149
    const ccIn = h('0022 15 0209 15 15 B00010 0000000001 00 A0A40000027F20A0C0000016');
    assert.equal(hex(computeCc('3des-2key-cbc-mac', KID_121, ccIn)), '826D5654A08AF149');
  });

  it('12.2 AES-CMAC CC ECBAB1F8F55502C5 and ciphertext', () => {
    const kid = h('201102030405060708090A0B0C0D0E0F');
    const kic = h('200102030405060708090A0B0C0D0E0F');
    const ccIn = h('0028 15 0619 22 22 B00011 0000000000 0B 00A40004023F00 0000000000000000000000');
    // digest 12.2 and section 6; openssl mac -cipher AES-128-CBC -macopt hexkey:201102030405060708090A0B0C0D0E0F -in <ccIn> CMAC
    //   -> ECBAB1F8F55502C5B8FB0AED9E6FCAE4
    assert.equal(hex(aesCmac(kid, ccIn)), 'ECBAB1F8F55502C5B8FB0AED9E6FCAE4');
    assert.equal(hex(computeCc('aes-cmac', kid, ccIn)), 'ECBAB1F8F55502C5');
    // digest 12.2 packet; openssl enc -aes-128-cbc -K 200102030405060708090A0B0C0D0E0F -iv 0…0 -nopad gives the same
    const plain = h('0000000000 0B ECBAB1F8F55502C5 00A40004023F00 0000000000000000000000');
    const ct = 'E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058';
    assert.equal(hex(encrypt('aes-cbc', kic, plain)), ct);
    assert.equal(hex(decrypt('aes-cbc', kic, h(ct))), hex(plain));
  });

  it('12.2 AES response: decrypt and CMAC 34D237DB461C150B', () => {
    const kid = h('201102030405060708090A0B0C0D0E0F');
    const kic = h('200102030405060708090A0B0C0D0E0F');
    // digest 12.2; openssl enc -d -aes-128-cbc -K 200102030405060708090A0B0C0D0E0F -iv 0…0 -nopad agrees
    const ct = h('EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F');
    assert.equal(hex(decrypt('aes-cbc', kic, ct)), '00000000000E0034D237DB461C150B016132' + '00'.repeat(14));
    // openssl mac -cipher AES-128-CBC -macopt hexkey:201102030405060708090A0B0C0D0E0F -in <33 octets> CMAC -> 34D237DB461C150B56172DCEC06D4049
    const ccIn = h('027100 0024 12 B00011 0000000000 0E 00 016132' + '00'.repeat(14));
    assert.equal(hex(computeCc('aes-cmac', kid, ccIn)), '34D237DB461C150B');
  });

  it('12.3 Gemalto 3DES decrypt and CRC-32 RC', () => {
    // digest 12.3; openssl: printf 4D5C…3203 | xxd -r -p | openssl enc -d -des-ede-cbc -K 263B48DBCBC1C21C0AA13E4D4516C446 -iv 0000000000000000 -nopad
    //   -> 000000007604155d3a1a80ca00e00000c000000000000000
    const ct = h('4D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203');
    assert.equal(
      hex(decrypt('3des-2key-cbc', h('263B48DBCBC1C21C0AA13E4D4516C446'), ct)),
      '000000007604155D3A1A80CA00E00000C000000000000000',
    );
    // digest 12.3: with the 4 padding octets 155D3A1A, without them 0E0D4D66
    assert.equal(hex(computeRc('crc32', h('0020 11 1535 15 15 C00000 0000000076 04 80CA00E00000C0000000 00000000'))), '155D3A1A');
    assert.equal(hex(computeRc('crc32', h('0020 11 1535 15 15 C00000 0000000076 04 80CA00E00000C0000000'))), '0E0D4D66');
    // digest 12.3 response RC
    const resp = h('027100 002C 0E C00000 0000000076 06 00 019000 E012C00401018210C00402018210C00403018210 000000000000');
    assert.equal(hex(computeRc('crc32', resp)), 'A343BCAE');
  });
});

describe('CBC-MAC (ISO 9797-1 alg. 1, padding method 1)', () => {
  // Expected = last 8 octets of openssl enc -nopad over the zero-padded input.
  it('DES, 13 octets zero-padded to 16', () => {
    // printf 0102030405060708090A0B0C0D000000 | xxd -r -p | openssl enc -des-cbc -provider legacy -provider default -K 133457799BBCDFF1 -iv 0000000000000000 -nopad | tail -c 8 | xxd -p
    assert.equal(hex(computeCc('des-cbc-mac', h(K_DES), h('0102030405060708090A0B0C0D'))), '804DFD78C9EF2528');
  });
  it('3DES 2-key, 13 octets', () => {
    // printf 0102030405060708090A0B0C0D000000 | xxd -r -p | openssl enc -des-ede-cbc -K 0123456789ABCDEFFEDCBA9876543210 -iv 0000000000000000 -nopad | tail -c 8 | xxd -p
    assert.equal(hex(computeCc('3des-2key-cbc-mac', h(K_2KEY), h('0102030405060708090A0B0C0D'))), 'DA94577E0B138877');
  });
  it('3DES 3-key, 13 octets', () => {
    // printf 0102030405060708090A0B0C0D000000 | xxd -r -p | openssl enc -des-ede3-cbc -K 0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123 -iv 0000000000000000 -nopad | tail -c 8 | xxd -p
    assert.equal(hex(computeCc('3des-3key-cbc-mac', h(K_3KEY), h('0102030405060708090A0B0C0D'))), '8FC26B74577E1B53');
  });
  it('aligned input gets no extra block', () => {
    // printf 00112233445566778899AABBCCDDEEFF | xxd -r -p | openssl enc -des-ede-cbc -K 0123456789ABCDEFFEDCBA9876543210 -iv 0000000000000000 -nopad | tail -c 8 | xxd -p
    assert.equal(hex(desCbcMac(h(K_2KEY), h('00112233445566778899AABBCCDDEEFF'))), 'B72A829449FFEE5A');
    // (with a spurious extra zero block, same command over …EEFF0000000000000000, it would be F6635B5A9B05B733)
  });
  it('empty input is one zero block', () => {
    // printf 0000000000000000 | xxd -r -p | openssl enc -des-ede-cbc -K 0123456789ABCDEFFEDCBA9876543210 -iv 0000000000000000 -nopad | xxd -p
    assert.equal(hex(computeCc('3des-2key-cbc-mac', h(K_2KEY), new Uint8Array(0))), '08D7B4FB629D0885');
    // printf 0000000000000000 | xxd -r -p | openssl enc -des-cbc -provider legacy -provider default -K 133457799BBCDFF1 -iv 0000000000000000 -nopad | xxd -p
    assert.equal(hex(computeCc('des-cbc-mac', h(K_DES), new Uint8Array(0))), '948A43F98A834F7E');
  });
  it('CC length 4 is the leftmost 4 octets', () => {
    // 12.1 CC 78CFE8C148CC3556 (see above) -> 78CFE8C1
    const ccIn = h('00281506191515B00010000000000006A0A40000027F20A0C0000016000000000000');
    assert.equal(hex(computeCc('3des-2key-cbc-mac', h('01981F4A20999F62AF99988007BAF6CA'), ccIn, 4)), '78CFE8C1');
  });
});

describe('AES-CMAC', () => {
  // RFC 4493 section 4, key 2b7e1516 28aed2a6 abf71588 09cf4f3c; each value also reproduced with
  // openssl mac -cipher AES-128-CBC -macopt hexkey:2b7e151628aed2a6abf7158809cf4f3c -in <msg file> CMAC
  const K = h('2b7e151628aed2a6abf7158809cf4f3c');
  const M64 =
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710';
  const rfc: [number, string][] = [
    [0, 'BB1D6929E95937287FA37D129B756746'], // Example 1
    [16, '070A16B46B4D4144F79BDD9DD04A287C'], // Example 2
    [40, 'DFA66747DE9AE63030CA32611497C827'], // Example 3
    [64, '51F0BEBF7E3B9D92FC49741779363CFE'], // Example 4
  ];
  for (const [n, tag] of rfc) {
    it(`RFC 4493 example, ${n}-octet message`, () => {
      assert.equal(hex(aesCmac(K, h(M64).subarray(0, n))), tag);
    });
  }
  it('AES-192 and AES-256 keys', () => {
    const k192 = h('8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b');
    const k256 = h('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
    const m40 = h(M64).subarray(0, 40);
    // openssl mac -cipher AES-192-CBC -macopt hexkey:8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b -in <empty|40-octet file> CMAC
    assert.equal(hex(aesCmac(k192, new Uint8Array(0))), 'D17DDF46ADAACDE531CAC483DE7A9367');
    assert.equal(hex(aesCmac(k192, m40)), '8A1DE5BE2EB31AAD089A82E6EE908B0E');
    // openssl mac -cipher AES-256-CBC -macopt hexkey:603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4 -in <empty|40-octet file> CMAC
    assert.equal(hex(aesCmac(k256, new Uint8Array(0))), '028962F61B7BF89EFC6B551F4667D983');
    assert.equal(hex(aesCmac(k256, m40)), 'AAF3D8F1DE5640C232F5B169B9C911E6');
    assert.equal(hex(computeCc('aes-cmac', k256, m40)), 'AAF3D8F1DE5640C2');
  });
  it('CC length 4 is the leftmost 4 octets', () => {
    // 12.2 CMAC ECBAB1F8F55502C5… -> ECBAB1F8
    const ccIn = h('0028 15 0619 22 22 B00011 0000000000 0B 00A40004023F00 0000000000000000000000');
    assert.equal(hex(computeCc('aes-cmac', h('201102030405060708090A0B0C0D0E0F'), ccIn, 4)), 'ECBAB1F8');
  });
});

describe('CRC (redundancy check)', () => {
  const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('CRC catalogue check values for "123456789"', () => {
    // reveng CRC catalogue: CRC-16/X-25 check=0x906e, CRC-32/ISO-HDLC check=0xcbf43926
    // (also: printf 123456789 | gzip -c | tail -c 8 | head -c 4 | xxd -p -> 2639f4cb, little-endian)
    assert.equal(hex(crc16x25(ascii('123456789'))), '906E');
    assert.equal(hex(crc32(ascii('123456789'))), 'CBF43926');
  });
  it('TS 102 225 Annex B examples (digest 7.3)', () => {
    // 01 02 03 04 05 -> CRC-16 22 EC, CRC-32 47 0B 99 F4 (gzip trailer: f4990b47)
    assert.equal(hex(computeRc('crc16', h('0102030405'))), '22EC');
    assert.equal(hex(computeRc('crc32', h('0102030405'))), '470B99F4');
  });
  it('CRC-32 over every octet value twice (table coverage)', () => {
    // perl -e 'print pack("C*", map { $_ % 256 } 0..511)' | gzip -c | tail -c 8 | head -c 4 | xxd -p -> 7635611c (little-endian)
    const d = new Uint8Array(512);
    for (let i = 0; i < 512; i++) d[i] = i & 0xff;
    assert.equal(hex(crc32(d)), '1C613576');
  });
  it('empty input', () => {
    // printf '' | gzip -c | tail -c 8 | head -c 4 | xxd -p -> 00000000; CRC-16/X-25: init FFFF ^ xorout FFFF = 0000 (catalogue parameters)
    assert.equal(hex(crc16x25(new Uint8Array(0))), '0000');
    assert.equal(hex(crc32(new Uint8Array(0))), '00000000');
  });
});

describe('input errors', () => {
  it('wrong key lengths', () => {
    const cases: [CipherAlg | CcAlg, number][] = [
      ['des-cbc', 16],
      ['des-ecb', 7],
      ['des-cbc-mac', 24],
      ['3des-2key-cbc', 8],
      ['3des-2key-cbc', 24],
      ['3des-2key-cbc-mac', 15],
      ['3des-3key-cbc', 16],
      ['3des-3key-cbc-mac', 8],
      ['aes-cbc', 8],
      ['aes-cbc', 20],
      ['aes-cmac', 33],
      ['aes-cmac', 0],
    ];
    for (const [alg, n] of cases) {
      const key = new Uint8Array(n).map((_, i) => i * 17 + 1);
      throwsInput(() => checkKey(alg, key, 'KIc key'), 'KIc key', new RegExp(`got ${n}$`));
    }
    throwsInput(() => encrypt('aes-cbc', new Uint8Array(15), new Uint8Array(16)), 'KIc key', /16, 24 or 32 octets, got 15/);
    throwsInput(() => decrypt('3des-2key-cbc', new Uint8Array(24), new Uint8Array(8)), 'KIc key', /16 octets, got 24/);
    throwsInput(() => computeCc('3des-3key-cbc-mac', new Uint8Array(16), new Uint8Array(8)), 'KID key', /24 octets, got 16/);
    throwsInput(() => desEncrypt(new Uint8Array(12), new Uint8Array(8)), 'DES key', /got 12/);
  });

  it('every valid key length passes checkKey', () => {
    for (const c of CIPHER_CASES) checkKey(c.alg, h(c.key), 'KIc key');
    checkKey('des-cbc-mac', h(K_DES), 'KID key');
    checkKey('3des-2key-cbc-mac', h(K_2KEY), 'KID key');
    checkKey('3des-3key-cbc-mac', h(K_3KEY), 'KID key');
    for (const k of [K_AES128, K_AES192, K_AES256]) checkKey('aes-cmac', h(k), 'KID key');
    // K1 = K3 in a 3-key key is 2-key 3DES, not single DES: allowed
    checkKey('3des-3key-cbc', h('0123456789ABCDEF' + 'FEDCBA9876543210' + '0123456789ABCDEF'), 'KIc key');
  });

  it('degenerate 3DES keys (single DES in disguise), parity bits ignored', () => {
    const a = '0123456789ABCDEF';
    const aParity = '0022446688AACCEE'; // differs from a only in each octet's LSB
    const b = 'FEDCBA9876543210';
    throwsInput(() => checkKey('3des-2key-cbc', h(a + a), 'KIc key'), 'KIc key', /K1 = K2/);
    throwsInput(() => checkKey('3des-2key-cbc-mac', h(a + aParity), 'KID key'), 'KID key', /K1 = K2/);
    throwsInput(() => checkKey('3des-3key-cbc', h(a + aParity + b), 'KIc key'), 'KIc key', /K1 = K2/);
    throwsInput(() => checkKey('3des-3key-cbc-mac', h(b + a + aParity), 'KID key'), 'KID key', /K2 = K3/);
    throwsInput(() => encrypt('3des-2key-cbc', h(a + a), h(P)), 'KIc key', /single DES/);
    throwsInput(() => computeCc('3des-2key-cbc-mac', h(b + b), h(P)), 'KID key', /single DES/);
  });

  it('input not a multiple of the block size', () => {
    throwsInput(() => encrypt('des-cbc', h(K_DES), new Uint8Array(7)), 'input', /7 octets is not a multiple of the 8-octet block/);
    throwsInput(() => decrypt('des-ecb', h(K_DES), new Uint8Array(9)), 'input', /not a multiple of the 8-octet block/);
    throwsInput(() => encrypt('3des-2key-cbc', h(K_2KEY), new Uint8Array(12)), 'input', /8-octet block/);
    throwsInput(() => decrypt('3des-3key-cbc', h(K_3KEY), new Uint8Array(1)), 'input', /8-octet block/);
    // a DES multiple is not an AES multiple
    throwsInput(() => encrypt('aes-cbc', h(K_AES128), new Uint8Array(24)), 'input', /24 octets is not a multiple of the 16-octet block/);
    throwsInput(() => decrypt('aes-cbc', h(K_AES256), new Uint8Array(8)), 'input', /16-octet block/);
  });

  it('CC length other than 4 or 8', () => {
    for (const n of [0, 2, 16]) {
      throwsInput(() => computeCc('aes-cmac', h(K_AES128), h(P), n), 'CC length', /must be 4 or 8/);
    }
  });

  it('unknown algorithm names from untyped callers', () => {
    throwsInput(() => encrypt('rot13' as CipherAlg, h(K_DES), h(P)), 'KIc', /unknown ciphering algorithm "rot13"/);
    throwsInput(() => computeCc('xor' as CcAlg, h(K_DES), h(P)), 'KID', /unknown cryptographic checksum algorithm/);
    throwsInput(() => computeRc('crc8' as 'crc16', h(P)), 'KID', /unknown redundancy check/);
    throwsInput(() => checkKey('toString' as CipherAlg, h(K_DES), 'KIc key'), 'KIc key', /unknown algorithm/);
  });
});

describe('long-lived cipher contexts', () => {
  it('consecutive packets on one key each start from a zero IV, interleaved with other keys and directions', () => {
    assert.equal(getCryptoBackend(), backend);
    for (let round = 0; round < 3; round++) {
      for (const c of CIPHER_CASES) {
        // same openssl enc vectors as above: a cached context must not chain from the previous packet
        assert.equal(hex(encrypt(c.alg, h(c.key), h(P))), c.ct.toUpperCase());
        assert.equal(hex(decrypt(c.alg, h(c.key), h(c.ct))), P);
        assert.equal(hex(encrypt(c.alg, h(c.key), h(P).subarray(0, 16))), c.ct.toUpperCase().slice(0, 32));
      }
    }
  });

  it('more keys than the cache holds still give the right values', () => {
    // openssl enc -des-ede-cbc ... vector of the 3des-2key-cbc case, checked between 40 other keys
    for (let i = 0; i < 40; i++) {
      const k = new Uint8Array(16).map((_, j) => (i * 31 + j * 7 + 1) & 0xff);
      encrypt('3des-2key-cbc', k, h(P));
      computeCc('aes-cmac', k, h(P));
      if (i % 10 === 0) assert.equal(hex(encrypt('3des-2key-cbc', h(K_2KEY), h(P))), CIPHER_CASES[2].ct.toUpperCase());
    }
    clearNativeContexts();
    assert.equal(hex(decrypt('3des-2key-cbc', h(K_2KEY), h(CIPHER_CASES[2].ct))), P);
  });

  it('CBC-MAC and CMAC over 40 blocks (past the built-in size under auto), and a MAC is a plain 8 / 16-octet array', () => {
    // Long inputs go to OpenSSL under auto and native; the MAC keeps the last block only (cbcLast).
    // The input: octets 0, 1, …, 255, 0, 1, … (320 octets: 40 DES blocks, 20 AES blocks).
    const m = Uint8Array.from({ length: 320 }, (_, i) => i & 0xff);
    // python3 -c "import sys;sys.stdout.buffer.write(bytes(i&255 for i in range(320)))" | openssl enc -des-ede-cbc -K 0123456789ABCDEFFEDCBA9876543210 -iv 0000000000000000 -nopad | tail -c 8 | xxd -p
    const cc = desCbcMac(h(K_2KEY), m);
    assert.equal(hex(cc), '3776F953FD3BA382');
    assert.equal(Object.getPrototypeOf(cc), Uint8Array.prototype);
    assert.equal(cc.buffer.byteLength, 8);
    // The first 317 octets, zero-padded to 320: python3 -c "…range(317))+bytes(3))" | openssl enc (same options) | tail -c 8 | xxd -p
    assert.equal(hex(desCbcMac(h(K_2KEY), m.subarray(0, 317))), '643F94C7CE26CC63');
    // python3 -c "…range(320)…" > m; openssl mac -cipher AES-128-CBC -macopt hexkey:2b7e151628aed2a6abf7158809cf4f3c -in m CMAC
    const tag = aesCmac(h('2b7e151628aed2a6abf7158809cf4f3c'), m);
    assert.equal(hex(tag), 'F887F9103AC6EFF2D26BC09A0829332F');
    assert.equal(tag.buffer.byteLength, 16);
    // python3 -c "…range(317)…" > m; the same openssl mac command
    assert.equal(hex(aesCmac(h('2b7e151628aed2a6abf7158809cf4f3c'), m.subarray(0, 317))), '53B845C73EE1319D33C640DCA532680A');
  });

  it('results are plain Uint8Arrays the caller may modify without affecting later packets', () => {
    const a = encrypt('aes-cbc', h(K_AES128), h(P));
    assert.equal(Object.getPrototypeOf(a), Uint8Array.prototype);
    a.fill(0);
    assert.equal(hex(encrypt('aes-cbc', h(K_AES128), h(P))), CIPHER_CASES[4].ct.toUpperCase());
  });
});
});

describe('backend selection', () => {
  it('rejects an unknown backend name', () => {
    throwsInput(() => setCryptoBackend('gpu' as 'native'), 'crypto backend', /not a crypto backend/);
    assert.equal(getCryptoBackend(), 'native');
  });
});

describe('built-in ciphers against the openssl CLI on random keys and data', () => {
  // Keys and data from a seeded generator (reproducible); each expected value is computed by `openssl enc` at test time.
  let seed = 20261203;
  const rnd = (n: number) => Uint8Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff);
  const openssl = (cipher: string, key: Uint8Array, iv: string | undefined, data: Uint8Array, d: boolean): string =>
    execFileSync('openssl', ['enc', d ? '-d' : '-e', `-${cipher}`, '-provider', 'legacy', '-provider', 'default', '-K', hex(key), ...(iv ? ['-iv', iv] : []), '-nopad'], { input: data }).toString('hex').toUpperCase();
  const CASES: Array<[CipherAlg, string, number, number]> = [
    ['des-cbc', 'des-cbc', 8, 8], ['des-ecb', 'des-ecb', 8, 8], ['3des-2key-cbc', 'des-ede-cbc', 16, 8], ['3des-3key-cbc', 'des-ede3-cbc', 24, 8],
    ['aes-cbc', 'aes-128-cbc', 16, 16], ['aes-cbc', 'aes-192-cbc', 24, 16], ['aes-cbc', 'aes-256-cbc', 32, 16],
  ];
  before(() => setCryptoBackend('builtin'));
  after(() => setCryptoBackend('native'));
  it('a key buffer changed in place is not served from the round-key cache', () => {
    const key = rnd(16);
    const data = rnd(16);
    for (let i = 0; i < 3; i++) {
      key[i] ^= 0x5a; // the same array, new key
      assert.equal(hex(encrypt('3des-2key-cbc', key, data, { allowWeak: true })), openssl('des-ede-cbc', key, '0'.repeat(16), data, false));
    }
  });
  for (const [alg, cipher, klen, bl] of CASES) {
    it(`${cipher}: 4 random keys, 1 to 4 blocks, both directions`, () => {
      for (let i = 0; i < 4; i++) {
        const key = rnd(klen);
        const data = rnd(bl * (i + 1));
        const iv = alg.endsWith('-cbc') ? '0'.repeat(bl * 2) : undefined;
        const ct = openssl(cipher, key, iv, data, false);
        assert.equal(hex(encrypt(alg, key, data, { allowWeak: true })), ct, `${cipher} encrypt`);
        assert.equal(hex(decrypt(alg, key, h(ct), { allowWeak: true })), hex(data), `${cipher} decrypt`);
      }
    });
  }
});
