/**
 * Stream framing and script splitting take time linear in their input, however
 * the peer segments it: the HTTP reader of SCP81 (HttpStreamReader), SMPP
 * framing by command_length (SmppConnection), the compact remote-APDU split and
 * the streaming capture reader (CaptureParser) of `parse --read`.
 * Absolute times mean nothing on a shared machine, so each test compares the
 * CPU time of an input 8 times longer: linear work takes about 8 times as
 * long, quadratic work 64 times. The bound is 24, and a control run of a
 * quadratic reader (concatenate every segment, parse again from the start, as
 * the readers did before) shows the measure tells the two apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { HttpStreamReader, readHttpMessage } from '../src/https/http.js';
import { SmppConnection, type Malformed } from '../src/transport/smpp/session.js';
import { loadSmpp, type SmppPdu } from '../src/transport/smpp/lib.js';
import { compactScript } from '../src/remote/compact.js';
import { ByteQueue } from '../src/util/byte-queue.js';
import { CaptureParser, type CaptureFrame } from '../src/pcap/read.js';
import { OtaError } from '../src/util/errors.js';

const SCALE = 8;
const RATIO_MAX = 24;

/** Least CPU time (ms) of `runs` runs of fn (the least is the one least disturbed by others). */
function cpuMs(fn: () => void, runs = 3): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000);
  }
  return best;
}

/** CPU-time ratio of work(SCALE n) to work(n), after a warm-up run (JIT). */
function ratio(work: (n: number) => void, n: number, runs = 3, largeRuns = runs): { r: number; small: number; large: number } {
  work(n);
  const small = Math.max(cpuMs(() => work(n), runs), 0.5);
  const large = cpuMs(() => work(SCALE * n), largeRuns);
  console.log(`# ${n} → ${SCALE * n}: ${small.toFixed(1)} → ${large.toFixed(1)} ms CPU, ratio ${(large / small).toFixed(1)}`);
  return { r: large / small, small, large };
}

const enc = new TextEncoder();
const body = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

/**
 * An agent's POST with a chunked body (RFC 7230 cl. 4.1: hex size CRLF data CRLF, last chunk 0),
 * written out by hand here rather than by the codec, in chunks of 100 octets.
 */
function chunkedPost(data: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [enc.encode('POST /server/admin HTTP/1.1\r\nHost: ota.example\r\nTransfer-Encoding: chunked\r\nContent-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\n\r\n')];
  for (let i = 0; i < data.length; i += 100) {
    const c = data.subarray(i, i + 100);
    parts.push(enc.encode(`${c.length.toString(16)}\r\n`), c, enc.encode('\r\n'));
  }
  parts.push(enc.encode('0\r\n\r\n'));
  return Uint8Array.from(Buffer.concat(parts));
}

function contentLengthAnswer(data: Uint8Array): Uint8Array {
  return Uint8Array.from(Buffer.concat([enc.encode(`HTTP/1.1 200 OK\r\nContent-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\nContent-Length: ${data.length}\r\n\r\n`), data]));
}

/** Feed `msg` one octet per segment (the worst a peer can do); returns the bodies read. */
function streamOctetwise(msg: Uint8Array): Uint8Array[] {
  const r = new HttpStreamReader();
  const out: Uint8Array[] = [];
  for (let i = 0; i < msg.length; i++) {
    r.push(msg.subarray(i, i + 1));
    for (let m = r.next(); m; m = r.next()) out.push(m.message.body);
  }
  return out;
}

/** The former reading: concatenate each segment to the buffer and parse from the start again. */
function quadraticOctetwise(msg: Uint8Array): number {
  let buf = new Uint8Array(0);
  let n = 0;
  for (let i = 0; i < msg.length; i++) {
    const next = new Uint8Array(buf.length + 1);
    next.set(buf);
    next[buf.length] = msg[i];
    buf = next;
    const r = readHttpMessage(buf);
    if (r) {
      n++;
      buf = buf.slice(r.end);
    }
  }
  return n;
}

