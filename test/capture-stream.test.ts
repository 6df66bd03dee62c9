/**
 * `parse --read` streams (issue 11): exchanges come out as they complete,
 * memory is bounded by the pairing window, a damaged capture is read up to
 * the damage, `--ndjson` gives one schema-valid record per exchange.
 *
 * Independent witnesses: Wireshark's tshark reads every capture made here
 * (frame counts, the APDU instruction of each frame, the concatenation
 * reference and part number of each segment, and how many frames of a cut
 * file it can still read); editcap makes the pcapng copies; the records are
 * validated against schema/capture-record.json with ajv.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, BIN, ROOT, KEYSET, isOneLineError } from './helpers/cli.js';
import { tsharkJson, tsharkPath, findAll, type TsharkPacket } from './helpers/tshark.js';
import { validateAgainst } from './helpers/schema.js';
import { captureChunks } from '../src/api/capture.js';

const DIR = mkdtempSync(join(tmpdir(), 'capture-stream-'));
after(() => rmSync(DIR, { recursive: true, force: true }));
let nfile = 0;
const tmp = (ext: string) => join(DIR, `s${++nfile}.${ext}`);
const K = ['--keyset', KEYSET];

/** The records of a classic little-endian pcap as our --pcap writes it: 24-octet header, then 16-octet record headers + data. */
function records(file: string): { header: Uint8Array; recs: Uint8Array[] } {
  const b = readFileSync(file);
  const recs: Uint8Array[] = [];
  for (let o = 24; o < b.length; ) {
    const n = 16 + b.readUInt32LE(o + 8);
    recs.push(b.subarray(o, o + n));
    o += n;
  }
  return { header: b.subarray(0, 24), recs };
}

/** Frames that tshark reads from a file, also a damaged one (it then exits non-zero after the frames it could read). */
function tsharkFrames(file: string): number {
  const r = spawnSync(tsharkPath(), ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim()).length;
}

const layersOf = (p: TsharkPacket) => p._source.layers as Record<string, unknown>;
const ins = (pkts: TsharkPacket[]) => pkts.map((p) => findAll(layersOf(p), 'gsm_sim.apdu.ins')[0]);

/** A command (ENVELOPE, SMS-PP DOWNLOAD) and its PoR (FETCH: SEND SHORT MESSAGE), built by the CLI with the test keyset. */
let PAIR: Uint8Array[] = [];
let HEADER: Uint8Array = new Uint8Array(0);
before(() => {
  const env = tmp('pcap');
  const b1 = run(['build', 'sms', ...K, '--tar', 'B00010', '--counter', '1', '--apdu', '00A40004023F00', '--format', 'envelope', '--pcap', env]);
  assert.equal(b1.code, 0, b1.stderr);
  const pkt = run(['build', 'sms', ...K, '--tar', 'B00010', '--counter', '1', '--apdu', '00A40004023F00', '--format', 'packet']).stdout.trim();
  const por = tmp('pcap');
  const b2 = run(['build', 'por', ...K, '--request', pkt, '--sw', '9000', '--format', 'proactive', '--pcap', por]);
  assert.equal(b2.code, 0, b2.stderr);
  const a = records(env);
  HEADER = a.header;
  PAIR = [a.recs[0], records(por).recs[0]];
});

/** A pcap of `pairs` command/PoR pairs. */
function pairsFile(pairs: number): string {
  const f = tmp('pcap');
  const parts = [HEADER];
  for (let i = 0; i < pairs; i++) parts.push(...PAIR);
  writeFileSync(f, Buffer.concat(parts));
  return f;
}

