/**
 * Batch mode through the CLI and the library (src/api/batch.ts): streaming,
 * line alignment, error lines, pcap append, worker threads, both crypto backends.
 * Expected packets are the golden vectors of vectors/sms-pp-commands.json, each
 * computed with the OpenSSL CLI (the commands are in the vector's provenance);
 * pcap files are counted and decoded by tshark (Wireshark's reader, not ours).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, KEYSET, ROOT, run, live } from './helpers/cli.js';
import { tsharkPath } from './helpers/tshark.js';
import { buildSmsBatch, parseBatch } from '../src/api/index.js';
import { setCryptoBackend, type CryptoBackend } from '../src/crypto/backend.js';
import { commandBuilder } from '../src/secured/command.js';
import { smsDialect } from '../src/smspp/dialect.js';
import { prepareCommand } from '../src/api/secured-options.js';

interface Vector {
  id: string;
  inputs: { spi: string; kic: string; kid: string; tar: string; counter: number; keyset?: string; keys?: { kic?: string; kid?: string }; ccLen?: number };
  expected: { hex: string; fields: { data: string } };
}
const vectors = (JSON.parse(readFileSync(join(ROOT, 'vectors', 'sms-pp-commands.json'), 'utf8')) as { cases: Vector[] }).cases;
const vec = (id: string): Vector => vectors.find((v) => v.id === id)!;
// OpenSSL-computed (provenance in the vector file): CC + 3DES 2-key, CC AES-128 CMAC + AES-128-CBC, CNTR FFFFFFFFFF.
const V3DES = vec('sms-cmd-cc-cipher-3des2');
const VAES = vec('sms-cmd-cc-cipher-aes128');
const VMAX = vec('sms-cmd-counter-max-cipher');
const DATA = V3DES.expected.fields.data; // 00A40004023F00 00B0000010 (compact script)

const opts = (v: Vector): string[] => {
  const a = ['--spi', v.inputs.spi, '--kic', v.inputs.kic, '--kid', v.inputs.kid, '--tar', v.inputs.tar, '--counter', String(v.inputs.counter)];
  if (v.inputs.keyset) a.push('--keyset', join(ROOT, 'vectors', v.inputs.keyset));
  if (v.inputs.keys?.kic) a.push('--kic-key', v.inputs.keys.kic);
  if (v.inputs.keys?.kid) a.push('--kid-key', v.inputs.keys.kid);
  if (v.inputs.ccLen !== undefined) a.push('--cc-len', String(v.inputs.ccLen));
  return a;
};

describe('build sms --each / parse --each: alignment and errors', () => {
  it('output line N answers input line N; blank and # lines pass through (text) or give an empty line (--json)', () => {
    const input = `${DATA}\n\n# a comment\nZZ\n${DATA}\n`;
    const t = run(['build', 'sms', '--each', ...opts(V3DES)], { input });
    const out = t.stdout.split('\n');
    assert.equal(out.length, 6); // 5 lines + the final newline
    assert.equal(out[0], V3DES.expected.hex); // golden vector (OpenSSL)
    assert.deepEqual(out.slice(1, 3), ['', '# a comment']);
    assert.equal(out[3], '4 ERROR not a hex digit "Z" at character 1'); // the line number once
    assert.match(out[4], /^00281506191515B00010[0-9A-F]{64}$/);
    assert.notEqual(out[4], out[0], 'the counter advanced');
    assert.equal(t.code, 2);
    assert.equal(t.stderr, 'uicc-ota: line 4: not a hex digit "Z" at character 1\n');

    const j = run(['build', 'sms', '--each', '--json', ...opts(V3DES)], { input });
    const jl = j.stdout.split('\n');
    assert.deepEqual([jl[1], jl[2]], ['', '']);
    const [a, e, b] = [JSON.parse(jl[0]), JSON.parse(jl[3]), JSON.parse(jl[4])];
    assert.deepEqual([a.line, a.counter, a.output], [1, 0, [V3DES.expected.hex]]);
    assert.deepEqual(e, { format: 'uicc-ota-error/1', line: 4, error: 'not a hex digit "Z" at character 1', exitCode: 2 });
    // A line that is not hex takes no counter: the next packet gets the one it would have had (0 + 1).
    assert.deepEqual([b.line, b.counter], [5, 1]);
    assert.equal(j.code, 2);
  });

  it('a UTF-8 byte order mark at the start of stdin is skipped (one thread or two, build and parse)', () => {
    const bom = '\ufeff';
    for (const threads of ['1', '2']) {
      const b = run(['build', 'sms', '--each', '--threads', threads, ...opts(V3DES)], { input: `${bom}${DATA}\n${DATA}\n` });
      assert.equal(b.stderr, '');
      assert.equal(b.code, 0);
      assert.equal(b.stdout.split('\n')[0], V3DES.expected.hex); // golden vector (OpenSSL)
      const p = run(['parse', '--each', '--threads', threads, '--keyset', KEYSET], { input: `${bom}${VAES.expected.hex}\n` });
      assert.deepEqual([p.code, p.stdout, p.stderr], [0, '1 OK command tar=B00010 cc\n', '']);
    }
    // Only at the start: elsewhere it is not hex.
    const m = run(['build', 'sms', '--each', ...opts(V3DES)], { input: `${DATA}\n${bom}${DATA}\n` });
    assert.equal(m.code, 2);
    assert.match(m.stderr, /^uicc-ota: line 2: not a hex digit /);
  });

  it('CR-only line ends (old Mac text) end lines as LF does; CRLF is one line end (one thread or two)', () => {
    const lf = run(['build', 'sms', '--each', ...opts(V3DES)], { input: `${DATA}\n${DATA}\n\n${DATA}\n` });
    assert.equal(lf.stdout.split('\n')[0], V3DES.expected.hex); // golden vector (OpenSSL)
    for (const threads of ['1', '2']) {
      for (const input of [`${DATA}\r${DATA}\r\r${DATA}\r`, `${DATA}\r\n${DATA}\r\n\r\n${DATA}`]) {
        const r = run(['build', 'sms', '--each', '--threads', threads, ...opts(V3DES)], { input });
        assert.deepEqual([r.code, r.stdout, r.stderr], [0, lf.stdout, ''], `${threads}: ${JSON.stringify(input.slice(-3))}`);
      }
    }
  });

  it('a line that is not hex, or whose data cannot be built, uses up no counter (fixed or --counter next; one thread or two; the library iterator)', async () => {
    // The counters are read back by parse --json: the property here is which packet gets which counter.
    const counters = (out: string) => out.trim().split('\n').map((l) => (/^[0-9A-F]+$/.test(l) ? JSON.parse(run(['parse', '--json', '--keyset', KEYSET, l]).stdout).counter : l.replace(/ .*/, '')));
    // Line 7: hex, but 70,000 octets of data do not fit a 2-octet CPL: no counter either.
    const input = `${DATA}\nZZ\n# c\n${DATA}\n0${DATA}\n${DATA}\n${'AA'.repeat(70000)}\n${DATA}\n`;
    for (const threads of ['1', '2']) {
      const f = run(['build', 'sms', '--each', '--threads', threads, ...opts(V3DES)], { input });
      assert.deepEqual(counters(f.stdout), [0, '2', '#', 1, '5', 2, '7', 3], `--counter 0, --threads ${threads}`);
      assert.match(f.stdout.split('\n')[6], /^7 ERROR CPL: 70024 does not fit 2 octets$/);
      const dir = mkdtempSync(join(tmpdir(), 'uicc-seq-'));
      try {
        const state = join(dir, 'c.json');
        const K = ['--keyset', KEYSET, '--spi', V3DES.inputs.spi, '--kic', V3DES.inputs.kic, '--kid', V3DES.inputs.kid, '--tar', V3DES.inputs.tar, '--state', state];
        const n = run(['build', 'sms', '--each', '--threads', threads, '--counter', 'next', ...K], { input });
        assert.deepEqual(counters(n.stdout), [1, '2', '#', 2, '5', 3, '7', 4], `--counter next, --threads ${threads}`);
        assert.match(run(['counter', 'show', '--kvn', '1', '--tar', V3DES.inputs.tar, ...K.slice(0, 2), '--state', state]).stdout, /: 4 \(next is 5\)/, 'four counters used, four reserved');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // --format ud: 40,000 octets fit a CPL but not 255 SMS.
    const ud = run(['build', 'sms', '--each', '--format', 'ud', ...opts(V3DES)], { input: `${DATA}\n${'AA'.repeat(40000)}\n${DATA}\n` });
    assert.deepEqual(counters(ud.stdout), [0, '2', 1]);
    assert.match(ud.stdout.split('\n')[1], /^2 ERROR .*more than 255$/);
    const got: unknown[] = [];
    for await (const r of buildSmsBatch(input.split('\n').slice(0, -1), { keyset: KEYSET, spi: V3DES.inputs.spi, kic: V3DES.inputs.kic, kid: V3DES.inputs.kid, tar: V3DES.inputs.tar, counter: 0 })) {
      got.push('result' in r ? (r.result.json as { counter: number }).counter : 'error' in r ? 'error' : 'skipped');
    }
    assert.deepEqual(got, [0, 'error', 'skipped', 1, 'error', 2, 'error', 3]);
  });

  it('counters running out at 2^40-1: the lines before it get the last ones, the rest error lines; an exhausted store answers each line, the batch goes on', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-max-'));
    try {
      const state = join(dir, 'c.json');
      const K = ['--keyset', KEYSET, '--spi', V3DES.inputs.spi, '--kic', V3DES.inputs.kic, '--kid', V3DES.inputs.kid, '--tar', V3DES.inputs.tar, '--state', state];
      const MAX = 2 ** 40 - 1;
      run(['counter', 'set', String(MAX - 2), '--kvn', '1', '--tar', V3DES.inputs.tar, ...K.slice(0, 2), '--state', state]);
      const r = run(['build', 'sms', '--each', '--json', '--counter', 'next', ...K], { input: `${DATA}\nZZ\n${DATA}\n${DATA}\n` });
      const j = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(j.map((o) => o.counter ?? o.error), [MAX - 1, 'not a hex digit "Z" at character 1', MAX, 'CNTR: no counter left for this line: it would pass 2^40-1']);
      assert.equal(r.code, 2);
      for (const threads of ['1', '2']) {
        const x = run(['build', 'sms', '--each', '--threads', threads, '--counter', 'next', ...K], { input: `${DATA}\n# c\n${DATA}\nZZ\n` });
        // A line that is not hex takes no counter: its own error, whatever its group's counters.
        assert.equal(x.stdout, '1 ERROR CNTR: counter for kvn1/B00010 is exhausted (2^40−1 reached)\n# c\n3 ERROR CNTR: counter for kvn1/B00010 is exhausted (2^40−1 reached)\n4 ERROR not a hex digit "Z" at character 1\n', `--threads ${threads}`);
        assert.equal(x.code, 2);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a counter past 2^40-1 is an error line and the batch goes on; parse --each verifies each line', () => {
    const b = run(['build', 'sms', '--each', ...opts(VMAX)], { input: `${DATA}\n${DATA}\n` });
    const lines = b.stdout.trim().split('\n');
    assert.equal(lines[0], VMAX.expected.hex); // OpenSSL-computed vector at CNTR FFFFFFFFFF
    assert.equal(lines[1], '2 ERROR CNTR: no counter left for this line: it would pass 2^40-1');
    assert.equal(b.code, 2);
    // A flipped octet in the CC (TS 102 225 cl. 5.1: checked over the deciphered header) fails that line only.
    const bad = V3DES.expected.hex.slice(0, -2) + (V3DES.expected.hex.endsWith('00') ? '01' : '00');
    const p = run(['parse', '--each', '--keyset', KEYSET], { input: `${V3DES.expected.hex}\n#\n${bad}\n${VAES.expected.hex}\n` });
    const pl = p.stdout.split('\n');
    assert.equal(pl[0], '1 OK command tar=B00010 cc');
    assert.equal(pl[1], '#');
    assert.match(pl[2], /^3 FAIL command tar=B00010 cc: /);
    assert.equal(pl[3], '4 OK command tar=B00010 cc');
    assert.equal(p.code, 1);
  });
});

