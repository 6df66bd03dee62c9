/**
 * Card-side simulator (`card init`, `card process`). Expected PoR bytes come
 * from real cards: the digest's worked examples (secured-packet.md §12.1
 * SJA2, §12.2 SJA5 AES, §12.3 + sms-pp.md §8.2 Gemalto, §12.5 eUICC) and the
 * real sysmoISIM-SJA5 3DES exchanges in pySim's tests/unittests/test_ota.py
 * (datasets 3DES-SJA5-*). PoRs of constructed cases are checked with the
 * openssl CLI at test time (decryption and CBC-MAC) or against the fixed
 * layout of an unsecured error PoR (digest §11), and parsed back with
 * parseResponse as an extra.
 *
 * CLI tests run the installed command, bin/uicc-ota.js, as a user would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex, concat } from '../src/util/hex.js';
import { InputError } from '../src/util/errors.js';
import { smsDialect } from '../src/smspp/dialect.js';
import { cattpDialect } from '../src/cattp/dialect.js';
import { buildCommand } from '../src/secured/command.js';
import { parseResponse } from '../src/secured/response.js';
import { spiCodec } from '../src/secured/spi.js';
import { CNTR_MAX } from '../src/secured/common.js';
import { decodeResponse } from '../src/remote/index.js';
import { exampleCard, validateCard, type Card } from '../src/card/card.js';
import { processPacket, type ProcessResult } from '../src/card/simulator.js';
import { peel } from '../src/layers/peel.js';
import { encodePdu } from '../src/cattp/pdu.js';

const THIS = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(THIS), '../..');
const h = (s: string) => fromHex(s);

registerTests();

// ------------------------------------------------------------------ helpers

const SJA2 = { kic: 'F09C43EE1A0391665CC9F05AF4E0BD10', kid: '01981F4A20999F62AF99988007BAF6CA' };
const SJA5_AES = { kic: '200102030405060708090A0B0C0D0E0F', kid: '201102030405060708090A0B0C0D0E0F' };
const ZERO_IV8 = '0000000000000000';

type Raw = Record<string, unknown>;

function baseCard(apps: Raw[], options: Raw = {}, keysets?: Raw[]): Raw {
  return {
    keysets: keysets ?? [
      { kvn: 1, kic: { algorithm: '3des-2key-cbc', key: SJA2.kic }, kid: { algorithm: '3des-2key-cbc-mac', key: SJA2.kid } },
      { kvn: 2, kic: { algorithm: 'aes-cbc', key: SJA5_AES.kic }, kid: { algorithm: 'aes-cmac', key: SJA5_AES.kid } },
    ],
    applications: apps,
    options,
  };
}

const card = (raw: Raw): Card => validateCard(raw, 'test CARD.json');

function sjaApp(over: Raw = {}): Raw {
  return {
    tar: 'B00010', msl: '00', format: 'compact', counter: '5',
    swByApdu: { A0A40000027F20: { sw: '9F16' }, A0C0000016: { sw: '9000', data: '0000FFFF7F2002000000000009B106350400838A838A' } },
    ...over,
  };
}

/** A command packet built with our builder (input only; what is checked is the card's answer). */
function cmd(spi: string, counter: bigint, o: { kic?: number; kid?: number; tar?: string; data?: string; keys?: { kic: string; kid: string } } = {}): Uint8Array {
  const keys = o.keys ?? SJA2;
  return buildCommand(smsDialect, {
    spi: spiCodec.decode(h(spi)), kic: o.kic ?? 0x15, kid: o.kid ?? 0x15, tar: h(o.tar ?? 'B00010'), counter,
    data: h(o.data ?? 'A0A40000027F20A0C0000016'),
  }, { kicKey: h(keys.kic), kidKey: h(keys.kid) }).bytes;
}

function run(c: Card, packet: Uint8Array): ProcessResult {
  return processPacket(c, packet, smsDialect);
}

function openssl(args: string[], input: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(execFileSync('openssl', args, { input: Buffer.from(input), stdio: ['pipe', 'pipe', 'pipe'] }));
  } catch (e) {
    assert.fail(`openssl ${args.join(' ')} failed (is the openssl CLI installed?): ${(e as Error).message}`);
  }
}
/** openssl enc -d -des-ede-cbc -K key -iv 0 -nopad */
const des3Decrypt = (key: string, data: Uint8Array) => openssl(['enc', '-d', '-des-ede-cbc', '-K', key, '-iv', ZERO_IV8, '-nopad'], data);
const des3Encrypt = (key: string, data: Uint8Array) => openssl(['enc', '-des-ede-cbc', '-K', key, '-iv', ZERO_IV8, '-nopad'], data);
/** 3DES CBC-MAC (digest §7.2): zero-pad to 8, openssl enc -des-ede-cbc, last block. */
function des3Mac(key: string, data: Uint8Array): Uint8Array {
  const padded = concat(data, new Uint8Array((8 - (data.length % 8)) % 8));
  return des3Encrypt(key, padded).slice(-8);
}

/**
 * Independent check of a ciphered 3DES PoR with CC: decrypt after the TAR
 * with openssl, recompute the CC over [02 71 00] ‖ [RPI] RPL ‖ RHL ‖ TAR ‖
 * plaintext without the CC (digest §8.3; SMS-PP includes the UDH, CAT_TP
 * the RPI). Returns the plaintext fields.
 */
function checkDes3Por(por: Uint8Array, keys: { kic: string; kid: string }, dialect: 'sms' | 'cattp' = 'sms') {
  let rhlAt: number;
  if (dialect === 'sms') {
    assert.equal(toHex(por.subarray(0, 3)), '027100');
    assert.equal((por[3] << 8) | por[4], por.length - 5, 'RPL');
    rhlAt = 5;
  } else {
    assert.equal(por[0], 0x02, 'RPI');
    assert.ok(por[1] < 0x80, 'one-octet BER RPL');
    assert.equal(por[1], por.length - 2, 'RPL');
    rhlAt = 2;
  }
  assert.equal(por[rhlAt], 0x12, 'RHL 12 = 10 + 8-octet CC');
  const tarEnd = rhlAt + 4;
  const plain = des3Decrypt(keys.kic, por.subarray(tarEnd));
  const cc = plain.subarray(7, 15);
  const macInput = concat(por.subarray(0, tarEnd), plain.subarray(0, 7), plain.subarray(15));
  assert.equal(toHex(des3Mac(keys.kid, macInput)), toHex(cc), 'PoR CC (openssl CBC-MAC)');
  const pcntr = plain[5];
  return { counter: toHex(plain.subarray(0, 5)), pcntr, status: plain[6], data: plain.subarray(15, plain.length - pcntr) };
}

/** Unsecured error PoR, digest §11: 02 71 00 | RPL 000B | RHL 0A | TAR | CNTR | PCNTR 00 | status. */
const unsecuredPor = (tar: string, status: string, cntr = '0000000000') => `027100000B0A${tar}${cntr}00${status}`;

/** Extra: parse a PoR back with our own parser and require a verified checksum when it has one. */
function parseBack(r: ProcessResult, keys: { kic: string; kid: string }) {
  assert.ok(r.porPacket, 'PoR expected');
  const p = parseResponse(smsDialect, r.porPacket!, { kicKey: h(keys.kic), kidKey: h(keys.kid) }, {
    integrity: r.porSecured ? r.spi.porIntegrity : 'none', ciphered: r.porSecured ? r.spi.porCiphered : false, kic: r.kic, kid: r.kid,
  });
  assert.deepEqual(p.failures, []);
  if (p.checksum.type !== 'none') assert.equal(p.checksum.verified, true);
  assert.equal(p.status, r.status);
  assert.equal(toHex(p.tar), toHex(r.tar));
  return p;
}