describe('parse --read streams', () => {
  it('prints the first exchange before the capture is complete (a FIFO written in two steps)', async () => {
    const fifo = join(DIR, 'live.fifo');
    execFileSync('mkfifo', [fifo]);
    const p = spawn(process.execPath, [BIN, 'parse', '--read', fifo, '--ndjson', ...K], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const firstRecord = new Promise<string>((res) => p.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('\n')) res(stdout);
    }));
    const closed = new Promise<number>((res) => p.on('close', (c) => res(c ?? -1)));
    // Opening for writing blocks until the reader has opened its end.
    const fd = openSync(fifo, 'w');
    writeSync(fd, Buffer.concat([HEADER, ...PAIR]));
    const timeout = new Promise<string>((_res, rej) => setTimeout(() => rej(new Error(`nothing printed while the writer kept the FIFO open; stderr: ${stderr}`)), 20000));
    const seen = await Promise.race([firstRecord, timeout]);
    const first = JSON.parse(seen.split('\n')[0]);
    assert.equal(first.record, 'item');
    assert.equal(first.type, 'command');
    assert.equal(first.frame, 1);
    // Still open: the capture goes on.
    assert.equal(p.exitCode, null);
    for (let i = 0; i < 3; i++) writeSync(fd, Buffer.concat(PAIR));
    closeSync(fd);
    assert.equal(await closed, 0, stderr);
    const recs = stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(recs.map((r) => r.record), [...new Array(8).fill('item'), 'end']);
    const end = recs[8];
    assert.equal(end.frames, 8);
    assert.deepEqual([end.summary.commands, end.summary.responses], [4, 4]);
  });

  it('--ndjson: every line valid against schema/capture-record.json; the same items as --json; tshark sees the same frames', () => {
    const f = pairsFile(3);
    // Wireshark: six frames, ENVELOPE / FETCH alternating.
    const ts = tsharkJson(f);
    assert.deepEqual(ins(ts), ['0xc2', '0x12', '0xc2', '0x12', '0xc2', '0x12']);
    const nd = run(['parse', '--read', f, '--ndjson', ...K]);
    assert.equal(nd.code, 0, nd.stderr);
    const recs = nd.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const r of recs) assert.deepEqual(validateAgainst('capture-record', r), [], JSON.stringify(r).slice(0, 300));
    const j = JSON.parse(run(['parse', '--read', f, '--json', ...K]).stdout);
    const items = recs.filter((r) => r.record === 'item').map(({ format: _f, record: _r, ...rest }) => rest);
    assert.deepEqual(items, j.items.map(({ format: _f, ...rest }: Record<string, unknown>) => rest));
    assert.deepEqual(items.map((i) => i.frame), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(items.map((i) => i.requestFrame), [undefined, 1, undefined, 3, undefined, 5], 'each PoR paired with the command just before it');
    const end = recs[recs.length - 1];
    assert.equal(end.record, 'end');
    assert.equal(end.frames, ts.length);
    assert.equal(end.captureFormat, 'pcap');
    assert.equal(end.stopped, undefined);
    // --json and --ndjson together is a usage error.
    const both = run(['parse', '--read', f, '--json', '--ndjson']);
    assert.equal(both.code, 2);
    assert.ok(isOneLineError(both.stderr), both.stderr);
  });

  it('reads standard input (--read -)', () => {
    const f = pairsFile(2);
    const r = spawnSync(process.execPath, [BIN, 'parse', '--read', '-', '--ndjson', ...K], { input: readFileSync(f), cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(recs.length, 5);
    assert.equal(recs[4].file, 'standard input');
    assert.equal(recs[4].frames, tsharkFrames(f));
  });
});

describe('a capture file is read chunk by chunk, the next read under way', () => {
  // The file's own octets are the witness: the chunks, in order, are the file, whatever the chunk size.
  it('gives the file whole and in order, also when its length is a multiple of the chunk size', async () => {
    const f = pairsFile(40);
    const whole = readFileSync(f);
    for (const size of [7, 64, whole.length, whole.length - 24, 1 << 16]) {
      const parts: Uint8Array[] = [];
      for await (const c of captureChunks(f, size)) parts.push(Buffer.from(c));
      assert.ok(parts.every((p, i) => p.length === size || i === parts.length - 1), `chunk of ${size}`);
      assert.deepEqual(Buffer.concat(parts), whole, `chunks of ${size}`);
    }
    const exact = tmp('pcap');
    writeFileSync(exact, whole.subarray(0, 64 * 5));
    let n = 0;
    for await (const c of captureChunks(exact, 64)) n += c.length === 64 ? 1 : 100;
    assert.equal(n, 5, 'five full chunks and no empty one');
  });
  it('stops early without leaving a read behind, and names an unreadable capture', async () => {
    const f = pairsFile(40);
    for (let k = 0; k < 20; k++) {
      for await (const c of captureChunks(f, 16)) {
        assert.equal(c.length, 16);
        break;
      }
    }
    // The same file read whole afterwards: nothing left open or mixed in.
    const all: Uint8Array[] = [];
    for await (const c of captureChunks(f, 100)) all.push(c);
    assert.deepEqual(Buffer.concat(all), readFileSync(f));
    await assert.rejects(async () => {
      for await (const _ of captureChunks(DIR, 64)) void _;
    }, (e: Error & { exitCode?: number }) => e.exitCode === 3 && e.message.includes(DIR));
  });
});