/** `args` on `input` printing exactly what it prints with its chunk path off (`off`, e.g. UICC_OTA_PARSE_CHUNK=0): stdout, stderr, exit code. */
function sameAsPerLine(args: string[], input: string, off: Record<string, string>, extra: string[] = []) {
  const fast = run([...args, ...extra], { input });
  const slow = run(args, { input, env: off });
  assert.equal(fast.stdout, slow.stdout, args.join(' '));
  assert.equal(fast.stderr, slow.stderr, args.join(' '));
  assert.equal(fast.code, slow.code, args.join(' '));
  return fast;
}
const BUILD_CHUNK_OFF = { UICC_OTA_BUILD_CHUNK: '0' };

describe('--each --json: each line is the one-shot command\'s object, with its line number', () => {
  // The one-shot object is the reference here (its own tests check it against OpenSSL and tshark):
  // a batch must not drop or change a key of it. deepEqual ignores key order.
  const oneShot = (args: string[]) => JSON.parse(run(args).stdout) as Record<string, unknown>;
  const eachLines = (args: string[], input: string) => run(args, { input }).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  it('build sms: every --format, a packet of one SMS and one of several, one thread or two', () => {
    for (const format of ['packet', 'ud', 'tpdu', 'envelope']) {
      for (const data of [DATA, DATA.repeat(20)]) {
        const want = oneShot(['build', 'sms', '--json', '--format', format, ...opts(V3DES), '--data', data]);
        for (const threads of ['1', '2']) {
          const got = eachLines(['build', 'sms', '--each', '--json', '--threads', threads, '--format', format, ...opts(V3DES)], `${data}\n`);
          assert.equal(got[0].line, 1);
          delete got[0].line;
          assert.deepEqual(got[0], want, `${format}, ${data.length / 2} octets, --threads ${threads}`);
        }
      }
    }
  });

  it('parse: a command packet bare and in its SMS layers, a PoR, CAT_TP PDUs; in groups (the fast path) and alone, one thread or two', () => {
    const inputs = [
      V3DES.expected.hex, // golden vector (OpenSSL)
      ...['ud', 'tpdu', 'envelope'].map((f) => run(['build', 'sms', '--format', f, ...opts(V3DES), '--data', DATA]).stdout.trim()),
      run(['build', 'por', '--keyset', KEYSET, '--request', V3DES.expected.hex, '--status', '00']).stdout.trim(),
      // CAT_TP (vectors/cattp-pdus.json, checked by tshark's CAT-TP dissector): a SYN and a data PDU whose SDU is not a packet.
      ...JSON.parse(readFileSync(join(ROOT, 'vectors', 'cattp-pdus.json'), 'utf8')).cases.filter((c: { id: string }) => c.id === 'example-cattp-syn' || c.id === 'example-cattp-ack-data23').map((c: { expected: { hex: string } }) => c.expected.hex),
      // A data PDU carrying a command packet (vectors/cattp-packets.json).
      run(['cattp', 'build', 'data', '--data', JSON.parse(readFileSync(join(ROOT, 'vectors', 'cattp-packets.json'), 'utf8')).cases[0].expected.hex]).stdout.trim(),
    ];
    assert.equal(inputs.length, 8);
    for (const hex of inputs) {
      const want = oneShot(['parse', '--json', '--keyset', KEYSET, hex]);
      for (const threads of ['1', '2']) {
        for (const got of eachLines(['parse', '--each', '--json', '--threads', threads, '--keyset', KEYSET], `${hex}\n`.repeat(3))) {
          delete got.line;
          delete got.pdu; // a CAT_TP PDU line also gives the PDU alone
          assert.deepEqual(got, want, `${hex.slice(0, 16)}… --threads ${threads}`);
        }
      }
    }
  });
});

