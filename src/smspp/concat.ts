/**
 * Splitting a secured packet into SMS user data and reassembling it
 * (TS 31.115 cl. 4 / TS 23.048 cl. 6.3, IEs of TS 23.040 cl. 9.2.3.24.1/9.2.3.24.8):
 *  - single SM:  02 70 00 ‖ packet                       (packet ≤ 137 octets)
 *  - first part: 07 00 03 rr NN 01 70 00 ‖ packet part   (concatenation IE first)
 *  - part k ≥ 2: 05 00 03 rr NN kk ‖ packet part         (no 70 IE)
 * 16-bit references (IEI 08) make each header one octet longer. Responses use
 * IEI 71 in the same positions (onomondo's layout; unconfirmed elsewhere).
 */
import { InputError } from '../util/errors.js';
import { concat } from '../util/hex.js';
import { type DecodedTpdu, type Direction, decodeTpdu } from './tpdu.js';
import { type ConcatInfo, concatIe, findConcat, findSecurityIe, IEI, udh, type UdhIe } from './udh.js';

/** Maximum TP-UD octets of one SM with an 8-bit DCS. */
export const MAX_UD = 140;
export const MAX_SEGMENTS = 255;

export interface SplitOptions {
  /** Concatenation reference (default 0). */
  ref?: number;
  /** 8 (IEI 00, default) or 16 (IEI 08). */
  refBits?: 8 | 16;
  /** 0x70 command packet (default) or 0x71 response packet. */
  iei?: number;
  /** TP-UD octets per SM (default and maximum 140); smaller values force smaller segments. */
  maxUd?: number;
  /** Concatenate even when the packet would fit one SM (pySim's laforge/ota concatenated test vector does this). */
  force?: boolean;
}

const LAYER = 'concatenation';

/**
 * Split a command packet (CPL…end) — or, with iei 0x71, a response packet
 * (RPL…end) — into the TP-UD of each SM, UDH included.
 */
export function splitPacket(packet: Uint8Array, opts: SplitOptions = {}): Uint8Array[] {
  const iei = opts.iei ?? IEI.CPI;
  if (iei !== IEI.CPI && iei !== IEI.RPI) throw new InputError(`must be 70 (command) or 71 (response), got ${iei.toString(16)}`, { layer: LAYER, field: 'IEI' });
  if (packet.length === 0) throw new InputError('packet is empty', { layer: LAYER, field: 'packet' });
  const maxUd = opts.maxUd ?? MAX_UD;
  if (!Number.isInteger(maxUd) || maxUd < 10 || maxUd > MAX_UD) throw new InputError(`must be 10..${MAX_UD}, got ${maxUd}`, { layer: LAYER, field: 'TP-UD size' });
  const sec: UdhIe = { iei, data: new Uint8Array(0) };
  const single = udh.encode([sec]);
  if (!opts.force && single.length + packet.length <= maxUd) return [concat(single, packet)];

  const refBits = opts.refBits ?? 8;
  if (refBits !== 8 && refBits !== 16) throw new InputError(`must be 8 or 16, got ${refBits}`, { layer: LAYER, field: 'reference size' });
  const ref = opts.ref ?? 0;
  const maxRef = refBits === 8 ? 0xff : 0xffff;
  if (!Number.isInteger(ref) || ref < 0 || ref > maxRef) throw new InputError(`${refBits}-bit reference must be 0..${maxRef}, got ${ref}`, { layer: LAYER, field: 'reference' });
  const concatLen = refBits === 8 ? 5 : 6; // IEI + IEDL + data
  const firstCap = maxUd - (1 + concatLen + 2);
  const otherCap = maxUd - (1 + concatLen);
  const total = packet.length <= firstCap ? 1 : 1 + Math.ceil((packet.length - firstCap) / otherCap);
  if (total > MAX_SEGMENTS) {
    throw new InputError(
      `packet of ${packet.length} octets needs ${total} SMS segments (${firstCap} + ${otherCap} per further segment), more than ${MAX_SEGMENTS}`,
      { layer: LAYER, field: 'Message parts' },
    );
  }
  const out: Uint8Array[] = [];
  let o = 0;
  for (let seq = 1; seq <= total; seq++) {
    const cap = seq === 1 ? firstCap : otherCap;
    const part = packet.subarray(o, Math.min(packet.length, o + cap));
    o += part.length;
    const ies = [concatIe({ ref, refBits, total, seq })];
    if (seq === 1) ies.push(sec);
    out.push(concat(udh.encode(ies), part));
  }
  return out;
}

export interface Reassembled {
  /** The packet (CPL…end or RPL…end). */
  packet: Uint8Array;
  /** 0x70 or 0x71 when one of these IEs was present, else undefined. */
  iei?: number;
  /** Concatenation details (undefined for a single SM without concatenation IE). */
  ref?: number;
  refBits?: 8 | 16;
  total: number;
  /** For each part number 1..total: the index of the input segment used. */
  order: number[];
  /** Deviations that were accepted (e.g. IE 70 repeated in later parts). */
  notes?: string[];
}