describe('a damaged capture is read up to the damage', () => {
  it('a pcap cut at several offsets: the frames before the cut are printed, one line says where it stopped, exit 2 (tshark reads as many frames)', () => {
    const whole = readFileSync(pairsFile(3));
    const recLen = PAIR.map((r) => r.length);
    // Record starts: 24, 24 + len0, ...
    const starts: number[] = [];
    for (let o = 24, i = 0; i < 6; i++) {
      starts.push(o);
      o += recLen[i % 2];
    }
    const cuts = [
      starts[1] + 7, // in the record header of frame 2
      starts[2] + 16 + 10, // in the data of frame 3
      starts[5] + 16, // right after the record header of frame 6
      whole.length - 1, // the last octet missing
    ];
    for (const cut of cuts) {
      const f = tmp('pcap');
      writeFileSync(f, whole.subarray(0, cut));
      const read = tsharkFrames(f);
      assert.ok(read >= 1 && read < 6, `tshark reads ${read} frames of the file cut at ${cut}`);
      const r = run(['parse', '--read', f, '--json', ...K]);
      assert.equal(r.code, 2, `cut at ${cut}: ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      assert.equal(j.frames, read, `cut at ${cut}: as many frames as tshark reads`);
      assert.deepEqual(j.items.map((i: { frame: number }) => i.frame), Array.from({ length: read }, (_, i) => i + 1));
      assert.equal(j.stopped.frame, read + 1);
      assert.equal(j.stopped.offset, starts[read], 'the offset of the damaged record');
      assert.match(j.stopped.message, /file cut short/);
      assert.equal(j.verified, null, 'what lies past the damage was not checked');
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^uicc-ota: .*frame ${read + 1} at byte ${starts[read]}: .*file cut short.*reading stopped there, before frame ${read + 1}`));
      // Text: the exchanges before the damage, then the verdict says where reading stopped.
      const t = run(['parse', '--read', f, ...K]);
      assert.equal(t.code, 2);
      assert.equal((t.stdout.match(/^Frame \d+: /gm) ?? []).length, read);
      assert.match(t.stdout, new RegExp(`Verification: incomplete  ✗ the capture stopped at byte ${starts[read]}, before frame ${read + 1}`));
    }
  });

  it('a pcapng (editcap) cut in its last block: the blocks before it are read', () => {
    const f = pairsFile(2);
    const ng = tmp('pcapng');
    execFileSync('editcap', ['-F', 'pcapng', f, ng]);
    const whole = readFileSync(ng);
    const cut = tmp('pcapng');
    writeFileSync(cut, whole.subarray(0, whole.length - 6));
    const read = tsharkFrames(cut);
    assert.equal(read, 3, 'tshark reads three of the four frames');
    const r = run(['parse', '--read', cut, '--json', ...K]);
    assert.equal(r.code, 2, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.captureFormat, 'pcapng');
    assert.equal(j.frames, read);
    assert.equal(j.items.length, read);
    assert.equal(j.stopped.frame, 4);
    assert.equal(j.verified, null);
    const end = JSON.parse(run(['parse', '--read', cut, '--ndjson', ...K]).stdout.trim().split('\n').at(-1)!);
    assert.deepEqual([end.record, end.verified, end.stopped.frame], ['end', null, 4]);
    assert.match(r.stderr, /block \d+ \(Enhanced Packet Block\) at byte \d+: block total length \d+ runs past the end of the file.*reading stopped there, before frame 4/);
    // The whole pcapng reads like the pcap it was made from.
    const a = JSON.parse(run(['parse', '--read', f, '--json', ...K]).stdout);
    const b = JSON.parse(run(['parse', '--read', ng, '--json', ...K]).stdout);
    assert.deepEqual(b.items, a.items);
  });
});