test('HttpStreamReader: a chunked POST and a Content-Length answer fed one octet per segment are read whole', () => {
  const data = body(1000);
  const got = streamOctetwise(Uint8Array.from(Buffer.concat([chunkedPost(data), contentLengthAnswer(data.subarray(0, 333))])));
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], data);
  assert.deepEqual(got[1], data.subarray(0, 333));
});

test('HttpStreamReader: CPU time grows linearly with a chunked body fed one octet per segment', () => {
  const { r, small, large } = ratio((n) => assert.equal(streamOctetwise(chunkedPost(body(n)))[0].length, n), 16384);
  assert.ok(r < RATIO_MAX, `${SCALE}x the octets took ${r.toFixed(1)}x the CPU time (${small.toFixed(1)} → ${large.toFixed(1)} ms)`);
});

test('HttpStreamReader: CPU time grows linearly with a Content-Length body fed one octet per segment', () => {
  const { r, small, large } = ratio((n) => assert.equal(streamOctetwise(contentLengthAnswer(body(n)))[0].length, n), 16384);
  assert.ok(r < RATIO_MAX, `${SCALE}x the octets took ${r.toFixed(1)}x the CPU time (${small.toFixed(1)} → ${large.toFixed(1)} ms)`);
});

test('control: the measure sees the former concatenate-and-reparse reader as quadratic', () => {
  // 4,096 octets, not fewer: at 2,048 the reader's linear per-octet work is still of the order of its
  // quadratic re-parsing, so the ratio sat near the bound (23-60 across runs) instead of well above it.
  const { r, small, large } = ratio((n) => assert.equal(quadraticOctetwise(chunkedPost(body(n))), 1), 4096, 5, 1);
  assert.ok(r > RATIO_MAX, `${SCALE}x the octets took only ${r.toFixed(1)}x the CPU time (${small.toFixed(1)} → ${large.toFixed(1)} ms)`);
});

test('ByteQueue: octets come out in order whatever the segment sizes, with the queue drained and refilled', () => {
  const q = new ByteQueue(16);
  const data = body(5000);
  const out: number[] = [];
  for (let p = 0, k = 1; p < data.length; k = (k * 7) % 61 + 1) {
    q.push(data.subarray(p, p + k));
    p += k;
    if (q.length > 40) out.push(...q.take(q.length - 13));
  }
  out.push(...q.take(q.length));
  assert.equal(q.length, 0);
  assert.deepEqual(Uint8Array.from(out), data);
});

class FakeSocket extends EventEmitter {
  write(): boolean {
    return true;
  }
}

test('SMPP framing: a submit_sm fed one octet per segment arrives whole', () => {
  // The PDU octets come from the npm smpp package's encoder (SMPP 3.4 cl. 4.4.1, message_payload TLV cl. 5.3.2.32).
  const lib = loadSmpp();
  const raw = Uint8Array.from(new lib.PDU('submit_sm', { sequence_number: 1, source_addr: '1234', destination_addr: '5678', esm_class: 0x40, protocol_id: 0x7f, data_coding: 0x02, message_payload: Buffer.from(body(4000)) }).toBuffer());
  const sock = new FakeSocket();
  const conn = new SmppConnection(sock as unknown as Socket);
  const got: SmppPdu[] = [];
  conn.on('pdu', (p: SmppPdu) => got.push(p));
  for (let i = 0; i < raw.length; i++) sock.emit('data', Buffer.from(raw.subarray(i, i + 1)));
  assert.equal(got.length, 1);
  assert.deepEqual(Uint8Array.from(got[0].message_payload as Uint8Array), body(4000));
});

