/**
 * SDU segmentation and reassembly (TS 102 127 SEG flag, RDP-derived
 * reading): an SDU goes into consecutive data PDUs; SEG = 1 on every segment
 * except the last one of the SDU.
 */
import { InputError } from '../util/errors.js';
import { concat, equalBytes } from '../util/hex.js';
import { FIXED_HEADER_LENGTH, LAYER, type CattpPdu } from './pdu.js';

/** Signed distance a − b in 16-bit sequence space (−32768..32767). */
export function seqDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

export function seqAdd(a: number, n: number): number {
  return (a + n) & 0xffff;
}

export interface SegmentOptions {
  /** Largest PDU the receiver accepts (its SYN maximum PDU size). */
  maxPdu: number;
  /** Sequence number of the first data PDU. */
  firstSeq: number;
  srcPort: number;
  dstPort: number;
  ack: number;
  window: number;
  /** Largest SDU the receiver accepts (its SYN maximum SDU size); checked if given. */
  maxSdu?: number;
}

/** Split an SDU into DATA PDUs of at most maxPdu octets (payload = maxPdu − 18). */
export function segmentSdu(sdu: Uint8Array, o: SegmentOptions): CattpPdu[] {
  if (sdu.length === 0) throw new InputError('SDU is empty; a data PDU needs at least one octet', { layer: LAYER, field: 'SDU' });
  if (o.maxSdu !== undefined && sdu.length > o.maxSdu) {
    throw new InputError(`SDU has ${sdu.length} octets, the receiver accepts at most ${o.maxSdu}`, { layer: LAYER, field: 'maximum SDU size' });
  }
  const room = o.maxPdu - FIXED_HEADER_LENGTH;
  if (!Number.isInteger(o.maxPdu) || room < 1) {
    throw new InputError(`maximum PDU size ${o.maxPdu} leaves no room for data after the 18-octet header`, { layer: LAYER, field: 'maximum PDU size' });
  }
  const n = Math.ceil(sdu.length / room);
  if (n > 0x8000) throw new InputError(`SDU needs ${n} PDUs, more than half the sequence space`, { layer: LAYER, field: 'SDU' });
  const out: CattpPdu[] = [];
  for (let i = 0; i < n; i++) {
    const pdu: CattpPdu = {
      type: 'DATA',
      srcPort: o.srcPort,
      dstPort: o.dstPort,
      seq: seqAdd(o.firstSeq, i),
      ack: o.ack,
      window: o.window,
      data: sdu.slice(i * room, Math.min(sdu.length, (i + 1) * room)),
    };
    if (i < n - 1) pdu.seg = true;
    out.push(pdu);
  }
  return out;
}

export interface ReassembledSdu {
  data: Uint8Array;
  firstSeq: number;
  lastSeq: number;
  /**
   * false when the SDU's start is uncertain (it follows a gap) or its end is
   * missing (the last PDU present still has SEG = 1).
   */
  complete: boolean;
}

export interface ReassemblyResult {
  sdus: ReassembledSdu[];
  /** Sequence numbers missing between the first and last PDU present. */
  gaps: number[];
  /** Sequence numbers seen more than once (later copies ignored). */
  duplicates: number[];
  /** Duplicates whose data differed from the first copy. */
  conflicts: number[];
}

/**
 * Reassemble data PDUs (any order) into SDUs by sequence number. The first PDU
 * is taken as the start of an SDU; sequence wrap-around is handled by starting
 * after the largest hole in sequence space.
 */
export function reassemble(pdus: CattpPdu[]): ReassemblyResult {
  const bySeq = new Map<number, CattpPdu>();
  const duplicates: number[] = [];
  const conflicts: number[] = [];
  for (const p of pdus) {
    if (!p.data.length) continue; // pure ACK/EACK/NUL carry no SDU octets
    const prev = bySeq.get(p.seq);
    if (prev) {
      duplicates.push(p.seq);
      if (!equalBytes(prev.data, p.data) || !!prev.seg !== !!p.seg) conflicts.push(p.seq);
      continue;
    }
    bySeq.set(p.seq, p);
  }
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  if (!seqs.length) return { sdus: [], gaps: [], duplicates, conflicts };
  // Start after the largest circular hole, so 65534, 65535, 0, 1 stay in order.
  let start = 0;
  let widest = -1;
  for (let i = 0; i < seqs.length; i++) {
    const next = seqs[(i + 1) % seqs.length];
    const hole = (next - seqs[i] + 0x10000) & 0xffff || 0x10000;
    if (hole > widest) {
      widest = hole;
      start = (i + 1) % seqs.length;
    }
  }
  const ordered = [...seqs.slice(start), ...seqs.slice(0, start)];

  const sdus: ReassembledSdu[] = [];
  const gaps: number[] = [];
  let parts: Uint8Array[] = [];
  let first = ordered[0];
  let certainStart = true;
  let prev: number | undefined;
  for (const s of ordered) {
    if (prev !== undefined && s !== seqAdd(prev, 1)) {
      for (let m = seqAdd(prev, 1); m !== s; m = seqAdd(m, 1)) gaps.push(m);
      if (parts.length) sdus.push({ data: concat(...parts), firstSeq: first, lastSeq: prev, complete: false });
      parts = [];
      certainStart = false;
    }
    const p = bySeq.get(s)!;
    if (!parts.length) first = s;
    parts.push(p.data);
    if (!p.seg) {
      sdus.push({ data: concat(...parts), firstSeq: first, lastSeq: s, complete: certainStart });
      parts = [];
      certainStart = true;
    }
    prev = s;
  }
  if (parts.length) sdus.push({ data: concat(...parts), firstSeq: first, lastSeq: prev!, complete: false });
  return { sdus, gaps, duplicates, conflicts };
}