describe('build sms --each | parse --each (README): a long packet\'s segments on one line', () => {
  it('read as the segments of one concatenated SMS (ud, tpdu, envelope; one thread or two); spaced single octets are still one input', () => {
    const K = ['--keyset', KEYSET];
    const lines = `${'00'.repeat(300)}\n00A40004023F00\n`;
    for (const format of ['ud', 'tpdu', 'envelope']) {
      const built = run(['build', 'sms', '--each', ...K, '--counter', '7', '--format', format], { input: lines });
      assert.equal(built.code, 0, built.stderr);
      const first = built.stdout.split('\n')[0];
      // The packet (300 octets of data and its header) needs 3 SMS of at most 140 octets of user data each.
      assert.equal(first.split(' ').length, 3, first);
      for (const threads of ['1', '2']) {
        const r = run(['parse', '--each', ...K, '--threads', threads], { input: built.stdout });
        assert.equal(r.code, 0, `${format}: ${r.stdout}${r.stderr}`);
        assert.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(' ').slice(0, 3).join(' ')), ['1 OK command', '2 OK command']);
      }
    }
    const spaced = run(['parse', '--each', ...K], { input: '02 70 00 00\n' });
    assert.equal(spaced.code, 2);
    assert.match(spaced.stdout, /^1 ERROR /);
  });
});

describe('parse --each: options every line would refuse are refused once, before the first line', () => {
  it('an unreadable keyset (exit 3), a bad --kvn, --kic-alg, --spi or --expect-status (exit 2): one stderr line, no output', () => {
    for (const [args, code] of [
      [['--keyset', '/nonexistent/keys.json'], 3], [['--keyset', KEYSET, '--kvn', 'abc'], 2], [['--kic-alg', 'bogus'], 2],
      [['--spi', 'ZZ'], 2], [['--expect-status', 'QQ'], 2],
    ] as const) {
      const r = run(['parse', '--each', ...args], { input: 'A0A40000027F20\nA0A40000027F20\n' });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      const empty = run(['parse', '--each', ...args], { input: '' });
      assert.equal(empty.code, code, `${args.join(' ')} with no input lines`);
    }
  });
});