describe('the pairing window', () => {
  it('bounds unfinished concatenated SMS: the oldest is evicted and reported (tshark: reference and part of every segment)', () => {
    // Three two-segment messages (references 1, 2, 3): the first segments of all three, then the second
    // segments of 2 and 3, then that of 1.
    const data = 'A0A40000027F20'.repeat(24);
    const segs = [1, 2, 3].map((ref) => {
      const f = tmp('pcap');
      const b = run(['build', 'sms', ...K, '--tar', 'B00010', '--counter', String(ref), '--data', data, '--format', 'envelope', '--concat-ref', String(ref), '--pcap', f]);
      assert.equal(b.code, 0, b.stderr);
      return records(f).recs;
    });
    const file = tmp('pcap');
    writeFileSync(file, Buffer.concat([HEADER, segs[0][0], segs[1][0], segs[2][0], segs[1][1], segs[2][1], segs[0][1]]));
    const ts = tsharkJson(file);
    assert.deepEqual(ts.map((p) => [findAll(layersOf(p), 'gsm_sms.udh.mm.msg_id')[0], findAll(layersOf(p), 'gsm_sms.udh.mm.msg_part')[0]]), [['1', '1'], ['2', '1'], ['3', '1'], ['2', '2'], ['3', '2'], ['1', '2']]);

    // The default window holds all three: three commands, each from two frames, in the order they complete.
    const ok = JSON.parse(run(['parse', '--read', file, '--json', ...K]).stdout);
    assert.deepEqual(ok.items.map((i: { frames: number[] }) => i.frames), [[2, 4], [3, 5], [1, 6]]);
    assert.deepEqual(ok.items.map((i: { checksum: { verified: boolean } }) => i.checksum.verified), [true, true, true]);

    // A window of 2: frame 3 opens a third message, so the one of frame 1 is evicted (part 2 missing);
    // frame 6 (its part 2) then waits alone until the end (part 1 missing). Exit 2: both are malformed.
    const r = run(['parse', '--read', file, '--json', '--pairing-window', '2', ...K]);
    assert.equal(r.code, 2, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.items.map((i: { frames?: number[]; frame: number }) => i.frames ?? [i.frame]), [[1], [2, 4], [3, 5], [6]]);
    assert.match(j.items[0].error, /part 2 of 2 missing \(evicted: more than 2 unfinished concatenated messages, see --pairing-window\)/);
    assert.deepEqual([j.items[1].checksum.verified, j.items[2].checksum.verified], [true, true]);
    assert.match(j.items[3].error, /part 1 of 2 missing \(not in the capture\)/);
    assert.equal(j.summary.errors, 2);
    assert.match(r.stderr, /^uicc-ota: .* frame 1: concatenated SMS \(8-bit reference 1\) Message part number: part 2 of 2 missing \(evicted/m);

    const bad = run(['parse', '--read', file, '--pairing-window', '0']);
    assert.equal(bad.code, 2);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
  });

  it('bounds the commands waiting for a PoR: an unanswered one evicted is noted, a PoR without its command is checked without it', () => {
    // Commands to three TARs, then the PoR of the first (TAR B00010).
    const cmd = (tar: string) => {
      const f = tmp('pcap');
      assert.equal(run(['build', 'sms', ...K, '--tar', tar, '--counter', '1', '--apdu', '00A40004023F00', '--format', 'envelope', '--pcap', f]).code, 0);
      return records(f).recs[0];
    };
    const file = tmp('pcap');
    writeFileSync(file, Buffer.concat([HEADER, PAIR[0], cmd('B00011'), cmd('B00012'), PAIR[1]]));
    assert.deepEqual(ins(tsharkJson(file)), ['0xc2', '0xc2', '0xc2', '0x12']);
    const whole = JSON.parse(run(['parse', '--read', file, '--json', ...K]).stdout);
    assert.equal(whole.items[3].requestFrame, 1);
    const r = run(['parse', '--read', file, '--json', '--pairing-window', '2', ...K]);
    const j = JSON.parse(r.stdout);
    assert.equal(j.items[3].requestFrame, undefined, 'the command of frame 1 left the window');
    assert.ok(j.notes.some((n: string) => /^frame 1: command packet \(TAR B00010\) evicted from the pairing window unanswered/.test(n)), j.notes.join('\n'));
  });
});

describe('parse --read says what it could not check', () => {
  it('a GSMTAP frame cut by the snap length (editcap -s) is a malformed item, not an APDU with the last data octets taken for its status word', () => {
    const whole = pairsFile(1);
    const cut = tmp('pcap');
    // The PoR frame is the longer one: cut both at 100 octets, as tshark then sees it (frame.cap_len < frame.len).
    execFileSync('editcap', ['-F', 'pcap', '-s', '100', whole, cut]);
    const lens = spawnSync(tsharkPath(), ['-r', cut, '-T', 'fields', '-e', 'frame.cap_len', '-e', 'frame.len'], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split('\t').map(Number));
    const cutFrames = lens.map(([cap, len], i) => (cap < len ? i + 1 : 0)).filter(Boolean);
    assert.ok(cutFrames.length >= 1, `tshark sees a cut frame: ${JSON.stringify(lens)}`);
    const r = run(['parse', '--read', cut, '--json', ...K]);
    assert.equal(r.code, 2, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verified, null);
    for (const f of cutFrames) {
      const it = j.items.find((i: { frame: number }) => i.frame === f);
      assert.match(it.error, /cut short by the capture's snap length .*its APDU and status word are incomplete/);
    }
    const t = run(['parse', '--read', cut, ...K]);
    assert.match(t.stdout, /Verification: incomplete/);
    assert.doesNotMatch(t.stdout, /Verification: passed/);
  });

  it('a PoR without RC/CC/DS: the text verdict is incomplete, as JSON verified is null', () => {
    const env = tmp('pcap');
    assert.equal(run(['build', 'sms', ...K, '--spi', '1621', '--counter', '5', '--apdu', '00A40004023F00', '--format', 'envelope', '--pcap', env]).code, 0);
    const pkt = run(['build', 'sms', ...K, '--spi', '1621', '--counter', '5', '--apdu', '00A40004023F00', '--format', 'packet']).stdout.trim();
    const por = tmp('pcap');
    assert.equal(run(['build', 'por', ...K, '--request', pkt, '--sw', '9000', '--format', 'proactive', '--pcap', por]).code, 0);
    const f = tmp('pcap');
    writeFileSync(f, Buffer.concat([HEADER, records(env).recs[0], records(por).recs[0]]));
    assert.deepEqual(ins(tsharkJson(f)), ['0xc2', '0x12']);
    const j = JSON.parse(run(['parse', '--read', f, '--json', ...K]).stdout);
    assert.equal(j.verified, null);
    const t = run(['parse', '--read', f, ...K]);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /Verification: incomplete .*1 item with nothing verified or something not checked/);
  });

  it('a failed check in a capture cut short: the verdict is FAILED and names where reading stopped; exit 2', () => {
    const whole = readFileSync(pairsFile(2));
    const f = tmp('pcap');
    writeFileSync(f, whole.subarray(0, whole.length - 5));
    const r = run(['parse', '--read', f, ...K, '--kid-key', '11111111111111111111111111111111']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /Verification: FAILED .*CC mismatch.*and the capture stopped at byte \d+, before frame 4/);
    const j = JSON.parse(run(['parse', '--read', f, ...K, '--kid-key', '11111111111111111111111111111111', '--json']).stdout);
    assert.equal(j.verified, false);
  });

  it('CAT_TP datagrams cut by the snap length are malformed items, not "nothing OTA-related"', () => {
    const ct = tmp('pcap');
    assert.equal(run(['build', 'cattp', ...K, '--spi', '1629', '--counter', '9', '--apdu', 'A0A40000027F20', '--max-pdu', '30', '--pcap', ct]).code, 0);
    const cut = tmp('pcap');
    execFileSync('editcap', ['-F', 'pcap', '-s', '50', ct, cut]);
    const lens = spawnSync(tsharkPath(), ['-r', cut, '-T', 'fields', '-e', 'frame.cap_len', '-e', 'frame.len'], { encoding: 'utf8' }).stdout.trim().split('\n').map((l) => l.split('\t').map(Number));
    assert.ok(lens.length >= 2 && lens.every(([cap, len]) => cap < len), `tshark: every frame cut, ${JSON.stringify(lens)}`);
    const r = run(['parse', '--read', cut, '--json', ...K]);
    assert.equal(r.code, 2, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.items.length, lens.length);
    for (const it of j.items) assert.match(it.error, /cut short by the capture's snap length .*looks like a CAT_TP PDU, not decoded/);
  });

  it('a malformed item\'s line on stderr comes as it is read, not at the end (a FIFO written in two steps)', async () => {
    const cutFile = tmp('pcap');
    execFileSync('editcap', ['-F', 'pcap', '-s', '60', pairsFile(1), cutFile]);
    const cut = records(cutFile);
    const fifo = join(DIR, 'errors.fifo');
    execFileSync('mkfifo', [fifo]);
    const p = spawn(process.execPath, [BIN, 'parse', '--read', fifo, '--ndjson', ...K], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    const firstError = new Promise<string>((res) => p.stderr.on('data', (d) => {
      stderr += d;
      if (stderr.includes('\n')) res(stderr);
    }));
    const closed = new Promise<number>((res) => p.on('close', (c) => res(c ?? -1)));
    p.stdout.resume();
    const fd = openSync(fifo, 'w');
    writeSync(fd, Buffer.concat([cut.header, cut.recs[0]]));
    const timeout = new Promise<string>((_res, rej) => setTimeout(() => rej(new Error('no error line while the capture was still open')), 20000));
    const seen = await Promise.race([firstError, timeout]);
    assert.match(seen, /^uicc-ota: .*frame 1: .*cut short by the capture's snap length/);
    assert.equal(p.exitCode, null, 'still reading');
    writeSync(fd, Buffer.concat(cut.recs.slice(1)));
    closeSync(fd);
    assert.equal(await closed, 2);
    assert.equal(stderr.trim().split('\n').length, cut.recs.length, `one line per cut frame, none repeated at the end: ${stderr}`);
  });

  it('a PoR read without its command names the missing KID as the reason its CC was not checked', () => {
    // PoR of TS 102 225 Table 4 layout: RPL 0016, RHL 12 (TAR, CNTR, PCNTR, status, 8-octet CC), data 01 90 00.
    const r = run(['parse', '001612B000100000000005000070301E27C5F6B3F2019000', '--json', ...K]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.checksum.verified, null);
    assert.match(j.checksum.reason, /the command's KID is unknown \(give --request/);
  });

  it('a command that asked for a PoR and got none is noted (replaced by the next command to its TAR, or at the end)', () => {
    const f = tmp('pcap');
    writeFileSync(f, Buffer.concat([HEADER, PAIR[0], PAIR[0], PAIR[1], PAIR[0]]));
    assert.deepEqual(ins(tsharkJson(f)), ['0xc2', '0xc2', '0x12', '0xc2']);
    const j = JSON.parse(run(['parse', '--read', f, '--json', ...K]).stdout);
    const none = j.notes.filter((n: string) => /asked for a PoR; none came/.test(n));
    assert.deepEqual(none, [
      'frame 1: command packet (TAR B00010) asked for a PoR; none came before the next command to that TAR (frame 2)',
      'frame 4: command packet (TAR B00010) asked for a PoR; none came in the capture',
    ]);
  });

  it('frames of a link type it cannot read are named in JSON notes, not only in the text summary', () => {
    const f = tmp('pcap');
    const h = Buffer.from(HEADER);
    h.writeUInt32LE(147, 20); // DLT_USER0: tshark names it "USER 0", frames it does not dissect
    writeFileSync(f, Buffer.concat([h, ...PAIR]));
    const encap = spawnSync(tsharkPath(), ['-r', f, '-T', 'fields', '-e', 'frame.encap_type'], { encoding: 'utf8' }).stdout.trim().split('\n');
    assert.equal(encap.length, 2);
    const j = JSON.parse(run(['parse', '--read', f, '--json', ...K]).stdout);
    assert.ok(j.notes.includes('2 frames not decoded: link type 147 not supported'), j.notes.join('\n'));
  });

  it('a record claiming more than 262144 captured octets is a corrupt record header (as tshark says), not a file cut short', () => {
    const whole = readFileSync(pairsFile(1));
    const f = tmp('pcap');
    const b = Buffer.from(whole);
    b.writeUInt32LE(300000, 24 + 8);
    writeFileSync(f, b);
    const t = spawnSync(tsharkPath(), ['-r', f], { encoding: 'utf8' });
    assert.match(t.stderr, /300000-byte packet, bigger than maximum of 262144/);
    const r = run(['parse', '--read', f, ...K]);
    assert.equal(r.code, 2);
    assert.ok(isOneLineError(r.stderr), r.stderr);
    assert.match(r.stderr, /frame 1 at byte 24: record says 300000 captured octets, more than the 262144 of any real frame \(corrupt record header\)/);
  });

  it('--follow: a capture file still being written is read as it grows; SIGINT ends it with the summary, an incomplete last record noted, not damage', async () => {
    const file = tmp('pcap');
    writeFileSync(file, Buffer.concat([HEADER, ...PAIR]));
    const p = spawn(process.execPath, [BIN, 'parse', '--read', file, '--follow', '--ndjson', ...K], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    p.stdout.on('data', (d) => (stdout += d));
    const lines = async (n: number) => {
      for (const t0 = Date.now(); stdout.split('\n').length <= n; await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() - t0 > 20000) throw new Error(`fewer than ${n} lines while following; stdout: ${stdout} stderr: ${stderr}`);
      }
    };
    const closed = new Promise<number>((res) => p.on('close', (c) => res(c ?? -1)));
    await lines(2); // the first pair, at the end of the file as it was
    assert.equal(p.exitCode, null, 'still following at the end of the file');
    const fd = openSync(file, 'a');
    writeSync(fd, Buffer.concat(PAIR)); // the writer adds a pair...
    await lines(4);
    const half = Buffer.concat(PAIR);
    writeSync(fd, half.subarray(0, 30)); // ...and the start of the next record
    closeSync(fd);
    await new Promise((r) => setTimeout(r, 500));
    p.kill('SIGINT');
    assert.equal(await closed, 0, stderr);
    const recs = stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(recs.map((r) => r.record), ['item', 'item', 'item', 'item', 'end']);
    const end = recs[4];
    assert.equal(end.frames, 4);
    assert.equal(end.stopped, undefined, 'not damage');
    assert.ok(end.notes.includes('following stopped after frame 4; the 30 octets after it (a record still being written) were not read'), end.notes.join('\n'));
    // Text: the same note in the summary (SIGTERM this time).
    const file2 = tmp('pcap');
    writeFileSync(file2, Buffer.concat([HEADER, ...PAIR, Buffer.concat(PAIR).subarray(0, 30)]));
    const t = spawn(process.execPath, [BIN, 'parse', '--read', file2, '--follow', ...K], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let text = '';
    t.stdout.on('data', (d) => (text += d));
    const tClosed = new Promise<number>((res) => t.on('close', (c) => res(c ?? -1)));
    for (const t0 = Date.now(); !text.includes('Frame 2'); await new Promise((r) => setTimeout(r, 20))) assert.ok(Date.now() - t0 < 20000, 'the exchange printed while following');
    t.kill('SIGTERM');
    assert.equal(await tClosed, 0);
    assert.match(text, /Note: following stopped after frame 2; the 30 octets after it \(a record still being written\) were not read/);
  });

  it('the library follows too: readCapture(path, { follow: { signal } }) yields items as the file grows, ends when the signal aborts', async () => {
    const { readCapture } = await import('../src/api/index.js');
    const file = tmp('pcap');
    writeFileSync(file, Buffer.concat([HEADER, ...PAIR]));
    const ac = new AbortController();
    const got: Record<string, unknown>[] = [];
    const reading = (async () => {
      for await (const item of readCapture(file, { keyset: KEYSET, follow: { signal: ac.signal, pollMs: 50 } })) {
        got.push(item);
        if (got.length === 2) {
          const fd = openSync(file, 'a');
          writeSync(fd, Buffer.concat(PAIR)); // more after the end that was
          writeSync(fd, Buffer.concat(PAIR).subarray(0, 20)); // and a record being written
          closeSync(fd);
        }
        if (got.length === 4) setTimeout(() => ac.abort(), 200);
      }
    })();
    await reading; // ends (not a hang, not an error for the incomplete record) once aborted
    assert.deepEqual(got.map((i) => [i.frame, i.type]), [[1, 'command'], [2, 'response'], [3, 'command'], [4, 'response']]);
  });

  it('--follow is refused without --read FILE, and with --read - or a FIFO (read as they come anyway)', () => {
    const fifo = join(DIR, 'follow.fifo');
    execFileSync('mkfifo', [fifo]);
    for (const args of [['parse', '00', '--follow'], ['parse', '--read', '-', '--follow'], ['parse', '--read', fifo, '--follow']]) {
      const r = run(args, { input: 'x' });
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.match(r.stderr, /--follow/);
    }
  });

  it('--ndjson and --pairing-window are refused without --read, --threads with it', () => {
    for (const args of [['parse', '00', '--ndjson'], ['parse', '00', '--pairing-window', '5'], ['parse', '--each', '--ndjson'], ['parse', '--read', pairsFile(1), '--threads', '2']]) {
      const r = run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(isOneLineError(r.stderr), r.stderr);
      assert.equal(r.stdout, '');
    }
  });
});