/**
 * Reassemble TP-UDs (each starting with its UDH). Segment numbers in errors
 * are 1-based positions in the input; part numbers are the IE's sequence numbers.
 */
export function reassemble(uds: readonly Uint8Array[]): Reassembled {
  if (!uds.length) throw new InputError('no segments given', { layer: LAYER });
  const parsed = uds.map((ud, i) => {
    let h;
    try {
      h = udh.decode(ud, 0);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`segment ${i + 1}: ${e.detail}`, { ...e.where, layer: e.where.layer ?? LAYER });
      throw e;
    }
    return { index: i, ies: h.ies, concat: findConcat(h.ies), sec: findSecurityIe(h.ies), body: ud.subarray(h.length) };
  });
  if (parsed.length === 1 && !parsed[0].concat) {
    const p = parsed[0];
    return { packet: Uint8Array.from(p.body), iei: p.sec, total: 1, order: [0] };
  }
  const noConcat = parsed.filter((p) => !p.concat).map((p) => p.index + 1);
  if (noConcat.length) {
    throw new InputError(`segment${noConcat.length > 1 ? 's' : ''} ${noConcat.join(', ')} ha${noConcat.length > 1 ? 've' : 's'} no concatenation IE (00/08)`, { layer: LAYER, field: 'UDH' });
  }
  const c0 = parsed[0].concat as ConcatInfo;
  const mixed = parsed.filter((p) => p.concat!.ref !== c0.ref || p.concat!.refBits !== c0.refBits);
  if (mixed.length) {
    const desc = (c: ConcatInfo) => `${c.refBits}-bit reference ${c.ref}`;
    throw new InputError(
      `mixed references: segment 1 has ${desc(c0)}, ${mixed.map((p) => `segment ${p.index + 1} has ${desc(p.concat!)}`).join(', ')}`,
      { layer: LAYER, field: 'Message identifier' },
    );
  }
  const totals = new Set(parsed.map((p) => p.concat!.total));
  if (totals.size > 1) {
    throw new InputError(`segments disagree on the number of parts: ${parsed.map((p) => `segment ${p.index + 1} says ${p.concat!.total}`).join(', ')}`, { layer: LAYER, field: 'Message parts' });
  }
  const total = c0.total;
  const bySeq = new Map<number, number[]>();
  for (const p of parsed) {
    const s = p.concat!.seq;
    if (s < 1 || s > total) throw new InputError(`segment ${p.index + 1} has part number ${s}, outside 1..${total}`, { layer: LAYER, field: 'Message part number' });
    bySeq.set(s, [...(bySeq.get(s) ?? []), p.index]);
  }
  const dups = [...bySeq.entries()].filter(([, v]) => v.length > 1);
  if (dups.length) {
    throw new InputError(
      `duplicate part number${dups.length > 1 ? 's' : ''}: ${dups.map(([s, v]) => `part ${s} in segments ${v.map((x) => x + 1).join(' and ')}`).join('; ')}`,
      { layer: LAYER, field: 'Message part number' },
    );
  }
  const missing: number[] = [];
  for (let s = 1; s <= total; s++) if (!bySeq.has(s)) missing.push(s);
  if (missing.length) {
    throw new InputError(`missing part${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${total}`, { layer: LAYER, field: 'Message part number' });
  }
  const order = Array.from({ length: total }, (_, k) => bySeq.get(k + 1)![0]);
  const first = parsed[order[0]];
  // TS 31.115 puts IE 70/71 in part 1 only; some platforms repeat it: accepted, with a note.
  const secElsewhere = order.slice(1).filter((i) => parsed[i].sec !== undefined);
  const notes = secElsewhere.length
    ? [`IE 70/71 repeated in segment${secElsewhere.length > 1 ? 's' : ''} ${secElsewhere.map((i) => i + 1).join(', ')} (TS 31.115 puts it in part 1 only)`]
    : [];
  return {
    notes,
    packet: concat(...order.map((i) => parsed[i].body)),
    iei: first.sec,
    ref: c0.ref,
    refBits: c0.refBits,
    total,
    order,
  };
}

/** Reassemble from whole TPDUs (each must have TP-UDHI set). */
export function reassembleTpdus(tpdus: readonly Uint8Array[], direction: Direction = 'sc-to-ms'): Reassembled & { tpdus: DecodedTpdu[] } {
  const dec = tpdus.map((t, i) => {
    let d: DecodedTpdu;
    try {
      d = decodeTpdu(t, direction);
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`segment ${i + 1}: ${e.detail}`, e.where);
      throw e;
    }
    if (!d.ud || !d.udhi) throw new InputError(`segment ${i + 1} has no user data header (TP-UDHI = 0)`, { layer: d.type, field: 'TP-UDHI', offset: 0 });
    return d;
  });
  return Object.assign(reassemble(dec.map((d) => d.ud as Uint8Array)), { tpdus: dec });
}