describe('options that mean nothing in a mode are refused, not ignored', () => {
  it('build sms --each --show, --threads without --each (build sms, parse): exit 2, one line', () => {
    for (const [args, input] of [
      [['build', 'sms', '--each', '--show', '--keyset', KEYSET], 'A0A40000027F20\n'],
      [['build', 'sms', '--threads', '2', '--keyset', KEYSET, '--apdu', 'A0A40000027F20'], ''],
      [['parse', '--threads', '2', '00'], ''],
    ] as const) {
      const r = run([...args], { input });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('build sms --each notes what a one-shot build notes', () => {
  it('a weak key accepted with --allow-weak-key: the same "uicc-ota: note:" line on stderr, once per batch', () => {
    // K1 = K2: the 3DES 2-key key is single DES (TS 102 225 cl. 5.1 allows it only knowingly).
    const keys = ['--kic-key', '00000000000000000000000000000000', '--kid-key', '01981F4A20999F62AF99988007BAF6CA', '--kic', '15', '--kid', '15', '--allow-weak-key'];
    const one = run(['build', 'sms', ...keys, '--apdu', 'A0A40000027F20']);
    assert.match(one.stderr, /^uicc-ota: note: KIc key: .*single DES/m);
    const each = run(['build', 'sms', '--each', ...keys], { input: 'A0A40000027F20\nA0A40000027F20\n' });
    assert.equal(each.code, 0, each.stderr);
    assert.equal(each.stderr, one.stderr);
  });

  it('a packet too long for one SMS with --format packet: the one-shot note, with the first such line, once per batch (text, --json, two threads)', () => {
    const long = DATA.repeat(20); // 240 octets of data: a packet over the 137 octets of one SMS
    const one = run(['build', 'sms', ...opts(V3DES), '--data', long]);
    const note = /^uicc-ota: note: (the packet is \d+ octets, more than the 137 of one SMS; .*)$/m.exec(one.stderr)![1];
    for (const extra of [[], ['--json'], ['--threads', '2']]) {
      const each = run(['build', 'sms', '--each', ...extra, ...opts(V3DES)], { input: `${DATA}\n${long}\n${long}\n` });
      assert.equal(each.code, 0, each.stderr);
      assert.equal(each.stderr, `uicc-ota: note: line 2: ${note} (noted for the first such line only)\n`, extra.join(' '));
      assert.equal(each.stdout.trim().split('\n').length, 3);
    }
    // Concatenated (--format ud): nothing to note.
    assert.equal(run(['build', 'sms', '--each', '--format', 'ud', ...opts(V3DES)], { input: `${long}\n` }).stderr, '');
  });
});

describe('a reader that closes the pipe early', () => {
  it('ends the batch with the worst exit code of the lines answered so far (2 after a bad line), not 0', () => {
    const lines = Array.from({ length: 4000 }, (_, i) => (i === 1 ? 'ZZ' : '00A40004023F00')).join('\n') + '\n';
    const sh = (each: string) =>
      spawnSync('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} build sms --each --keyset ${JSON.stringify(KEYSET)} 2>/dev/null | head -1 >/dev/null; echo \${PIPESTATUS[0]}`], { input: each, encoding: 'utf8' }).stdout.trim();
    assert.equal(sh(lines), '2');
    assert.equal(sh(lines.replace('ZZ', '00A40004023F00')), '0');
  });
});

describe('parse --each: a failed check is named on stderr with its line', () => {
  it('a CC mismatch (last digit of an OpenSSL-computed packet changed): exit 1, stderr as a one-shot parse with "line N: "', () => {
    const good = V3DES.expected.hex;
    const bad = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    const single = run(['parse', bad, '--keyset', KEYSET]);
    assert.equal(single.code, 1);
    assert.match(single.stderr, /^uicc-ota: verification failed: CC mismatch/);
    for (const extra of [[], ['--json'], ['--threads', '2']]) {
      const r = run(['parse', '--each', ...extra, '--keyset', KEYSET], { input: `${good}\n# c\n${bad}\n${good}\n` });
      assert.equal(r.code, 1, extra.join(' '));
      assert.equal(r.stderr, single.stderr.replace('uicc-ota: ', 'uicc-ota: line 3: '), extra.join(' '));
    }
  });
});

describe('parse --each group fast path (batched deciphering and CCs)', () => {
  it('a group of OpenSSL-computed packets of different lengths and algorithms: OK each, failures and errors as line by line', () => {
    // Expected values: the vectors' octets (OpenSSL-computed, provenance in vectors/sms-pp-commands.json),
    // of several lengths (one block to many), 3DES 2-/3-key, single DES, AES 128/192/256, CC 8 and 4 octets.
    const ids = ['sms-cmd-cc-cipher-3des2', 'sms-cmd-cc-cipher-aes128', 'sms-cmd-long-cc-cipher-3des2', 'sms-cmd-cc4-aes256-cipher', 'sms-cmd-cc-cipher-3des3',
      'sms-cmd-cc-cipher-aes192', 'sms-cmd-cc-cipher-des-cbc', 'sms-cmd-cc-3des2', 'sms-cmd-cc-aes128', 'sms-cmd-pcntr0-aes', 'sms-cmd-empty-cc-cipher-aes']
      .filter((id) => vec(id).inputs.keyset); // keys from the test keyset (the others are given on their command line)
    const hexes = ids.map((id) => vec(id).expected.hex);
    assert.ok(ids.length >= 5, ids.join(' '));
    const bad = V3DES.expected.hex.slice(0, -2) + (V3DES.expected.hex.endsWith('00') ? '01' : '00');
    const lines: string[] = [];
    for (let r = 0; r < 40; r++) lines.push(...hexes, ...(r % 10 === 3 ? ['', '# comment', bad, 'zz'] : []));
    const input = lines.join('\n') + '\n';
    const fast = run(['parse', '--each', '--keyset', KEYSET], { input });
    const slow = run(['parse', '--each', '--keyset', KEYSET], { input, env: { UICC_OTA_PARSE_CHUNK: '0' } });
    const out = fast.stdout.split('\n');
    lines.forEach((l, i) => {
      if (hexes.includes(l)) assert.equal(out[i], `${i + 1} OK command tar=${vec(ids[hexes.indexOf(l)]).inputs.tar} cc`, `line ${i + 1}`);
    });
    assert.equal(fast.stdout, slow.stdout);
    assert.equal(fast.stderr, slow.stderr);
    assert.equal(fast.code, 2);
    assert.equal(slow.code, 2);
    // A wrong KID key: every CC fails, as line by line.
    const wrong = ['parse', '--each', '--keyset', KEYSET, '--kid-key', '00112233445566778899AABBCCDDEEFF'];
    const w = run(wrong, { input });
    assert.equal(w.stdout, run(wrong, { input, env: { UICC_OTA_PARSE_CHUNK: '0' } }).stdout);
    assert.match(w.stdout.split('\n')[0], /^1 FAIL command tar=B00010 cc: CC mismatch/);
  });
});

describe('parse --each --json group fast path (objects written from the packet parts)', () => {
  // The fast path must print exactly what the per-line path prints (UICC_OTA_PARSE_CHUNK=0), whose
  // objects are checked against independent values elsewhere (test/cli.test.ts, contract, schema):
  // so here the packets only need variety, not provenance, and the check is octet for octet.
  const rows = (pat: string): Vector[] => vectors.filter((v) => v.id.includes(pat));
  const responses = (JSON.parse(readFileSync(join(ROOT, 'vectors', 'responses.json'), 'utf8')) as { cases: { expected?: { hex?: string } }[] }).cases;
  const pdus = (JSON.parse(readFileSync(join(ROOT, 'vectors', 'cattp-pdus.json'), 'utf8')) as { cases: { expected?: { hex?: string } }[] }).cases;
  const script = (n: number, i: number) => ('00A40004023F' + (i & 0xff).toString(16).padStart(2, '0').toUpperCase()).repeat(n);
  const data: string[] = [];
  for (let i = 0; i < 3; i++) for (const n of [1, 4, 16, 40]) data.push(script(n, 37 * i));
  data.push('DEADBEEF', 'AA0A', '8103010203', '00');
  const each = (o: string[]) => run(['build', 'sms', '--each', '--format', 'packet', '--keyset', KEYSET, ...o], { input: data.join('\n') + '\n' }).stdout.trim().split('\n');
  const packets = [
    ...[[], ['--kvn', '2'], ['--spi', '0201'], ['--spi', '0601', '--kvn', '2', '--cc-len', '4'], ['--spi', '1E19', '--counter', '0xFFFFFFFF00'],
      ['--tar', '000000'], ['--tar', '123456', '--spi', '0201'], ['--padding-byte', 'FF'], ['--spi', '0101', '--kid', '05']].flatMap(each),
    ...vectors.map((v) => v.expected.hex), ...rows('expanded').map((v) => v.expected.hex),
    ...responses.flatMap((c) => c.expected?.hex ?? []), ...pdus.flatMap((c) => c.expected?.hex ?? []),
    run(['build', 'push', '--keyset', KEYSET, '--format', 'packet']).stdout.trim(),
  ];
  const flip = (h: string, at: number) => h.slice(0, at) + (parseInt(h[at], 16) ^ 1).toString(16).toUpperCase() + h.slice(at + 1);
  const g = V3DES.expected.hex;
  const odd = [flip(g, g.length - 1), flip(g, 40), g.slice(0, -2), 'zz', 'ABC', '', '# comment', g.toLowerCase(), g.replace(/(..)/g, '$1 ').trim(), `${g}\r`];
  const lines: string[] = [];
  packets.forEach((p, i) => lines.push(p, ...(i % 5 === 2 ? [odd[(i / 5 | 0) % odd.length]] : [])));
  lines.push(...odd);
  // More than one chunk (1024 lines), so that groups start mid-input.
  const input = [...lines, ...lines].join('\n') + '\n';

  const same = (args: string[], inp = input, extra: string[] = []) => sameAsPerLine(args, inp, { UICC_OTA_PARSE_CHUNK: '0' }, extra);

  it('command packets of every shape, PoRs, CAT_TP PDUs, bad, blank and # lines: the same octets as line by line', () => {
    const r = same(['parse', '--each', '--json', '--keyset', KEYSET]);
    assert.equal(r.code, 2);
    const out = r.stdout.split('\n');
    // A spot check of the values (vector sms-cmd-cc-cipher-3des2, OpenSSL-computed).
    const j = JSON.parse(out[lines.indexOf(g)]);
    assert.deepEqual([j.hex, j.data, j.verified, j.counter], [g, DATA, true, 0]);
    for (const o of [['--expanded'], ['--compact'], ['--kvn', '2'], ['--show-computed']]) same(['parse', '--each', '--json', '--keyset', KEYSET, ...o]);
    same(['parse', 'sms', '--each', '--json', '--keyset', KEYSET]);
  });

  it('--threads 2 prints the same', () => {
    same(['parse', '--each', '--json', '--keyset', KEYSET], input, ['--threads', '2']);
  });

  it('scripts that do not repeat (nothing kept per line: written from the parts of their C-APDU headers) print the same', () => {
    // 1,500 different scripts of 1-6 C-APDUs (known INS both ways, a case 1, an INS of unknown direction,
    // a short last one), in 3DES and AES: past the point where the writer stops keeping line ends.
    const heads = ['00A40004', '00D60000', '00B00000', '00DC0104', '80E60200', 'A0A40000', '00CA00FE', '80F21000', '00700000', '80AA0000'];
    let x = 12345;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const hex = (n: number) => Array.from({ length: n }, () => rnd(256).toString(16).padStart(2, '0').toUpperCase()).join('');
    const scripts = Array.from({ length: 1500 }, () => Array.from({ length: 1 + rnd(6) }, () => {
      const h = heads[rnd(heads.length)];
      if (h === '00B00000' || h === '00CA00FE' || h === '00700000') return h + hex(1);
      const n = rnd(10);
      return h + n.toString(16).padStart(2, '0').toUpperCase() + hex(n);
    }).join('') + (rnd(50) ? '' : '00A4'));
    const built = [[], ['--kvn', '2']].flatMap((o) => run(['build', 'sms', '--each', '--format', 'packet', '--keyset', KEYSET, ...o], { input: scripts.join('\n') + '\n' }).stdout.trim().split('\n'));
    assert.equal(built.length, 3000);
    const r = same(['parse', '--each', '--json', '--keyset', KEYSET], built.join('\n') + '\n');
    assert.equal(r.stdout.split('\n').length, 3001);
  });

  it('C-APDUs of one shape at other P1 P2 print the same: one part serves them only where P1 P2 change neither name nor direction (80 F2: STATUS, Le / GET STATUS, Lc)', () => {
    // READ BINARY / UPDATE BINARY / READ RECORD at every offset, SELECT P1 P2 variants, and the INS whose
    // name or direction P1 or CLA decide (80 F2 with P1 00-02 and above, CB and E4 with CLA 00 / 80, 88 with A0 / 00).
    let x = 777;
    const rnd = (n: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const h2 = (v: number) => v.toString(16).padStart(2, '0').toUpperCase();
    const hex = (n: number) => Array.from({ length: n }, () => h2(rnd(256))).join('');
    const one = (): string => {
      const pick = rnd(9);
      const p1p2 = pick === 0 ? h2([0, 1, 2, 3, 0x40, 0x80][rnd(6)]) + h2(rnd(3)) : hex(2);
      const [cla, ins] = [['00', 'B0'], ['00', 'D6'], ['00', 'B2'], ['00', 'A4'], ['80', 'CB'], ['00', 'E4'], ['A0', '88'], ['00', '88'], ['80', 'E4']][pick === 0 ? 0 : pick - 1];
      if (pick === 0) return `80F2${p1p2}` + (rnd(2) ? '04' + hex(4) : '00');
      if (ins === 'B0' || ins === 'B2') return cla + ins + p1p2 + h2(rnd(3) * 8);
      const n = 1 + rnd(6);
      return cla + ins + p1p2 + h2(n) + hex(n);
    };
    const scripts = Array.from({ length: 1200 }, () => Array.from({ length: 1 + rnd(3) }, one).join(''));
    const built = run(['build', 'sms', '--each', '--format', 'packet', '--keyset', KEYSET], { input: scripts.join('\n') + '\n' }).stdout.trim().split('\n');
    assert.equal(built.length, 1200);
    const r = same(['parse', '--each', '--json', '--keyset', KEYSET], built.join('\n') + '\n');
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // Both readings of 80 F2 occur, each named as its P1 says: STATUS with P1 00-02 (ETSI TS 102 221
    // cl. 11.1.2), GlobalPlatform GET STATUS with P1 80/40/20/10 (GP Card Specification 11.4).
    const names = new Set(objs.flatMap((o) => o.script?.commands ?? []).filter((c: { ins: string }) => c.ins === 'F2').map((c: { p1: string; name: string }) => `${Number.parseInt(c.p1, 16) > 2} ${c.name}`));
    assert.deepEqual([...names].sort(), ['false STATUS', 'true GET STATUS']);
    // And the same scripts through build sms --each --json: as line by line.
    sameAsPerLine(['build', 'sms', '--each', '--json', '--keyset', KEYSET], scripts.join('\n') + '\n', BUILD_CHUNK_OFF);
  });

  it('the notes of a weak key (K1 = K2, cl. 5.1: noted, not refused) and of PCNTR, in their order', async () => {
    // Packets secured here with the library's crypto (only the two paths are compared).
    const { computeCc, encrypt } = await import('../src/crypto/index.js');
    const W = '0123456789ABCDEF0123456789ABCDEF';
    const w = Buffer.from(W, 'hex');
    const mk = (spi: string, pcntr: number, ciphered: boolean, d: string, c: number) => {
      const body = [...Buffer.from(d, 'hex'), ...new Array<number>(pcntr).fill(0)];
      const cpl = 22 + body.length;
      const head = [cpl >> 8, cpl & 255, 21, ...Buffer.from(spi, 'hex'), 0x15, 0x15, 0xb0, 0x00, 0x10];
      const ctr = [0, 0, 0, 1, c, pcntr];
      const cc = computeCc('3des-2key-cbc-mac', w, Uint8Array.from([...head, ...ctr, ...body]), 8, { allowWeak: true });
      const plain = Uint8Array.from([...ctr, ...cc, ...body]);
      const sec = ciphered ? encrypt('3des-2key-cbc', w, plain, { allowWeak: true }) : plain;
      return Buffer.from([...head, ...sec]).toString('hex').toUpperCase();
    };
    const weak: string[] = [];
    for (let c = 0; c < 20; c++) weak.push(mk('0601', 3, true, '00A40004023F00', c), mk('0601', 11, true, '00A40004023F00', c), mk('0201', 0, false, '00A40004023F00', c), mk('0201', 2, false, '00A40004023F00', c));
    const r = same(['parse', '--each', '--json', '--kic-key', W, '--kid-key', W], weak.join('\n') + '\n');
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout.split('\n')[1]).notes.map((n: string) => n.slice(0, 8)), ['KIc key:', 'PCNTR 11', 'KID key:']);
  });
});

describe('build sms --each --json chunk path (batched crypto, objects written from the packet parts)', () => {
  // Checked against the per-line path (UICC_OTA_BUILD_CHUNK=0), whose objects are the one-shot
  // build sms --json object (above); and the packet itself against the OpenSSL-computed vector.
  const scripts: string[] = [];
  for (let i = 0; i < 700; i++) scripts.push(('00B0' + (i * 7).toString(16).padStart(4, '0').toUpperCase() + '08').repeat(1 + (i % 3)), `00D6${(i & 0xff).toString(16).padStart(2, '0').toUpperCase()}0003ABCDEF`);
  const odd = ['', '# comment', 'zz', 'ABC', DATA.repeat(40), 'AA0A', '8103010203', '00', DATA.toLowerCase(), `${DATA}\r`];
  const lines: string[] = [];
  scripts.forEach((d, i) => lines.push(d, ...(i % 97 === 5 ? [odd[(i / 97 | 0) % odd.length]] : [])));
  const input = [...lines, ...odd].join('\n') + '\n';
  const sameBuild = (args: string[], inp = input) => sameAsPerLine(args, inp, BUILD_CHUNK_OFF);

  it('the OpenSSL-computed packet of the vector, in "hex" and "output"', () => {
    const r = sameBuild(['build', 'sms', '--each', '--json', ...opts(V3DES)], `${DATA}\n${DATA}\n`);
    const [a, b] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual([a.line, a.hex, a.output, a.counter, a.data], [1, V3DES.expected.hex, [V3DES.expected.hex], V3DES.inputs.counter, DATA]);
    assert.deepEqual([b.line, b.counter], [2, V3DES.inputs.counter + 1]);
    const aes = JSON.parse(sameBuild(['build', 'sms', '--each', '--json', ...opts(VAES)], `${VAES.expected.fields.data}\n`).stdout);
    assert.equal(aes.hex, VAES.expected.hex);
  });

  it('every shape of packet, bad, long, blank and # lines, a counter running out: the same octets, errors and exit code as line by line', () => {
    for (const o of [[], ['--kvn', '2'], ['--spi', '0201'], ['--spi', '0601', '--kvn', '2', '--cc-len', '4'], ['--padding-byte', 'FF'], ['--tar', '123456'],
      ['--spi', '1E19', '--counter', '0xFFFFFFFC00'], ['--spi', '0101', '--kid', '05'], ['--format', 'envelope'], ['--threads', '2']]) {
      const r = sameBuild(['build', 'sms', '--each', '--json', '--keyset', KEYSET, ...o]);
      assert.equal(r.stdout.split('\n').length, input.split('\n').length, o.join(' '));
    }
  });

  it('--counter next: the state file advances by the lines built, as line by line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'each-json-'));
    try {
      const outs = ['1', '0'].map((chunk) => {
        const state = join(dir, `c${chunk}.json`);
        const args = ['build', 'sms', '--each', '--json', '--keyset', KEYSET, '--counter', 'next', '--state', state];
        const r = run(args, { input, env: { UICC_OTA_BUILD_CHUNK: chunk } });
        return { out: r.stdout, code: r.code, shown: run(['counter', 'show', '--kvn', '1', '--tar', 'B00010', '--keyset', KEYSET, '--state', state]).stdout.replace(state, 'STATE') };
      });
      assert.deepEqual(outs[0], outs[1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parse --each text lines (no tree, no JSON built) judge as --json does', () => {
  it('a script read as --expanded that is not one is bad input on both, line by line', () => {
    // sms-cmd-none: no security, compact script 00A40004023F00 00B0000010 (vector computed without uicc-ota);
    // read as an expanded script (TS 102 226 cl. 5.2: tag AA/AE first) it is malformed.
    const none = vec('sms-cmd-none').expected.hex;
    const t = run(['parse', '--each', '--expanded'], { input: `${none}\n` });
    const j = run(['parse', '--each', '--expanded', '--json'], { input: `${none}\n` });
    assert.match(t.stdout, /^1 ERROR /);
    assert.equal(JSON.parse(j.stdout).format, 'uicc-ota-error/1');
    assert.deepEqual([t.code, j.code], [2, 2]);
    const ok = run(['parse', '--each'], { input: `${none}\n` });
    assert.deepEqual([ok.stdout, ok.code], ['1 UNCHECKED command tar=B00010 none\n', 0]);
  });
});

describe('golden vectors through every --crypto backend', () => {
  // Every vector with secured data (an empty line would be a pass-through line).
  const cases = vectors.filter((v) => v.expected.fields.data);
  for (const backend of ['auto', 'native', 'forge', 'builtin'] as CryptoBackend[]) {
    it(`library buildSmsBatch / parseBatch, ${backend}: ${cases.length} vectors byte for byte`, async () => {
      try {
        for (const v of cases) {
          const o = {
            spi: v.inputs.spi, kic: v.inputs.kic, kid: v.inputs.kid, tar: v.inputs.tar, counter: v.inputs.counter, crypto: backend,
            keyset: v.inputs.keyset ? join(ROOT, 'vectors', v.inputs.keyset) : undefined, kicKey: v.inputs.keys?.kic, kidKey: v.inputs.keys?.kid,
            ccLen: v.inputs.ccLen,
          };
          const got = [];
          for await (const item of buildSmsBatch(['# header', v.expected.fields.data], o)) got.push(item);
          assert.deepEqual(got[0], { line: 1, skipped: true });
          assert.ok('result' in got[1], v.id);
          assert.equal(toHexU(got[1].result.units[0]), v.expected.hex, v.id);
          const parsed = [];
          for await (const item of parseBatch([v.expected.hex], { keyset: o.keyset, kicKey: o.kicKey, kidKey: o.kidKey, crypto: backend })) parsed.push(item);
          assert.ok('result' in parsed[0], v.id);
          assert.equal(parsed[0].result.data, v.expected.fields.data, v.id);
        }
      } finally {
        setCryptoBackend('native');
      }
    });
    it(`commandBuilder (the compiled builder of text batches), ${backend}: every vector byte for byte`, async () => {
      setCryptoBackend(backend);
      try {
        for (const v of cases) {
          const p = await prepareCommand({
            spi: v.inputs.spi, kic: v.inputs.kic, kid: v.inputs.kid, tar: v.inputs.tar, counter: '0', apdu: [], data: '', paddingByte: '00',
            keyset: v.inputs.keyset ? join(ROOT, 'vectors', v.inputs.keyset) : undefined, kicKey: v.inputs.keys?.kic, kidKey: v.inputs.keys?.kid,
            ccLen: v.inputs.ccLen === undefined ? undefined : String(v.inputs.ccLen),
          });
          const build = commandBuilder(smsDialect, p.input, p.keys);
          assert.equal(toHexU(build(Buffer.from(v.expected.fields.data, 'hex'), BigInt(v.inputs.counter))), v.expected.hex, v.id);
        }
      } finally {
        setCryptoBackend('native');
      }
    });
    it(`CLI --crypto ${backend}: 3DES and AES vectors`, () => {
      for (const v of [V3DES, VAES]) {
        const r = run(['build', 'sms', '--each', '--crypto', backend, ...opts(v)], { input: `${DATA}\n` });
        assert.equal(r.stdout, v.expected.hex + '\n');
      }
      const p = run(['parse', '--each', '--crypto', backend, '--keyset', KEYSET], { input: `${V3DES.expected.hex}\n${VAES.expected.hex}\n` });
      assert.equal(p.stdout, '1 OK command tar=B00010 cc\n2 OK command tar=B00010 cc\n');
    });
  }
});

const toHexU = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

describe('streaming', () => {
  for (const threads of ['1', '2']) {
    it(`each line is answered before stdin closes (as behind tail -f), --threads ${threads}`, async () => {
      const b = live(['build', 'sms', '--each', '--threads', threads, ...opts(V3DES)]);
      b.write(`${DATA}\n`);
      assert.equal(await b.next(), V3DES.expected.hex);
      b.write('# more\n');
      assert.equal(await b.next(), '# more');
      const p = live(['parse', '--each', '--threads', threads, '--keyset', KEYSET]);
      p.write(`${VAES.expected.hex}\n`);
      assert.equal(await p.next(), '1 OK command tar=B00010 cc');
      p.write('00\n');
      assert.match(await p.next(), /^2 ERROR /);
      b.end();
      p.end();
      assert.deepEqual([await b.closed, await p.closed], [0, 2]);
    });
  }

  it('a standard input left non-blocking by the parent is waited on, not an error', async () => {
    // python3 sets O_NONBLOCK on the pipe, then becomes node: reads see EAGAIN until a line comes.
    const wrap = ['python3', '-c', 'import os,fcntl,sys\nfl=fcntl.fcntl(0,fcntl.F_GETFL); fcntl.fcntl(0,fcntl.F_SETFL,fl|os.O_NONBLOCK); os.execvp(sys.argv[1],sys.argv[1:])'];
    const b = live(['build', 'sms', '--each', ...opts(V3DES)], wrap);
    await new Promise((r) => setTimeout(r, 300));
    b.write(`${DATA}\n`);
    assert.equal(await b.next(), V3DES.expected.hex);
    b.end();
    assert.equal(await b.closed, 0);
  });

  it('standard output that cannot be written (/dev/full: ENOSPC) is one line on stderr and exit 3, with or without threads, not a hang', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const input = `${DATA}\n`.repeat(5000);
      const cases: [string[], string][] = [
        [['build', 'sms', '--each', ...opts(V3DES)], input],
        [['build', 'sms', '--each', '--threads', '2', ...opts(V3DES)], input],
        [['parse', '--each', '--json', '--threads', '2', '--keyset', KEYSET], `${V3DES.expected.hex}\n`],
        [['spi', 'decode', '1621'], ''], // a one-shot command: the same line (was "internal error", 70)
      ];
      for (const [args, stdin] of cases) {
        const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input: stdin, stdio: ['pipe', full, 'pipe'], encoding: 'utf8', timeout: 20000 });
        assert.equal(r.signal, null, `${args.join(' ')}: ended by ${r.signal} (a hang?)`);
        assert.equal(r.stderr, 'uicc-ota: cannot write standard output: no space left on device (ENOSPC)\n', args.join(' '));
        assert.equal(r.status, 3, args.join(' '));
      }
    } finally {
      closeSync(full);
    }
  });

  it('a 64 MB line is an error line (exit 2) and the lines around it are answered; memory stays flat (GNU time: peak RSS)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-long-'));
    try {
      const long = 64 << 20;
      const around = (ok: string) => {
        const file = join(dir, 'in.txt');
        writeFileSync(file, `${ok}\n${'0'.repeat(long)}\n${ok}\n`);
        return file;
      };
      // Build: the script of a golden vector; parse: that vector's packet (OpenSSL-computed).
      const cases: [string[], string, RegExp, RegExp][] = [
        [['build', 'sms', '--each', ...opts(V3DES)], DATA, /^[0-9A-F]{80,}$/, /^[0-9A-F]{80,}$/],
        [['build', 'sms', '--each', '--threads', '2', ...opts(V3DES)], DATA, /^[0-9A-F]{80,}$/, /^[0-9A-F]{80,}$/],
        [['parse', '--each', '--json', '--threads', '2', '--keyset', KEYSET], V3DES.expected.hex, /^\{/, /^\{/],
        [['parse', '--each', '--keyset', KEYSET], V3DES.expected.hex, /^1 OK /, /^3 OK /],
      ];
      for (const [args, ok, first, last] of cases) {
        const file = around(ok);
        const rss = join(dir, 'rss');
        const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rss, process.execPath, BIN, ...args], { cwd: ROOT, stdio: [openSync(file, 'r'), 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
        const lines = r.stdout.split('\n');
        assert.equal(lines.length, 4, args.join(' '));
        assert.match(lines[0], first, args.join(' '));
        assert.match(lines[2], last, args.join(' '));
        const msg = `line too long: ${long} characters, more than the 1048576 a line may hold (one packet per line)`;
        if (args.includes('--json')) assert.deepEqual(JSON.parse(lines[1]), { format: 'uicc-ota-error/1', line: 2, error: msg, exitCode: 2 });
        else assert.equal(lines[1], `2 ERROR ${msg}`, args.join(' '));
        assert.equal(r.stderr, `uicc-ota: line 2: ${msg}\n`, args.join(' '));
        assert.equal(r.status, 2, args.join(' '));
        const kb = Number(readFileSync(rss, 'utf8').trim().split('\n').pop());
        assert.ok(kb < 250_000, `${args.join(' ')}: peak RSS ${kb} kB for a ${long >> 20} MB line (was 1.6 GB and more)`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--threads 2 keeps the order of 3000 lines', () => {
    const input = Array.from({ length: 3000 }, (_, i) => (i % 500 === 7 ? 'XY' : DATA)).join('\n') + '\n';
    const one = run(['build', 'sms', '--each', ...opts(V3DES)], { input });
    const two = run(['build', 'sms', '--each', '--threads', '2', ...opts(V3DES)], { input });
    assert.equal(two.stdout, one.stdout);
    assert.equal(two.code, 2);
    assert.equal(one.stdout.split('\n')[0], V3DES.expected.hex);
  });
});

describe('--pcap in batch mode', () => {
  const frames = (f: string): number => {
    // tshark -r: one output line per frame (independent of our pcap reader)
    const out = execFileSync(tsharkPath(), ['-r', f], { encoding: 'utf8' });
    return out.trim() ? out.trim().split('\n').length : 0;
  };
  for (const threads of ['1', '2']) {
    it(`the header at once, each frame in the file by the time its line is printed, nothing lost on SIGTERM (--threads ${threads})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-each-'));
      try {
        const f = join(dir, 'live.pcap');
        const b = live(['build', 'sms', '--each', '--threads', threads, '--pcap', f, ...opts(V3DES)]);
        // The 24-octet global header before any line (a reader behind tail -f sees a capture at once).
        for (let t = 0; t < 100 && !(existsSync(f) && statSync(f).size >= 24); t++) await new Promise((r) => setTimeout(r, 50));
        assert.equal(statSync(f).size, 24);
        b.write(`${DATA}\n`);
        assert.equal(await b.next(), V3DES.expected.hex);
        assert.equal(frames(f), 1);
        b.write(`${DATA}\n# note\n${DATA}\n`);
        for (let i = 0; i < 3; i++) await b.next();
        assert.equal(frames(f), 3);
        b.kill('SIGTERM');
        assert.equal(await b.closed, -1);
        assert.equal(b.signal(), 'SIGTERM'); // the shell's 143
        assert.equal(frames(f), 3);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('--pcap to a FIFO (live Wireshark): the header and every frame reach its reader', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-each-'));
    try {
      const fifo = join(dir, 'live.fifo');
      const copy = join(dir, 'copy.pcap');
      execFileSync('mkfifo', [fifo]);
      const { spawn } = await import('node:child_process');
      const reader = spawn('sh', ['-c', `cat "${fifo}" > "${copy}"`]);
      const readerDone = new Promise((r) => reader.on('close', r));
      const b = run(['build', 'sms', '--each', '--pcap', fifo, ...opts(V3DES)], { input: `${DATA}\n${DATA}\n` });
      assert.equal(b.code, 0, b.stderr);
      await readerDone;
      assert.equal(frames(copy), 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('appends every frame to one file (build, then parse into the same file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-each-'));
    try {
      const f = join(dir, 'campaign.pcap');
      const b = run(['build', 'sms', '--each', '--format', 'tpdu', '--pcap', f, ...opts(V3DES)], { input: `${DATA}\n${DATA}\n\n${DATA}\n` });
      assert.equal(b.code, 0);
      const tpdus = b.stdout.split('\n').filter((l) => /^[0-9A-F]+$/.test(l));
      const p = run(['parse', '--each', '--keyset', KEYSET, '--pcap', f], { input: tpdus.join('\n') + '\n' });
      assert.equal(p.code, 0);
      // tshark -r: 3 built + 3 parsed GSMTAP SIM frames, each an ENVELOPE (80 C2) carrying SMS-PP download
      const out = execFileSync(tsharkPath(), ['-r', f, '-T', 'fields', '-e', 'frame.number', '-e', 'gsm_sim.apdu.ins'], { encoding: 'utf8' });
      assert.deepEqual(out.trim().split('\n'), ['1\t0xc2', '2\t0xc2', '3\t0xc2', '4\t0xc2', '5\t0xc2', '6\t0xc2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