test('SMPP framing: CPU time grows linearly with a PDU of up to 65600 octets fed one octet per segment', () => {
  // command_length n (within MAX_PDU) and n octets: framing must gather all of them before the
  // PDU is decoded (as a submit_sm of zeros, or refused by the package above 16384 octets: one
  // non-fatal malformed report; either way one outcome for sequence number 1).
  const feed = (n: number) => {
    const raw = new Uint8Array(n);
    new DataView(raw.buffer).setUint32(0, n);
    raw[7] = 0x04; // command_id 00000004 submit_sm
    raw[15] = 1; // sequence_number 1
    const sock = new FakeSocket();
    const conn = new SmppConnection(sock as unknown as Socket);
    const bad: Malformed[] = [];
    conn.on('malformed', (m: Malformed) => bad.push(m));
    conn.on('pdu', (p: SmppPdu) => bad.push({ reason: 'decoded', status: 0, sequence: p.sequence_number, raw, fatal: false }));
    for (let i = 0; i < n; i++) sock.emit('data', Buffer.from(raw.subarray(i, i + 1)));
    assert.deepEqual(bad.map((m) => [m.fatal, m.sequence]), [[false, 1]]);
  };
  const { r, small, large } = ratio(feed, 8200);
  assert.ok(r < RATIO_MAX, `${SCALE}x the octets took ${r.toFixed(1)}x the CPU time (${small.toFixed(1)} → ${large.toFixed(1)} ms)`);
});

test('compact remote-APDU split: CPU time grows linearly on the adversarial all-AF script (test/fuzz-corpus/remote-compact)', () => {
  const split = (n: number) => {
    // INS AF has no known direction and P3 AF reads both as Le and as Lc at every command.
    try {
      compactScript.decode(new Uint8Array(n).fill(0xaf));
    } catch (e) {
      assert.ok(e instanceof OtaError, String(e));
    }
  };
  const { r, small, large } = ratio(split, 32768);
  assert.ok(r < RATIO_MAX, `${SCALE}x the octets took ${r.toFixed(1)}x the CPU time (${small.toFixed(1)} → ${large.toFixed(1)} ms)`);
});

/**
 * A classic pcap file written out by hand (libpcap file format: 24-octet header with magic A1B2C3D4
 * little-endian, version 2.4, snaplen, LINKTYPE_RAW 101; one 16-octet record header ts_sec ‖ ts_usec
 * ‖ incl_len ‖ orig_len) holding one record of n octets.
 */
function bigRecordPcap(n: number): Uint8Array {
  const out = new Uint8Array(24 + 16 + n);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 0x4000000, true);
  dv.setUint32(20, 101, true);
  dv.setUint32(24 + 8, n, true);
  dv.setUint32(24 + 12, n, true);
  out.set(body(n), 40);
  return out;
}

/** Feed `file` to a CaptureParser in pieces of `piece` octets; returns the frames. */
function captureInPieces(file: Uint8Array, piece: number): CaptureFrame[] {
  const p = new CaptureParser('big');
  const frames: CaptureFrame[] = [];
  const on = (f: CaptureFrame) => void frames.push(f);
  for (let i = 0; i < file.length; i += piece) p.push(file.subarray(i, i + piece), on);
  p.end(on);
  return frames;
}

test('CaptureParser: a record fed in 64-octet pieces comes out whole, at the right offset', () => {
  const frames = captureInPieces(bigRecordPcap(100000), 64);
  assert.equal(frames.length, 1);
  assert.equal(frames[0].number, 1);
  assert.equal(frames[0].offset, 24); // the record follows the 24-octet file header
  assert.deepEqual(frames[0].data, body(100000));
});

test('CaptureParser: CPU time grows linearly with one big record fed in 16-octet pieces', () => {
  // Before the fix every piece copied all the buffered octets (quadratic): on this machine
  // 131072 → 1048576 octets in 64-octet pieces took 42.2 → 1613.4 ms CPU, ratio 38.3 (then about
  // 6 → 44 ms, ratio 7). The record now stays within the 262144 octets a pcap record may hold
  // (libpcap's MAXIMUM_SNAPLEN, beyond which it is a corrupt header), in smaller pieces.
  const feed = (n: number) => {
    const frames = captureInPieces(bigRecordPcap(n), 16);
    assert.equal(frames.length, 1);
    assert.equal(frames[0].data.length, n);
  };
  const { r, small, large } = ratio(feed, 32768);
  assert.ok(r < RATIO_MAX, `${SCALE}x the octets took ${r.toFixed(1)}x the CPU time (${small.toFixed(1)} → ${large.toFixed(1)} ms)`);
});