// ------------------------------------------------------------------ CLI helpers

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin?: string, timeoutMs = 30_000): Promise<Ran> {
  return new Promise((res, rej) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.NODE_TEST_CONTEXT;
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'uicc-ota.js'), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', rej);
    p.on('close', (code) => {
      clearTimeout(t);
      res({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(stdin ?? '');
  });
}

const tmp = () => mkdtempSync(join(tmpdir(), 'uicc-ota-card-'));

// §12.1 (real SJA2): command packet and the card's PoR user data.
const S121_CMD = '002815061915 15B00010DA1D6CBBD0D11CE4330D844C7408340943E843F67A6D7B0674730881605FD62D'.replace(/ /g, '');
const S121_POR = '027100002C12B000107DDF58D1780F771638B3975759F4296CF5C31EFC87A16A1B61921426BAA16DA1B5BA1A9951D59A39';

function registerTests(): void {
  // ---------------------------------------------------------------- CARD.json

  test('card init example: valid, and its keys are those of vectors/keysets/test.json', () => {
    const ex = exampleCard();
    const c = card(ex);
    assert.deepEqual(c.applications.map((a) => [a.tarHex, a.format, a.msl]), [['B00010', 'compact', 0x06], ['B00011', 'compact', 0x06], ['B00000', 'auto', 0x06], ['000000', 'auto', 0x06]]);
    const ks = JSON.parse(readFileSync(join(ROOT, 'vectors/keysets/test.json'), 'utf8')) as { keysets: Raw[] };
    assert.deepEqual(ex.keysets, ks.keysets);
  });

  test('CARD.json validation names the field (InputError, exit 2)', () => {
    const bad: Array<[Raw, RegExp]> = [
      [baseCard([sjaApp({ msl: '6' })]), /applications\[0\]\.msl: odd number of hex digits/],
      [baseCard([sjaApp({ msl: '26' })]), /applications\[0\]\.msl: bits b8–b6 are reserved/],
      [baseCard([sjaApp({ tar: 'B0001' })]), /applications\[0\]\.tar/],
      [baseCard([sjaApp(), sjaApp()]), /applications\[1\]\.tar: TAR B00010 is already used by applications\[0\]/],
      [baseCard([sjaApp({ counter: '-1' })]), /applications\[0\]\.counter: must be an integer/],
      [baseCard([sjaApp({ counter: '1099511627776' })]), /applications\[0\]\.counter: .*2\^40−1/],
      [baseCard([sjaApp({ format: 'compressed' })]), /applications\[0\]\.format: must be one of "compact", "expanded", "auto"/],
      [baseCard([sjaApp({ swByApdu: { A0A4: { sw: '900' } } })]), /applications\[0\]\.swByApdu\["A0A4"\]\.sw/],
      [baseCard([sjaApp({ swByApdu: { A0A4: { sw: '9000', dta: '00' } } })]), /applications\[0\]\.swByApdu\["A0A4"\]\.dta: unknown field/],
      [baseCard([sjaApp({ kvns: [3] })]), /applications\[0\]\.kvns\[0\]: no key set with KVN 3/],
      [baseCard([sjaApp({ defaultsw: '9000' })]), /applications\[0\]\.defaultsw: unknown field/],
      [baseCard([sjaApp()], { kvnMismatch: 'maybe' }), /options\.kvnMismatch: must be one of "reject", "accept"/],
      [baseCard([sjaApp()], { unsecuredErrorStatuses: '06' }), /options\.unsecuredErrorStatuses/],
      [baseCard([sjaApp()], {}, [{ kvn: 1, kic: { algorithm: '3des-2key-cbc', key: '0011' } }]), /keysets\[0\]\.kic\.key: .*16 octets/],
      [baseCard([sjaApp()], {}, [{ kvn: 1, kic: { algorithm: 'rot13', key: '00' } }]), /keysets\[0\]\.kic\.algorithm/],
      [{ applications: 'none' }, /applications: must be a list/],
    ];
    for (const [raw, re] of bad) {
      assert.throws(() => card(raw), (e: unknown) => {
        assert.ok(e instanceof InputError, String(e));
        assert.equal(e.exitCode, 2);
        assert.match(e.message, /^card file test CARD\.json /);
        assert.match(e.message, re);
        return true;
      });
    }
    // comments are allowed
    card({ ...baseCard([{ ...sjaApp(), comment: 'x', _note: 1 }]), '// about': 'y' });
  });

  // ---------------------------------------------------------------- real cards

  test('§12.1 real SJA2 (3DES, SPI 0619): the simulator answers with exactly the card\'s PoR', () => {
    const c = card(exampleCard());
    const r = run(c, h(S121_CMD));
    assert.equal(r.status, 0);
    // secured-packet.md §12.1, "Response user data received from the card"
    assert.equal(toHex(r.por!), S121_POR);
    assert.equal(r.porSecured, true);
    assert.deepEqual(r.executed.map((x) => [toHex(x.apdu), x.sw.toString(16)]), [['A0A40000027F20', '9f16'], ['A0C0000016', '9000']]);
    assert.equal(r.counterUpdate, undefined, 'SPI1 counter mode 00: nothing stored');
    const p = parseBack(r, SJA2);
    assert.equal(toHex(p.data!), '0290000000FFFF7F2002000000000009B106350400838A838A');
  });

  test('§12.2 real SJA5 (AES-128, SPI 0619, KVN 2): exact PoR', () => {
    const r = run(card(exampleCard()), h('00281506192222B00011E87CCEEBB2D93083011CE294F93FC4D8DE80DA1ABAE8C37CA3E72EC4432E5058'));
    // secured-packet.md §12.2 "Response"
    assert.equal(toHex(r.por!), '027100002412B00011EBC6B497E2CAD7AEDF36ACE0E3A29B38853F0FE9CCDE81913BE5702B73ABCE1F');
    assert.equal(toHex(parseBack(r, SJA5_AES).data!), '016132');
  });

  test('real SJA5 3DES exchanges (pySim test_ota.py 3DES-SJA5-*): exact PoRs for SPI 0619 / 0609 / 0601', () => {
    const K = { kic: '300102030405060708090A0B0C0D0E0F', kid: '301102030405060708090A0B0C0D0E0F' };
    const c = card(baseCard([{ tar: 'B00011', msl: '06', swByApdu: { '00A40004023F00': '6132' } }], {}, [
      { kvn: 3, kic: { algorithm: '3des-2key-cbc', key: K.kic }, kid: { algorithm: '3des-2key-cbc-mac', key: K.kid } },
    ]));
    // pySim tests/unittests/test_ota.py, SmsOtaTestCase.testdatasets: encoded_cmd → encoded_resp (real card)
    const cases = [
      ['00201506193535B00011AE733256918D050B87C94FBFE12E4DC402F262C41CF67F2F', '027100001C12B000118BB989492C632529326A2F4681FEB37C825BC9021C9F6D0B'],
      ['00201506093535B00011C49AC91AB8159BA5B83A54FB6385E0A5E31694F8B215FAFC', '027100001612B0001100000000000000B5BCD6353A421FAE016132'],
      ['00201506013535B000113190BE334900F52B025F3F7EDDFE868E96EBF310023B7769', '027100000E0AB0001100000000000000016132'],
    ];
    for (const [c1, por] of cases) {
      const r = run(c, h(c1));
      assert.equal(toHex(r.por!), por, c1);
      parseBack(r, K);
    }
  });

  test('§12.3 real Gemalto (CRC-32 + 3DES, SPI 1535, PoR via SMS-SUBMIT): exact PoR, counter stored', () => {
    const c = card(baseCard([{
      tar: 'C00000', msl: '15', counter: '117',
      // GET DATA answers 61 14 and the GET RESPONSE fetches the 20 octets (remote-apdu.md §3 Gemalto row)
      swByApdu: { '80CA00E000': '6114', '00C0000000': { sw: '9000', data: 'E012C00401018210C00402018210C00403018210' } },
    }], { countGetResponse: false }, [{ kvn: 1, kic: { algorithm: '3des-2key-cbc', key: '263B48DBCBC1C21C0AA13E4D4516C446' } }]));
    const r = run(c, h('002011153515 15C000004D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203'.replace(/ /g, '')));
    assert.equal(r.status, 0);
    assert.equal(r.porVia, 'submit');
    // sms-pp.md §8.2: the SMS-SUBMIT user data (02 71 00 | 00 2C 0E C0 00 00 | 40 ciphered octets)
    assert.equal(toHex(r.por!), '027100002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695');
    assert.equal(r.counterUpdate, 0x76n);
    // secured-packet.md §12.3 plaintext, via openssl enc -d -des-ede-cbc -K 263B…C446 -iv 0 -nopad
    assert.equal(toHex(des3Decrypt('263B48DBCBC1C21C0AA13E4D4516C446', r.por!.subarray(9))),
      '000000007606' + '00' + 'A343BCAE' + '019000E012C00401018210C00402018210C00403018210' + '000000000000');
  });

  test('§12.5 real eUICC (AES, expanded format, TAR B00000): success PoR and MSL rejection 0A', () => {
    const K = { kic: '207C5D2C1AA80D58CD8F542FB9EF2F80', kid: '312367F1681902FD67D9A71C62A840E3' };
    const raw = baseCard([{ tar: 'B00000', msl: '06', format: 'expanded', counter: '1', defaultSw: '6D00' }], {}, [
      { kvn: 1, kic: { algorithm: 'aes-cbc', key: K.kic }, kid: { algorithm: 'aes-cmac', key: K.kid } },
    ]);
    const r = run(card(raw), h('00281516091212B00000DD103B36C3BFBE9AA58BCE50D15DE123EE350BB19951DE24FD879A26FF252234'));
    // §12.5: 027100 001C 12 B00000 0000000002 00 00 7DB7086951F7DB55 AB0780010123026D00
    assert.equal(toHex(r.por!), '027100' + '001C' + '12' + 'B00000' + '0000000002' + '00' + '00' + '7DB7086951F7DB55' + 'AB0780010123026D00');
    assert.equal(r.counterUpdate, 2n);
    // The SPI 0201 command of §12.5 (CC only) with the same script; only its header matters for the MSL check.
    const c0201 = cmd('0201', 1n, { kic: 0x12, kid: 0x12, tar: 'B00000', data: 'AA0A220880F28000024F0000', keys: K });
    assert.equal(toHex(c0201.subarray(0, 10)), '00221502011212B00000', 'digest: "0022 15 0201 12 12 B00000 …"');
    const r2 = run(card(raw), c0201);
    assert.equal(r2.status, 0x0a);
    // §12.5: 027100 000B 0A B00000 0000000000 00 0A
    assert.equal(toHex(r2.por!), '027100000B0AB00000000000000000' + '0A');
    assert.equal(r2.counterUpdate, undefined);
  });

  test('§12.1 counter mode (SPI 1619, CNTR 0x64) from SMS user data; the replay is rejected and nothing stored', () => {
    const ud = h('02700000281516191515B000103A4F599E94F2B5DCFBBDA984761B7977DF6514C57A580FB4844787C436D2EADE');
    const pkt = peel([ud], 'auto').packet;
    const r = run(card(baseCard([sjaApp({ counter: '99' })])), pkt);
    assert.equal(r.status, 0);
    assert.equal(r.counterUpdate, 100n);
    // digest: "response decrypts to CNTR 0000000064, status 00"
    const f = checkDes3Por(r.por!, SJA2);
    assert.equal(f.counter, '0000000064');
    assert.equal(f.status, 0);
    // Replay against the stored 100: spec status 02, PoR secured as SPI2 19 asks; CNTR 0 as the SJA2 sent.
    const rr = run(card(baseCard([sjaApp({ counter: '100' })])), pkt);
    assert.equal(rr.status, 0x02);
    assert.equal(rr.counterUpdate, undefined);
    const g = checkDes3Por(rr.por!, SJA2);
    assert.deepEqual([g.counter, g.status, g.data.length], ['0000000000', 0x02, 0]);
    // The real SJA2 answered the replay with 06, unsecured: §12.1 "027100 000B 0A B00010 0000000000 00 06".
    const sja = run(card(baseCard([sjaApp({ counter: '100' })], { counterLowStatus: '06' })), pkt);
    assert.equal(toHex(sja.por!), '027100000B0AB00010000000000000' + '06');
    assert.equal(sja.porSecured, false);
  });

  // ---------------------------------------------------------------- status codes

  test('counter modes: 00 accepted / 02 low / 03 high / 04 blocked; stored only after success', () => {
    const c5 = card(baseCard([sjaApp({ counter: '5' })]));
    // one higher (SPI1 1E = CC + ciphering + counter 11)
    assert.deepEqual([run(c5, cmd('1E09', 6n)).status, run(c5, cmd('1E09', 6n)).counterUpdate], [0x00, 6n]);
    assert.equal(run(c5, cmd('1E09', 5n)).status, 0x02);
    assert.equal(run(c5, cmd('1E09', 4n)).status, 0x02);
    assert.equal(run(c5, cmd('1E09', 7n)).status, 0x03);
    assert.equal(run(c5, cmd('1E09', 7n)).counterUpdate, undefined);
    // higher (SPI1 16)
    assert.deepEqual([run(c5, cmd('1609', 1000n)).status, run(c5, cmd('1609', 1000n)).counterUpdate], [0x00, 1000n]);
    assert.equal(run(c5, cmd('1609', 5n)).status, 0x02);
    // no counter (06) and counter available without check (0E): anything goes, nothing stored
    for (const s of ['0609', '0E09']) {
      const r = run(c5, cmd(s, 1n));
      assert.deepEqual([r.status, r.counterUpdate], [0x00, undefined], s);
    }
    // onomondo's reading of mode 01 as an option
    assert.equal(run(card(baseCard([sjaApp()], { storeCounterWhenNoCheck: true })), cmd('0E09', 9n)).counterUpdate, 9n);
    // blocked at 2^40−1, whatever the CNTR
    const cMax = card(baseCard([sjaApp({ counter: CNTR_MAX.toString() })]));
    assert.equal(run(cMax, cmd('1609', 1n)).status, 0x04);
    assert.equal(run(cMax, cmd('1E09', 0n)).status, 0x04);
    // the last value can still be used once (then the counter is blocked)
    const r = run(card(baseCard([sjaApp({ counter: (CNTR_MAX - 1n).toString() })])), cmd('1E09', CNTR_MAX));
    assert.deepEqual([r.status, r.counterUpdate], [0x00, CNTR_MAX]);
    // error PoRs: secured as SPI2 09 asks (CC, not ciphered), CNTR zero; the CC checked with openssl
    const low = run(c5, cmd('1E09', 5n));
    const por = low.por!;
    // RPL 0013 = 1 + RHL 12 (10 + 8-octet CC)
    assert.equal(toHex(por.subarray(0, 9)), '027100001312B00010');
    assert.equal(toHex(por.subarray(9, 16)), '00000000000002');
    assert.equal(toHex(des3Mac(SJA2.kid, concat(por.subarray(0, 16), por.subarray(24)))), toHex(por.subarray(16, 24)));
    // ... or echoing the command's CNTR when configured
    const echo = run(card(baseCard([sjaApp()], { errorPorCounter: 'echo' })), cmd('1E09', 5n));
    assert.equal(toHex(echo.por!.subarray(9, 14)), '0000000005');
    parseBack(echo, SJA2);
  });

  test('01: RC/CC failure (digest §12.4 packet with one CC bit flipped); PoR or none by option; nothing stored', () => {
    // secured-packet.md §12.4: SPI 0209, CNTR 1, unciphered, CC 826D5654A08AF149
    const good = '00221502091515B00010000000000100826D5654A08AF149A0A40000027F20A0C0000016';
    const bad = good.replace('826D5654A08AF149', '826D5654A08AF148');
    const c = card(baseCard([sjaApp({ counter: '0' })]));
    assert.equal(run(c, h(good)).status, 0x00);
    const r = run(c, h(bad));
    assert.equal(r.status, 0x01);
    assert.equal(r.counterUpdate, undefined);
    // SPI2 09: PoR with CC, not ciphered: 02 71 00 | RPL 0013 | RHL 12 | TAR | CNTR 0 | PCNTR 00 | status 01 | CC
    const por = r.por!;
    assert.equal(toHex(por.subarray(0, 16)), '027100001312B00010' + '0000000000' + '00' + '01');
    assert.equal(toHex(des3Mac(SJA2.kid, por.subarray(0, 16))), toHex(por.subarray(16, 24)), 'PoR CC by openssl');
    assert.equal(por.length, 24);
    const none = run(card(baseCard([sjaApp()], { porOnAuthFailure: false })), h(bad));
    assert.deepEqual([none.status, none.por], [0x01, undefined]);
  });

  test('05: ciphering error (ciphertext not whole blocks; PCNTR impossible)', () => {
    const c = card(baseCard([sjaApp()]));
    // drop 3 ciphered octets and fix CPL: 37 = 0x25
    const cut = h(S121_CMD).slice(0, -3);
    cut[1] = cut.length - 2;
    const r = run(c, cut);
    assert.equal(r.status, 0x05);
    // PCNTR 0x20 in a 32-octet plaintext, enciphered with openssl enc -des-ede-cbc -K F09C…BD10 -iv 0 -nopad
    const plain = h('0000000001' + '20' + '0000000000000000' + 'A0A40000027F20A0C0000016' + '000000000000');
    const pkt = concat(h('00281506191515B00010'), des3Encrypt(SJA2.kic, plain));
    const r2 = run(c, pkt);
    assert.equal(r2.status, 0x05);
    assert.match(r2.trace.join('\n'), /PCNTR 32 is impossible/);
    // 05 is not in unsecuredErrorStatuses: the PoR is secured as SPI2 19 asks
    assert.equal(checkDes3Por(r2.por!, SJA2).status, 0x05);
  });

  test('06: unidentified security error, PoR unciphered without CC (digest §11)', () => {
    const c = card(baseCard([sjaApp({ kvns: [1, 2] })]));
    const expect06 = (pkt: Uint8Array, why: RegExp, cc = card(baseCard([sjaApp()]))) => {
      const r = run(cc, pkt);
      assert.equal(r.status, 0x06, r.trace.join('\n'));
      assert.match(r.trace.join('\n'), why);
      assert.equal(toHex(r.por!), unsecuredPor('B00010', '06'));
      assert.equal(r.porSecured, false);
      assert.equal(r.counterUpdate, undefined);
    };
    // no key set KVN 3
    expect06(cmd('0619', 0n, { kic: 0x35, kid: 0x35 }), /no KIc key with KVN 3/);
    // KIc says AES, KVN 1 holds a 3DES key
    expect06(concat(h(S121_CMD).subarray(0, 5), Uint8Array.of(0x12), h(S121_CMD).subarray(6)), /KIc 0x12 names aes-cbc, but key set KVN 1 holds a 3des-2key-cbc key/);
    // mixed key sets (digest §5.4)
    expect06(cmd('0619', 0n, { kic: 0x15, kid: 0x25 }), /mixed key sets/);
    // digital signature
    // SPI1 03 (DS), CHL 0D: 0013 0D 0301 15 15 B00010 CNTR 0 PCNTR 0 A0C0000016
    expect06(h('00130D03011515B00010' + '0000000000' + '00' + 'A0C0000016'), /digital signature/);
    // CHL says a 4-octet CC, KID 15 is a 3DES MAC (8 octets): 0x1E = 1 + 17 + 12
    expect06(h('001E1102091515B00010000000000100826D5654A0A40000027F20A0C0000016'), /CHL 17: implies a 4-octet CC but 3des-2key-cbc-mac gives 8/);
    // TAR restricted to KVN 2
    expect06(h(S121_CMD), /KVN 1 is not allowed for TAR B00010/, card(baseCard([sjaApp({ kvns: [2] })])));
    // cardOS rule as an option: PoR ciphered for an unciphered command
    const s = cmd('0219', 0n);
    assert.equal(run(c, s).status, 0x00);
    expect06(s, /porSecurityMustMatch/, card(baseCard([sjaApp()], { porSecurityMustMatch: true })));
    // kvnMismatch accept: a card where KVN 2 is also 3DES takes KIc 15 / KID 25
    const twoDes = [
      { kvn: 1, kic: { algorithm: '3des-2key-cbc', key: SJA2.kic }, kid: { algorithm: '3des-2key-cbc-mac', key: SJA2.kid } },
      { kvn: 2, kic: { algorithm: '3des-2key-cbc', key: SJA2.kic }, kid: { algorithm: '3des-2key-cbc-mac', key: SJA2.kid } },
    ];
    assert.equal(run(card(baseCard([sjaApp()], { kvnMismatch: 'accept' }, twoDes)), cmd('0619', 0n, { kic: 0x15, kid: 0x25 })).status, 0x00);
  });

  test('09: TAR unknown; the PoR is secured as SPI2 asks unless configured unsecured', () => {
    const pkt = cmd('0619', 0n, { tar: 'B0FFFF' });
    const r = run(card(exampleCard()), pkt);
    assert.equal(r.status, 0x09);
    const f = checkDes3Por(r.por!, SJA2);
    assert.deepEqual([f.status, f.counter], [0x09, '0000000000']);
    assert.equal(toHex(r.por!.subarray(6, 9)), 'B0FFFF');
    const u = run(card({ ...exampleCard(), options: { unsecuredErrorStatuses: 'all' } }), pkt);
    assert.equal(toHex(u.por!), unsecuredPor('B0FFFF', '09'));
  });

  test('0A: MSL compared per sub-field (TS 102 226 cl. 8.2.1.3.2.4)', () => {
    // MSL 06 (CC + ciphering) against SPI1 1A (CC + counter one higher, no ciphering): numerically 1A > 06, but ciphering is missing
    const c = card(baseCard([sjaApp({ msl: '06', counter: '0' })]));
    const r = run(c, cmd('1A01', 1n));
    assert.equal(r.status, 0x0a);
    assert.match(r.trace.join('\n'), /ciphering off < on/);
    assert.equal(toHex(r.por!), unsecuredPor('B00010', '0A'), 'SPI2 01: PoR without security');
    // MSL 12 (CC + counter higher) against SPI1 06 (CC + ciphering, no counter)
    assert.equal(run(card(baseCard([sjaApp({ msl: '12' })])), cmd('0601', 0n)).status, 0x0a);
    assert.equal(run(card(baseCard([sjaApp({ msl: '12' })])), cmd('1601', 6n)).status, 0x00);
    assert.equal(run(card(baseCard([sjaApp({ msl: '12' })])), cmd('1E01', 6n)).status, 0x00, 'one-higher (11) ≥ higher (10)');
  });

  // ---------------------------------------------------------------- 0B and long PoRs (SMS-PP)

  test('0B (TS 31.115 cl. 7): PoR via SMS-DELIVER-REPORT too long → 0B in the ENVELOPE response, the complete PoR by concatenated SMS-SUBMITs', () => {
    // READ BINARY answered with 150 octets: compact response 01 | 9000 | 150 octets (remote-apdu.md §3)
    const long = 'AB'.repeat(150);
    const c = card(baseCard([sjaApp({ swByApdu: { A0B0: { sw: '9000', data: long } } })]));
    // SPI 1619: CC + ciphering + counter higher; PoR required, CC, ciphered, via SMS-DELIVER-REPORT (b6 = 0)
    const r = run(c, cmd('1619', 6n, { data: 'A0B0000096' }));
    assert.equal(r.status, 0x0b);
    assert.equal(r.statusName, 'actual response data to be sent using SMS-SUBMIT');
    assert.equal(r.counterUpdate, 6n, 'the script ran: the counter is stored');
    assert.deepEqual(r.pors.map((p) => [p.via, p.status]), [['deliver-report', 0x0b], ['submit', 0x00]]);
    // The ENVELOPE-response PoR: secured as SPI2 19 asks (onomondo builds 0B so), CNTR echoed, no data.
    // 02 71 00 | RPL 0014 = 1 + RHL 12 + 1 padding octet | 16 ciphered octets = 25 octets
    assert.equal(r.por!.length, 25);
    const s = checkDes3Por(r.por!, SJA2);
    assert.deepEqual([s.status, s.counter, s.pcntr, s.data.length], [0x0b, '0000000006', 1, 0]);
    parseBack(r, SJA2);
    // The complete PoR in two SMS-SUBMIT user data (sms-pp.md §3 layout with IE 71, reference 00):
    //   07 | 00 03 00 02 01 | 71 00 | 132 packet octets     05 | 00 03 00 02 02 | the rest
    assert.equal(r.porSubmit.length, 2);
    const [u1, u2] = r.porSubmit;
    assert.equal(toHex(u1.subarray(0, 8)), '0700030002017100');
    assert.equal(u1.length, 140);
    assert.equal(toHex(u2.subarray(0, 6)), '050003000202');
    const packet = concat(u1.subarray(8), u2.subarray(6));
    // RPL 00AC: RHL 12 + 168 ciphered octets (5 + 1 + 1 + 8 + 153 = 168, PCNTR 0) + 1
    assert.equal(toHex(packet.subarray(0, 6)), '00AC12B00010');
    // CC over the logical single-SM form 02 71 00 ‖ RPL …, checked with openssl
    const f = checkDes3Por(concat(h('027100'), packet), SJA2);
    assert.deepEqual([f.status, f.counter, f.pcntr, toHex(f.data)], [0x00, '0000000006', 0, '019000' + long]);
    assert.equal(toHex(r.pors[1].packet), toHex(packet));
  });

  test('0B with an unsecured PoR (SPI2 01): fixed layouts of digest §11; maxDeliverReportUd is the boundary', () => {
    const app = (n: number) => sjaApp({ swByApdu: { A0B0: { sw: '9000', data: 'CD'.repeat(n) } } });
    // Unsecured PoR user data = 02 71 00 | RPL(2) | RHL 0A | TAR | CNTR | PCNTR | status | 01 9000 data = 19 + n octets.
    const go = (n: number, options: Raw = {}) => run(card(baseCard([app(n)], options)), cmd('0001', 7n, { data: 'A0B00000' + n.toString(16).padStart(2, '0').toUpperCase() }));
    // default limit 140: 121 data octets make 140 octets (fits), 122 make 141 (0B)
    const fits = go(121);
    assert.deepEqual([fits.status, fits.por!.length, fits.porSubmit.length], [0x00, 140, 0]);
    const over = go(122);
    assert.equal(over.status, 0x0b);
    // 02 71 00 | RPL 000B | RHL 0A | TAR | CNTR echoed (7) | PCNTR 00 | status 0B
    assert.equal(toHex(over.por!), unsecuredPor('B00010', '0B', '0000000007'));
    assert.equal(over.porSecured, false);
    // The complete PoR (141 octets as one user data: 02 71 00 + a 138-octet packet) needs two SMS-SUBMITs: 132 + 6 packet octets
    assert.deepEqual(over.porSubmit.map((u) => u.length), [140, 6 + (138 - 132)]);
    const packet = concat(over.porSubmit[0].subarray(8), over.porSubmit[1].subarray(6));
    // RPL 0x88 = 1 + 10 + 3 + 122
    assert.equal(toHex(packet), '0088' + '0A' + 'B00010' + '0000000007' + '00' + '00' + '019000' + 'CD'.repeat(122));
    // a configured limit: 169-octet PoR (n = 150) fits with 169, not with 168
    assert.equal(go(150, { maxDeliverReportUd: 169 }).status, 0x00);
    const o168 = go(150, { maxDeliverReportUd: 168 });
    assert.equal(o168.status, 0x0b);
    // ...and with a small limit the complete PoR goes in one SMS-SUBMIT: 02 71 00 ‖ packet
    const small = go(20, { maxDeliverReportUd: 30 });
    assert.equal(small.status, 0x0b);
    assert.deepEqual(small.porSubmit.map(toHex), ['027100' + '0022' + '0A' + 'B00010' + '0000000007' + '00' + '00' + '019000' + 'CD'.repeat(20)]);
    // 0B listed as unsecured only when named (it is not an error)
    const sec = run(card(baseCard([app(150)], { unsecuredErrorStatuses: 'all' })), cmd('0619', 7n, { data: 'A0B0000096' }));
    assert.equal(checkDes3Por(sec.por!, SJA2).status, 0x0b, '"all" leaves 0B secured');
    const named = run(card(baseCard([app(150)], { unsecuredErrorStatuses: ['0B'] })), cmd('0619', 7n, { data: 'A0B0000096' }));
    assert.equal(toHex(named.por!), unsecuredPor('B00010', '0B', '0000000007'));
  });

  test('long PoR via SMS-SUBMIT (SPI2 b6 = 1): concatenated with IE 71, nothing in the ENVELOPE response, no 0B; on-error: no PoR at all', () => {
    const c = card(baseCard([sjaApp({ swByApdu: { A0B0: { sw: '9000', data: 'AB'.repeat(150) } } })]));
    // SPI2 39 = PoR required, CC, ciphered, via SMS-SUBMIT
    const r = run(c, cmd('1639', 6n, { data: 'A0B0000096' }));
    assert.equal(r.status, 0x00);
    assert.equal(r.por, undefined, 'no single PoR message');
    assert.deepEqual(r.pors.map((p) => [p.via, p.messages.length]), [['submit', 2]]);
    assert.equal(toHex(r.porSubmit[0].subarray(0, 8)), '0700030002017100');
    assert.equal(toHex(r.porSubmit[1].subarray(0, 6)), '050003000202');
    const f = checkDes3Por(concat(h('027100'), r.porSubmit[0].subarray(8), r.porSubmit[1].subarray(6)), SJA2);
    assert.deepEqual([f.status, f.counter, toHex(f.data)], [0x00, '0000000006', '019000' + 'AB'.repeat(150)]);
    // SPI2 1A = PoR on error only (CC, ciphered): a successful long answer sends nothing, not even 0B
    const e = run(c, cmd('161A', 6n, { data: 'A0B0000096' }));
    assert.deepEqual([e.status, e.por, e.pors.length, e.porSubmit.length], [0x00, undefined, 0, 0]);
  });

  test('CARD.json options.maxDeliverReportUd: whole octets 25 … 256', () => {
    for (const v of [24, 257, '140', 140.5]) {
      assert.throws(() => card(baseCard([sjaApp()], { maxDeliverReportUd: v })), /options\.maxDeliverReportUd: must be a whole number of octets, 25 … 256/);
    }
    assert.equal(card(baseCard([sjaApp()], { maxDeliverReportUd: 159 })).options.maxDeliverReportUd, 159);
    assert.equal(card(baseCard([sjaApp()])).options.maxDeliverReportUd, 140);
  });

  test('PoR request: none never, on-error only for errors', () => {
    const c = card(baseCard([sjaApp()]));
    const none = run(c, cmd('1E00', 6n));
    assert.deepEqual([none.status, none.por, none.counterUpdate], [0, undefined, 6n]);
    assert.deepEqual([run(c, cmd('1E00', 1n)).status, run(c, cmd('1E00', 1n)).por], [0x02, undefined]);
    const onErr = run(c, cmd('1E02', 6n));
    assert.deepEqual([onErr.status, onErr.por], [0, undefined]);
    const onErr2 = run(c, cmd('1E02', 1n));
    assert.equal(toHex(onErr2.por!), unsecuredPor('B00010', '02'), 'SPI2 02: PoR on error, no security asked');
  });

  test('CAT_TP dialect: CPI 01 command in, RPI 02 PoR out (no UDH in the CC)', () => {
    const pkt = buildCommand(cattpDialect, {
      spi: spiCodec.decode(h('0619')), kic: 0x15, kid: 0x15, tar: h('B00010'), counter: 7n, data: h('A0A40000027F20A0C0000016'),
    }, { kicKey: h(SJA2.kic), kidKey: h(SJA2.kid) }).bytes;
    assert.equal(toHex(pkt.subarray(0, 3)), '012815');
    const r = processPacket(card(exampleCard()), pkt, cattpDialect);
    assert.equal(r.status, 0);
    assert.equal(toHex(r.por!), toHex(r.porPacket!), 'no UDH in the CAT_TP dialect');
    const f = checkDes3Por(r.por!, SJA2, 'cattp');
    assert.deepEqual([f.counter, f.status, toHex(f.data)], ['0000000007', 0, '0290000000FFFF7F2002000000000009B106350400838A838A']);
  });

  test('KVN rule only for key indications in use: an unused KIc is ignored (digest §4)', () => {
    const c = card(baseCard([sjaApp()]));
    // SPI 0209: CC only, PoR with CC; KIc 25 names KVN 2 but nothing is ciphered
    assert.equal(run(c, cmd('0209', 0n, { kic: 0x25 })).status, 0x00);
    assert.equal(run(c, cmd('0619', 0n, { kic: 0x25, kid: 0x15 })).status, 0x06);
  });

  // ---------------------------------------------------------------- scripts

  test('compact script: longest prefix wins, stops at the first failure, truncated command → 6700', () => {
    const c = card(baseCard([sjaApp({ swByApdu: { '00A4': '9000', '00A40004022F': '6A82', '00B0': { sw: '9000', data: 'AABB' } } })]));
    // SELECT MF (9000 via 00A4), SELECT 2FE2 (6A82 via the longer prefix), READ BINARY never runs
    const r = run(c, cmd('0001', 0n, { data: '00A40004023F00' + '00A40004022FE2' + '00B0000002' }));
    assert.deepEqual(r.executed.map((x) => x.sw.toString(16)), ['9000', '6a82']);
    // compact response (remote-apdu.md §3): count 02 | SW 6A82 | no data
    assert.equal(toHex(r.responseData!), '026A82');
    // unsecured PoR (SPI2 01): RPL 000E = 1 + RHL 0A + 3 octets of data; CNTR echoed (0)
    assert.equal(toHex(r.por!), '027100000E0AB00010' + '0000000000' + '00' + '00' + '026A82');
    // all succeed: last command's data
    assert.equal(toHex(run(c, cmd('0001', 0n, { data: '00A40004023F00' + '00B0000002' })).responseData!), '029000AABB');
    // SELECT with Lc 02 but one data octet: truncated, answered 6700 after the first command
    const t = run(c, cmd('0001', 0n, { data: '00A40004023F00' + '00A4000402 3F'.replace(' ', '') }));
    assert.equal(toHex(t.responseData!), '026700');
  });

  test('expanded script: R-APDU per command, count TLV, indefinite form, Bad format', () => {
    const app = { tar: 'B00000', msl: '00', format: 'auto', swByApdu: { '00B0': { sw: '9000', data: '0102' }, '80F2': '6D00' } };
    const c = card(baseCard([app]));
    const x = (data: string, cc = c) => toHex(run(cc, cmd('0001', 0n, { tar: 'B00000', data })).responseData!);
    // AA 10 | 22 07 00A40004023F00 | 22 05 00B0000002  → AB | 80 01 02 | 23 02 9000 | 23 04 0102 9000
    assert.equal(x('AA10' + '220700A40004023F00' + '220500B0000002'), 'AB0D' + '800102' + '23029000' + '230401029000');
    // stop at 6D00: the third C-APDU is not run
    assert.equal(x('AA19' + '220700A40004023F00' + '220780F28000024F00' + '220500B0000002'), 'AB0B' + '800102' + '23029000' + '23026D00');
    // expandedRApdus "last"
    assert.equal(x('AA10220700A40004023F00220500B0000002', card(baseCard([app], { expandedRApdus: 'last' }))), 'AB09' + '800102' + '230401029000');
    // indefinite AE → AF without the count TLV (remote-apdu.md §4.2), ends with 00 00
    assert.equal(x('AE80' + '220500B0000002' + '0000'), 'AF80' + '230401029000' + '0000');
    // unknown tag 24 after one command → Bad format 01
    assert.equal(x('AA0A' + '220500B0000002' + '240100'), 'AB0C' + '800101' + '230401029000' + '900101');
    // C-APDU TLV longer than the template → Bad format 02
    assert.equal(x('AA07' + '220800B0000002'), 'AB06' + '800100' + '900102');
    // Immediate Action / Script Chaining are accepted and not interpreted
    assert.equal(x('AA0A' + '830101' + '220500B0000002'), 'AB09' + '800101' + '230401029000');
    // auto: a compact script to the same TAR gives a compact response
    assert.equal(x('00B0000002'), '019000' + '0102');
    // expanded response decodes with the remote APDU parser (extra)
    assert.equal(decodeResponse(h(x('AA10220700A40004023F00220500B0000002'))).format, 'expanded');
  });

  // ---------------------------------------------------------------- CLI

  test('CLI card init: writes the example, refuses to overwrite, --force replaces, - prints', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    let r = await cli(['card', 'init', '--out', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(readFileSync(f, 'utf8')), exampleCard());
    writeFileSync(f, '{"mine": true}\n');
    r = await cli(['card', 'init', '--out', f]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /exists; give --force to replace it/);
    assert.equal(readFileSync(f, 'utf8'), '{"mine": true}\n');
    r = await cli(['card', 'init', '--out', f, '--force']);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(readFileSync(f, 'utf8')), exampleCard());
    r = await cli(['card', 'init', '--out', '-']);
    assert.deepEqual(JSON.parse(r.stdout), exampleCard());
  });

  test('CLI card process: PoR hex line from UD on stdin, --json report, counter stored in CARD.json after success only', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    assert.equal((await cli(['card', 'init', '--out', f])).code, 0);
    let r = await cli(['card', 'process', '--card', f, '-'], `027000${S121_CMD}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, S121_POR + '\n');
    // counter mode: the §12.1 SPI 1619 CNTR 0x64 command
    const ud = '02700000281516191515B000103A4F599E94F2B5DCFBBDA984761B7977DF6514C57A580FB4844787C436D2EADE';
    r = await cli(['card', 'process', '--card', f, '--json', ud]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.status, { code: '00', name: 'PoR OK' });
    assert.deepEqual(j.counter, { mode: 'higher', command: 100, before: 0, after: 100, stored: true });
    assert.equal(j.porSecured, true);
    assert.equal(j.porVia, 'deliver-report');
    assert.deepEqual(j.executed, [
      { apdu: 'A0A40000027F20', sw: '9F16', data: '' },
      { apdu: 'A0C0000016', sw: '9000', data: '0000FFFF7F2002000000000009B106350400838A838A' },
    ]);
    assert.equal(j.response.scriptFormat, 'compact');
    assert.ok(Array.isArray(j.trace) && j.trace.length > 5);
    assert.equal(JSON.parse(readFileSync(f, 'utf8')).applications[0].counter, 100);
    // the replay: 02, nothing stored, a stderr note
    r = await cli(['card', 'process', '--card', f, ud]);
    // a card refusal exits 1 and names the status (TS 102 225 Table 5: 02 = CNTR low)
    assert.equal(r.code, 1);
    assert.match(r.stderr, /status 02 \(CNTR low\)/);
    assert.match(r.stderr, /^uicc-ota: card refused: PoR status 02 \(CNTR low\)$/m);
    // the replay as an expected outcome (negative test): exit 0, and the JSON says so
    r = await cli(['card', 'process', '--card', f, '--json', '--expect-status', '02', ud]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([JSON.parse(r.stdout).statusOk, JSON.parse(r.stdout).expectedStatus], [true, ['02']]);
    r = await cli(['card', 'process', '--card', f, '--expect-status', '03,04', ud]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /card refused: PoR status 02 \(CNTR low\), expected 03,04/);
    assert.equal(JSON.parse(readFileSync(f, 'utf8')).applications[0].counter, 100);
    // --dry-run does not store
    const before = readFileSync(f, 'utf8');
    r = await cli(['card', 'process', '--card', f, '--dry-run', '--json', toHex(cmd('1609', 200n))]);
    assert.equal(JSON.parse(r.stdout).counter.stored, false);
    assert.equal(readFileSync(f, 'utf8'), before);
    // no PoR requested: nothing on stdout, a note on stderr
    r = await cli(['card', 'process', '--card', f, toHex(cmd('1600', 201n))]);
    assert.deepEqual([r.code, r.stdout], [0, '']);
    assert.match(r.stderr, /no PoR .*SPI2 asks for no PoR/);
    // --show prints the trace and the PoR tree
    r = await cli(['card', 'process', '--card', f, '--show', S121_CMD]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Response packet \/ PoR/);
    assert.match(r.stdout, /verified/);
    // a PoR is not a command
    r = await cli(['card', 'process', '--card', f, S121_POR]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /response packet \(PoR\)/);
  });

  test('CLI card process: the real Gemalto ENVELOPE (sms-pp.md §8.2) in, the card\'s SMS-SUBMIT user data out', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    writeFileSync(f, JSON.stringify(baseCard([{
      tar: 'C00000', msl: '15', counter: '117',
      swByApdu: { '80CA00E000': '6114', '00C0000000': { sw: '9000', data: 'E012C00401018210C00402018210C00403018210' } },
    }], { countGetResponse: false }, [{ kvn: 1, kic: { algorithm: '3des-2key-cbc', key: '263B48DBCBC1C21C0AA13E4D4516C446' } }])));
    // ENVELOPE data (after 80 C2 00 00 3C) of the trace
    const env = 'D13A82028381' + '8B34' + '44038119F07FF6151124135822042502700000201115351515C00000' + '4D5C2C7F43D3E774316C66CE8E1D5045755BACEF5DC83203';
    const r = await cli(['card', 'process', '--card', f, env]);
    assert.equal(r.code, 0, r.stderr);
    // the UD of the SMS-SUBMIT in the FETCH response of the trace
    assert.equal(r.stdout, '027100002C0EC00000888B39C361C66D5F3DC4EFCEF508CC228021DD34E577B147E54EFF18B3922C9176644E2E8AA9A695\n');
    assert.equal(JSON.parse(readFileSync(f, 'utf8')).applications[0].counter, 118);
  });

  test('CLI card process: status 0B — one hex line per message in sending order, a one-line note on stderr, --json por/porSubmit/porVia', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    writeFileSync(f, JSON.stringify(baseCard([sjaApp({ swByApdu: { A0B0: { sw: '9000', data: 'AB'.repeat(150) } } })])));
    const c = toHex(cmd('1619', 6n, { data: 'A0B0000096' }));
    let r = await cli(['card', 'process', '--card', f, '--dry-run', '027000' + c]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    // line 1: the ENVELOPE-response PoR, status 0B; lines 2–3: the SMS-SUBMIT user data (checked with openssl)
    assert.equal(checkDes3Por(h(lines[0]), SJA2).status, 0x0b);
    assert.match(lines[1], /^0700030002017100/);
    assert.match(lines[2], /^050003000202/);
    const full = checkDes3Por(concat(h('027100'), h(lines[1]).subarray(8), h(lines[2]).subarray(6)), SJA2);
    assert.deepEqual([full.status, toHex(full.data)], [0x00, '019000' + 'AB'.repeat(150)]);
    assert.equal(r.stderr, 'uicc-ota: card: status 0B (actual response data to be sent using SMS-SUBMIT): line 1 is the PoR in the ENVELOPE response (SMS-DELIVER-REPORT), lines 2–3 the complete PoR (status 00) as SMS-SUBMIT user data (2 concatenated SMS)\n');
    r = await cli(['card', 'process', '--card', f, '--json', c]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.status, { code: '0B', name: 'actual response data to be sent using SMS-SUBMIT' });
    assert.deepEqual([j.por, j.porVia, j.porSubmit], [lines[0], 'deliver-report', lines.slice(1)]);
    assert.deepEqual(j.counter, { mode: 'higher', command: 6, before: 5, after: 6, stored: true });
    // Extra: our own `parse por` reads both PoRs back (the two segments reassembled) and verifies them
    const keys = ['--request', c, '--kic-key', SJA2.kic, '--kid-key', SJA2.kid];
    for (const [args, code] of [[[lines[0]], '0B'], [lines.slice(1), '00']] as const) {
      const p = await cli(['parse', 'por', '--json', ...keys, ...args]);
      const pj = JSON.parse(p.stdout);
      assert.deepEqual([pj.status.code, pj.checksum.verified, pj.verified], [code, true, true], p.stderr);
    }
    // SPI2 b6 = 1: the same answer as concatenated SMS-SUBMITs only, with a note saying so
    r = await cli(['card', 'process', '--card', f, toHex(cmd('1639', 7n, { data: 'A0B0000096' }))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, 2);
    assert.equal(r.stderr, 'uicc-ota: card: PoR via SMS-SUBMIT in 2 concatenated SMS, one line each\n');
    r = await cli(['card', 'process', '--card', f, '--dry-run', '--json', toHex(cmd('1639', 8n, { data: 'A0B0000096' }))]);
    const k = JSON.parse(r.stdout);
    assert.deepEqual([k.status.code, k.por, k.porVia, k.porSubmit.length], ['00', null, 'submit', 2]);
  });

  test('CLI card process: CAT_TP data PDUs in (cat-tp.md §6, tshark-verified), the CAT_TP response packet out; other PDUs refused in one line', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    assert.equal((await cli(['card', 'init', '--out', f])).code, 0);
    // cat-tp.md §6 last row: data PDU (ports 1 → 1024, seq 0x5679, checksum CFE7) carrying the §7.3 packet
    const packet = '01281506091515B00010064105D61C8EB15B1810B3180734F2FA13BC3D285881CF8594299C9C9D126808';
    const pdu = '4000001200010400002A567912350004CFE7' + packet;
    // Expected PoR (SPI2 09: CC, not ciphered; digest cat-tp.md §7.2, RPI/RPL/RHL in the CC input):
    // 02 | RPL 2C | RHL 12 | TAR | CNTR 0 | PCNTR 00 | status 00 | CC | compact response of the example card's B00010
    const head = '022C12B00010' + '0000000000' + '00' + '00';
    const data = '029000' + '0000FFFF7F2002000000000009B106350400838A838A';
    const cc = toHex(des3Mac(SJA2.kid, h(head + data)));
    const expected = head + cc + data;
    let r = await cli(['card', 'process', '--card', f, pdu]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, expected + '\n');
    assert.equal(r.stderr, 'uicc-ota: card: command packet of 42 octets from 1 CAT_TP data PDU (seq 22137, port 1 → 1024); printed: the response packet, for the data PDU(s) back\n');
    // the bare packet (CPI 01 …) gives the same answer
    r = await cli(['card', 'process', '--card', f, packet]);
    assert.deepEqual([r.code, r.stdout], [0, expected + '\n']);
    // the packet in two segments (SEG on the first; PDUs built with our encoder, as input only), one per stdin line
    const seg = (seq: number, part: string, more: boolean) => toHex(encodePdu({ type: 'DATA', srcPort: 1, dstPort: 1024, seq, ack: 0x1235, window: 4, data: h(part), seg: more }));
    const two = [seg(7, packet.slice(0, 40), true), seg(8, packet.slice(40), false)];
    r = await cli(['card', 'process', '--card', f, '--json', '-'], two.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual([j.por, j.porVia, j.porSubmit], [expected, 'cat_tp', []]);
    assert.deepEqual(j.cattp, { pdus: 2, srcPort: 1, dstPort: 1024, firstSeq: 7, lastSeq: 8 });
    // a bad checksum (CFE6, cf. the "Bad checksum" row of §6): the card discards the PDU, exit 1
    r = await cli(['card', 'process', '--card', f, pdu.replace('CFE7', 'CFE6')]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'uicc-ota: CAT_TP checksum of DATA seq 22137: 0xCFE6, should be 0xCFE7: a card discards such a PDU, so there is no PoR\n');
    // a SYN (§6 first row) carries no packet
    r = await cli(['card', 'process', '--card', f, '80000021040000010000123400000004' + '5E37040008000A988812010000407682F5']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^uicc-ota: CAT_TP data: SYN PDU without data: card process takes the secured command packet \(CPI 01, BER length\), bare or as the data of CAT_TP data PDUs/);
    assert.equal(r.stderr.split('\n').length, 2, 'one line');
    // §6 third row: 23 arbitrary data octets, not a packet (01 1B but only 21 octets follow)
    r = await cli(['card', 'process', '--card', f, '40000012000104000017123556780004' + '8125' + '011B0D00000000B00010000000000000A0A40000027F20']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^uicc-ota: CAT_TP data: not a TS 102 225 command packet \(its BER length does not match the octets present\); card process takes the secured command packet/);
    // a malformed packet inside a PDU: the error names the CAT_TP data and counts from the PDU's first octet
    r = await cli(['card', 'process', '--card', f, seg(1, '010E' + '20' + '06191515B00010' + '000000000000', false)]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^uicc-ota: command packet in CAT_TP data CHL at byte 20: says 32 header octets but only 13 follow/);
  });

  test('CLI card process: invalid CARD.json → one line naming the field, exit 2', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    const ex = exampleCard() as { applications: Raw[] };
    ex.applications[1].msl = 'G6';
    writeFileSync(f, JSON.stringify(ex));
    let r = await cli(['card', 'process', '--card', f, S121_CMD]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^uicc-ota: card file .*CARD\.json applications\[1\]\.msl: not a hex digit "G"/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    writeFileSync(f, '{"applications": [');
    r = await cli(['card', 'process', '--card', f, S121_CMD]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not valid JSON/);
    r = await cli(['card', 'process', '--card', join(d, 'missing.json'), S121_CMD]);
    assert.equal(r.code, 3);
    // a packet whose CHL claims more than present: not a packet, no PoR; the offset counts the UDH
    writeFileSync(f, JSON.stringify(exampleCard()));
    r = await cli(['card', 'process', '--card', f, '027000' + '000E' + '20' + '0619151 5B00010000000000000'.replace(' ', '')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^uicc-ota: command packet CHL at byte 5: says 32 header octets but only 13 follow/);
  });

  test('CLI --state FILE: counters kept beside CARD.json, which stays byte-identical', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    const st = join(d, 'state.json');
    assert.equal((await cli(['card', 'init', '--out', f])).code, 0);
    const before = readFileSync(f, 'utf8');
    let r = await cli(['card', 'process', '--card', f, '--state', st, '--json', toHex(cmd('1E09', 1n))]);
    assert.equal(JSON.parse(r.stdout).status.code, '00', r.stderr);
    r = await cli(['card', 'process', '--card', f, '--state', st, '--json', toHex(cmd('1E09', 2n))]);
    assert.deepEqual(JSON.parse(r.stdout).counter, { mode: 'one-higher', command: 2, before: 1, after: 2, stored: true });
    assert.deepEqual(JSON.parse(readFileSync(st, 'utf8')), { format: 'uicc-ota-card-state/1', counters: { B00010: 2 } });
    assert.equal(readFileSync(f, 'utf8'), before);
  });

  test('concurrent card process runs never lose or corrupt the counter', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    assert.equal((await cli(['card', 'init', '--out', f])).code, 0);
    // 8 copies of the same one-higher command (CNTR 1): exactly one may pass, the others are replays.
    const same = toHex(cmd('1E09', 1n));
    const rs = await Promise.all(Array.from({ length: 8 }, () => cli(['card', 'process', '--card', f, '--json', same])));
    // exit 0 with status 00, exit 1 (card refusal) with 02
    const codes = rs.map((r) => (r.code <= 1 && r.stdout ? `${r.code} ${JSON.parse(r.stdout).status.code}` : `exit ${r.code}: ${r.stderr}`));
    assert.deepEqual(codes.sort(), ['0 00', '1 02', '1 02', '1 02', '1 02', '1 02', '1 02', '1 02']);
    assert.equal(card(JSON.parse(readFileSync(f, 'utf8'))).applications[0].counter, 1n);
    // 8 different "higher" counters at once: CNTR 9 always passes, the stored counter ends at 9,
    // and every accepted CNTR was higher than what was stored when it ran.
    const rs2 = await Promise.all([2, 3, 4, 5, 6, 7, 8, 9].map((n) => cli(['card', 'process', '--card', f, '--json', toHex(cmd('1609', BigInt(n)))])));
    const js = rs2.map((r) => JSON.parse(r.stdout));
    assert.equal(js[7].status.code, '00');
    for (const j of js) {
      if (j.status.code === '00') assert.ok(j.counter.command > j.counter.before);
      else assert.equal(j.status.code, '02');
    }
    assert.equal(card(JSON.parse(readFileSync(f, 'utf8'))).applications[0].counter, 9n);
    assert.ok(!existsSync(f + '.lock'), 'lock released');
  });

  test('a card process killed at any moment leaves CARD.json whole (old or new), and the next run proceeds', async () => {
    const d = tmp();
    const f = join(d, 'CARD.json');
    assert.equal((await cli(['card', 'init', '--out', f])).code, 0);
    let killed = 0;
    for (let i = 0; i < 8; i++) {
      const res = await cli(['card', 'process', '--card', f, toHex(cmd('1609', BigInt(10 + i)))], undefined, 40 + i * 25);
      if (res.code === -1) killed++;
      const c = card(JSON.parse(readFileSync(f, 'utf8')));
      const n = c.applications[0].counter;
      assert.ok(n === 0n || (n >= 10n && n <= BigInt(10 + i)), `counter ${n}`);
    }
    assert.ok(killed > 0, 'no run was killed: the test did not test anything');
    // a lock left by a killed process is taken over (its PID is dead)
    const r = await cli(['card', 'process', '--card', f, '--json', toHex(cmd('1609', 100n))]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status.code, '00');
    assert.equal(card(JSON.parse(readFileSync(f, 'utf8'))).applications[0].counter, 100n);
  });
}
