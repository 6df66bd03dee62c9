/**
 * Streaming ordered batch engine (src/batch) and the append-mode pcap writer.
 * Expected outputs are written out literally; pcap files are read back by tshark
 * (Wireshark's reader, not ours).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupError, readLines, runBatch, type LineError, type LineFn } from '../src/batch/index.js';
import { MAX_LINE, overlongLength, readTextBlocks, splitLines } from '../src/batch/lines.js';
import { InputError, IoError, VerifyError } from '../src/util/errors.js';
import { PcapAppender } from '../src/pcap/append.js';
import { ipv4Udp } from '../src/pcap/pcap.js';
import { tsharkPath } from './helpers/tshark.js';

class Sink extends Writable {
  text = '';
  writes = 0;
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    this.writes++;
    cb();
  }
}

const upper: LineFn = (l) => l.toUpperCase();
const fixture = new URL('./fixtures/batch-worker.js', import.meta.url);

describe('readLines', () => {
  it('splits on LF and CRLF across chunk boundaries, keeps a last line without newline', async () => {
    const got: string[] = [];
    for await (const l of readLines(Readable.from(['ab', 'c\r', '\nd\n\n', 'e\u00e9'.slice(0, 1), Buffer.from('\u00e9'.normalize()).subarray(0, 1), Buffer.from('\u00e9').subarray(1)]))) got.push(l);
    assert.deepEqual(got, ['abc', 'd', '', 'e\u00e9']);
  });

  it('a lone CR ends a line as LF does; CRLF stays one line end, even split across reads', async () => {
    const cases: [(string | Buffer)[], string[]][] = [
      [['a\rb\r'], ['a', 'b']],
      [['a\r', 'b\r', 'c'], ['a', 'b', 'c']],
      [['a\r', '\nb\r\n', '\r\n'], ['a', 'b', '']], // CRLF split across reads: one line end
      [['a\r', '', '\nb'], ['a', 'b']], // an empty read between CR and LF
      [['a\r\rb\n\nc\r'], ['a', '', 'b', '', 'c']],
      [['a\n', 'b\r', Buffer.from('c\r\nd')], ['a', 'b', 'c', 'd']],
    ];
    for (const [chunks, want] of cases) {
      const got: string[] = [];
      for await (const l of readLines(Readable.from(chunks))) got.push(l);
      assert.deepEqual(got, want, JSON.stringify(chunks));
      const blocks: string[] = [];
      for await (const b of readTextBlocks(Readable.from(chunks))) blocks.push(...splitLines(b));
      assert.deepEqual(blocks, want, `blocks of ${JSON.stringify(chunks)}`);
    }
  });

  it('a CR at the end of a read ends its line at once (tail -f)', async () => {
    const input = new PassThrough();
    const it = readLines(input)[Symbol.asyncIterator]();
    input.write('a\r');
    assert.deepEqual(await it.next(), { value: 'a', done: false });
    input.end('\nb\n');
    assert.deepEqual(await it.next(), { value: 'b', done: false });
    assert.equal((await it.next()).done, true);
  });

  it('skips a UTF-8 byte order mark at the start only, even split across reads', async () => {
    const bom = Buffer.from('\ufeff');
    const got: string[] = [];
    for await (const l of readLines(Readable.from([bom.subarray(0, 1), bom.subarray(1), Buffer.from('ab\n\ufeffcd\n')]))) got.push(l);
    assert.deepEqual(got, ['ab', '\ufeffcd']);
  });
});

describe('lines longer than MAX_LINE', () => {
  // Pieces as a reader gets them: 64 KiB reads, or one big string from a library caller.
  const long = MAX_LINE + 5;
  const cases: [string, (string | Buffer)[]][] = [
    ['in 64 KiB reads', (() => {
      const text = 'ab\n' + 'x'.repeat(long) + '\r\n' + 'y'.repeat(MAX_LINE) + '\ncd\n' + 'z'.repeat(long);
      const out: string[] = [];
      for (let at = 0; at < text.length; at += 65536) out.push(text.slice(at, at + 65536));
      return out;
    })()],
    ['in one string', ['ab\n' + 'x'.repeat(long) + '\r\n' + 'y'.repeat(MAX_LINE) + '\ncd\n' + 'z'.repeat(long)]],
  ];
  for (const [name, chunks] of cases) {
    it(`are given as markers with their length, the lines around them intact (${name})`, async () => {
      const want = (got: string[]) => {
        assert.equal(got.length, 5);
        assert.equal(got[0], 'ab');
        assert.equal(overlongLength(got[1]), long);
        assert.equal(got[2].length, MAX_LINE, 'a line of exactly MAX_LINE is kept');
        assert.equal(overlongLength(got[2]), -1);
        assert.equal(got[3], 'cd');
        assert.equal(overlongLength(got[4]), long, 'a last line without newline');
      };
      const lines: string[] = [];
      for await (const l of readLines(Readable.from(chunks))) lines.push(l);
      want(lines);
      const blocks: string[] = [];
      for await (const b of readTextBlocks(Readable.from(chunks))) blocks.push(...splitLines(b));
      want(blocks);
    });
  }

  it('an overlong line is an error line (exit 2) and the stream goes on, in this thread and on workers', async () => {
    const input = () => Readable.from(['a\n', 'b'.repeat(MAX_LINE), 'b'.repeat(10), '\nc\n']);
    const want = `A\nline 2: line too long: ${MAX_LINE + 10} characters, more than the ${MAX_LINE} a line may hold (one packet per line)\nC\n`;
    const s = new Sink();
    assert.deepEqual(await runBatch({ input: input(), output: s, fn: upper }), { lines: 3, errors: 1, exitCode: 2 });
    assert.equal(s.text, want);
    const chunked: LineFn = Object.assign((l: string) => l.toUpperCase(), { chunk: (ls: string[]) => ls.map((l) => l.toUpperCase() + '\n').join('') });
    const c = new Sink();
    await runBatch({ input: input(), output: c, fn: chunked });
    assert.equal(c.text, want, 'a chunk function never sees the marker');
    const w = new Sink();
    await runBatch({ input: input(), output: w, workers: { module: fixture, data: { suffix: '' }, threads: 1 } });
    assert.equal(w.text, want.replace('A', 'a').replace('C', 'c'));
  });
});

describe('runBatch in this thread', () => {
  it('one output line per input line, in order; blank and # lines echoed or emptied', async () => {
    const input = 'a\n\n# note\nb\n  \nc';
    const s1 = new Sink();
    const r1 = await runBatch({ input: Readable.from([input]), output: s1, fn: upper });
    assert.equal(s1.text, 'A\n\n# note\nB\n  \nC\n');
    assert.deepEqual(r1, { lines: 6, errors: 0, exitCode: 0 });
    const s2 = new Sink();
    await runBatch({ input: Readable.from([input]), output: s2, fn: upper, passThrough: 'empty' });
    assert.equal(s2.text, 'A\n\n\nB\n\nC\n');
  });

  it('errors stay on their line with its number and exit code; the exit code is the worst line\'s', async () => {
    const fn: LineFn = (l, n) => {
      if (l === 'bad') throw new InputError('not hex', { field: 'packet', offset: 3 });
      if (l === 'mac') throw new VerifyError('CC mismatch');
      if (l === 'bug') throw new TypeError('x is undefined');
      if (l === 'fail') return { text: `checked ${n}`, exitCode: 1 };
      return l;
    };
    const s = new Sink();
    const r = await runBatch({ input: Readable.from(['ok\nbad\n#c\nmac\nfail\n']), output: s, fn });
    assert.equal(s.text, 'ok\nline 2: packet at byte 3: not hex\n#c\nline 4: CC mismatch\nchecked 5\n');
    assert.deepEqual(r, { lines: 5, errors: 2, exitCode: 2 });
    const j = new Sink();
    // The whole LineError reaches formatError (field and offset included).
    const r2 = await runBatch({ input: Readable.from(['bad\nbug\n']), output: j, fn, formatError: (e: LineError) => JSON.stringify({ error: e }) });
    assert.deepEqual(j.text.trim().split('\n').map((l) => JSON.parse(l)), [
      { error: { line: 1, message: 'packet at byte 3: not hex', exitCode: 2, field: 'packet', offset: 3 } },
      { error: { line: 2, message: 'internal error: x is undefined', exitCode: 70 } },
    ]);
    assert.equal(r2.exitCode, 70);
  });

  it('async lines finishing out of order are written in input order', async () => {
    const fn: LineFn = (l) => new Promise((r) => setTimeout(() => r(l + '!'), (5 - Number(l)) * 5));
    const s = new Sink();
    await runBatch({ input: Readable.from(['1\n2\n3\n4\n']), output: s, fn });
    assert.equal(s.text, '1!\n2!\n3!\n4!\n');
  });

  it('answers each line as soon as it is complete (works behind tail -f)', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const done = runBatch({ input, output, fn: upper });
    const next = () => new Promise<string>((r) => output.once('data', (d: Buffer) => r(d.toString())));
    let p = next();
    input.write('one\ntw');
    assert.equal(await p, 'ONE\n');
    p = next();
    input.write('o\n');
    assert.equal(await p, 'TWO\n');
    input.end();
    assert.deepEqual(await done, { lines: 2, errors: 0, exitCode: 0 });
  });

  it('pulls input only as the output drains (bounded memory on a slow reader)', async () => {
    let produced = 0;
    const N = 20000;
    const input = Readable.from((function* () {
      for (let i = 0; i < N; i++) {
        produced++;
        yield `${i}\n`;
      }
    })());
    let maxAhead = 0;
    let written = 0;
    const output = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _e, cb) {
        written += chunk.toString().split('\n').length - 1;
        maxAhead = Math.max(maxAhead, produced - written);
        setImmediate(cb);
      },
    });
    const r = await runBatch({ input, output, fn: (l) => l, window: 64 });
    output.end();
    await once(output, 'finish');
    assert.equal(r.lines, N);
    assert.equal(written, N);
    assert.ok(maxAhead < 2000, `input ran ${maxAhead} lines ahead of the output`);
  });
});

describe('runBatch and a sink that needs draining', () => {
  it('a drain that comes while the engine awaits input is not missed (the run completes)', async () => {
    // Chunks of 20 KiB of lines (more than the 16 KiB high-water mark), each arriving after a pause.
    const line = 'x'.repeat(99);
    const chunk = (line + '\n').repeat(205);
    const input = (async function* () {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 20));
        yield chunk;
      }
    })();
    let got = 0;
    const output = new Writable({
      write(c: Buffer, _e, cb) {
        got += c.length;
        cb(); // synchronous, as a pipe stdout: 'drain' is emitted on the next tick
      },
    });
    const r = await runBatch({ input, output, fn: (l) => l });
    assert.equal(r.lines, 5 * 205);
    assert.equal(got, 5 * chunk.length);
  });
});

describe('runBatch and an output that fails', () => {
  for (const threads of [0, 2]) {
    it(`a write error (ENOSPC) rejects the run instead of hanging${threads ? ' (2 worker threads)' : ''}`, async () => {
      const line = 'x'.repeat(99);
      const input = (async function* () {
        for (let i = 0; i < 50; i++) yield (line + '\n').repeat(300);
      })();
      const output = new Writable({
        highWaterMark: 1024,
        write(_c: Buffer, _e, cb) {
          const e = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          setTimeout(() => cb(e), 5);
        },
      });
      const run = runBatch(threads ? { input, output, workers: { module: fixture, threads, data: { suffix: '+' } } } : { input, output, fn: (l) => l });
      await assert.rejects(run, { code: 'ENOSPC' });
    });
  }
});

describe('runBatch and a context that fails', () => {
  it('a GroupError answers each work line of its group with its error (its exit code) and the batch goes on; another error ends the run', async () => {
    let calls = 0;
    const context = async (seq0: number, count: number) => {
      if (++calls === 2) throw new GroupError(new IoError('counter state file: timed out waiting for the lock'));
      return { seq0, count };
    };
    const chunks = ['a\nb\n', '# c\nd\ne\n', 'f\n'];
    const s = new Sink();
    const r = await runBatch({ input: Readable.from(chunks), output: s, fn: (l, _n, seq) => `${l}${seq}`, context });
    assert.equal(s.text, 'a0\nb1\n# c\nline 4: counter state file: timed out waiting for the lock\nline 5: counter state file: timed out waiting for the lock\nf4\n');
    assert.deepEqual(r, { lines: 6, errors: 2, exitCode: 3 });
    calls = 0;
    const w = new Sink();
    const rw = await runBatch({ input: Readable.from(chunks), output: w, workers: { module: fixture, data: { suffix: '+' }, threads: 1, linesPerMessage: 2 }, context });
    // On workers a context per message (at most 2 lines here): the 2nd is "# c" and d.
    assert.equal(w.text, 'a+\nb+\n# c\nline 4: counter state file: timed out waiting for the lock\ne+\nf+\n');
    assert.deepEqual(rw, { lines: 6, errors: 1, exitCode: 3 });
    await assert.rejects(runBatch({ input: Readable.from(['a\n']), output: new Sink(), fn: (l) => l, context: async () => { throw new Error('bind failed'); } }), /bind failed/);
  });

  it("seqRule 'hex': a line that is not hex takes no seq (no counter), in this thread, in a chunk function's fallback and on workers", async () => {
    const input = () => Readable.from(['00\nZZ\n# c\n0A0\n11\n']);
    const fn: LineFn = (l, _n, seq) => {
      if (!/^[0-9A-F]*$/.test(l) || l.length % 2) throw new InputError('not hex');
      return `${l}@${seq}`;
    };
    const s = new Sink();
    await runBatch({ input: input(), output: s, fn, seqRule: 'hex' });
    assert.equal(s.text, '00@0\nline 2: not hex\n# c\nline 4: not hex\n11@1\n');
    const c = new Sink();
    await runBatch({ input: input(), output: c, fn: Object.assign(fn, { chunk: () => { throw new Error('fall back'); } }), seqRule: 'hex' });
    assert.equal(c.text, s.text);
    const d = new Sink();
    await runBatch({ input: input(), output: d, fn: (l, _n, seq) => `${l}@${seq}` });
    assert.equal(d.text, '00@0\nZZ@1\n# c\n0A0@2\n11@3\n', "default 'work': every work line");
  });
});

describe('runBatch on worker threads', () => {
  it('keeps input order across 2 workers, batching lines per message, and passes errors through', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => (i % 97 === 5 ? 'bad' : i % 50 === 0 ? '# c' : `l${i}`));
    const s = new Sink();
    const r = await runBatch({
      input: Readable.from([lines.join('\n') + '\n']),
      output: s,
      workers: { module: fixture, data: { suffix: '+' }, threads: 2, linesPerMessage: 16 },
      window: 100,
    });
    const want = lines.map((l, i) => (l === 'bad' ? `line ${i + 1}: w packet: bad line` : l.startsWith('#') ? l : `${l}+`));
    assert.deepEqual(s.text.split('\n').slice(0, -1), want);
    assert.equal(r.exitCode, 2);
    assert.equal(r.lines, 1000);
  });

  it('a worker module without the factory is an error of the run, not a hang', async () => {
    await assert.rejects(runBatch({
      input: Readable.from(['a\n']),
      output: new Sink(),
      workers: { module: fixture, export: 'nothing', threads: 1 },
    }));
  });
});

describe('PcapAppender', () => {
  it('adds frames to one file across openings; tshark reads them all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-pcap-'));
    try {
      const f = join(dir, 'out.pcap');
      const frame = (i: number) => ipv4Udp('127.0.0.1', '127.0.0.2', 4729, 4729, Uint8Array.of(i, i, i));
      let w = new PcapAppender(f);
      for (let i = 0; i < 3; i++) w.append({ data: frame(i) });
      w.close();
      w = new PcapAppender(f);
      assert.equal(w.count, 3);
      for (let i = 3; i < 5; i++) w.append({ data: frame(i) });
      w.close();
      // tshark -r out.pcap -T fields -e frame.number -e udp.length: five UDP frames of 8 + 3 octets
      const out = execFileSync(tsharkPath(), ['-r', f, '-T', 'fields', '-e', 'frame.number', '-e', 'udp.length'], { encoding: 'utf8' });
      assert.deepEqual(out.trim().split('\n'), ['1\t11', '2\t11', '3\t11', '4\t11', '5\t11']);
      // refuses a file that ends inside a record, and a file that is not a pcap
      writeFileSync(f, readFileSync(f).subarray(0, -2));
      assert.throws(() => new PcapAppender(f), /ends inside a record/);
      writeFileSync(f, 'hello, this is not a capture file');
      assert.throws(() => new PcapAppender(f), /little-endian microsecond pcap/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two runs that both found the new file empty write one header between them (at offset 0), not one each', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-pcap-'));
    try {
      const f = join(dir, 'out.pcap');
      const frame = (i: number) => ipv4Udp('127.0.0.1', '127.0.0.2', 4729, 4729, Uint8Array.of(i, i, i));
      const first = new PcapAppender(f);
      first.append({ data: frame(1) });
      first.flush();
      // The second run's header, written after the first run's frame, as a run that checked the size
      // before the first wrote anything does: the same octets at the same place.
      (first as unknown as { writeHeader(): void }).writeHeader();
      first.append({ data: frame(2) });
      first.close();
      const out = execFileSync(tsharkPath(), ['-r', f, '-T', 'fields', '-e', 'frame.number', '-e', 'udp.length'], { encoding: 'utf8' });
      assert.deepEqual(out.trim().split('\n'), ['1\t11', '2\t11']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('six processes appending to one new file at once: every frame, whole, in a file tshark reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uicc-ota-pcap-'));
    try {
      const f = join(dir, 'out.pcap');
      const mod = new URL('../src/pcap/append.js', import.meta.url).href;
      const pcap = new URL('../src/pcap/pcap.js', import.meta.url).href;
      const script = `const { PcapAppender } = await import(${JSON.stringify(mod)}); const { ipv4Udp } = await import(${JSON.stringify(pcap)});
        while (Date.now() < Number(process.argv[2])); // all start together: the file is new for each
        const w = new PcapAppender(process.argv[1]);
        for (let i = 0; i < 300; i++) { w.append({ data: ipv4Udp('127.0.0.1', '127.0.0.2', 4729, 4729, new Uint8Array(1 + (i % 40)).fill(i)) }); if (i % 7 === 0) w.flush(); }
        w.close();`;
      const { spawn } = await import('node:child_process');
      const go = String(Date.now() + 1500);
      await Promise.all(Array.from({ length: 6 }, () => new Promise<void>((resolve, reject) => {
        const c = spawn(process.execPath, ['--input-type=module', '-e', script, f, go], { stdio: 'inherit' });
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
      })));
      // tshark reads all 1,800 frames, each a whole UDP datagram (no "malformed", no cut record).
      const out = execFileSync(tsharkPath(), ['-r', f, '-T', 'fields', '-e', 'udp.length'], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(out.length, 1800);
      assert.ok(out.every((l) => Number(l) >= 9 && Number(l) <= 48), 'every frame whole');
      assert.equal(new PcapAppender(f).count, 1800);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
