/**
 * Compact remote APDU format, TS 102 226 cl. 5.1 (5.1.1 commands, 5.1.2 response).
 *
 * Command: C-APDUs concatenated, each coded like a T=0 command TPDU
 * `CLA INS P1 P2 P3 [data]` (case 1: P3 = 00; case 2: P3 = Le; case 3 and 4:
 * P3 = Lc + data, case 4 without Le). There are no separators, so splitting
 * needs to know whether P3 is an Le or an Lc: see decode().
 *
 * Response: number of executed commands (1) ‖ SW1 SW2 of the last one (2) ‖
 * its response data (n).
 */
import { InputError } from '../util/errors.js';
import { concat, hex2 } from '../util/hex.js';
import {
  type ApduHeader, type CApdu, type Direction, type ScriptApdu,
  insDirection, parseCApdu,
} from './apdu.js';

export const COMPACT_LAYER = 'remote APDU (compact)';

export interface CompactScript {
  format: 'compact';
  apdus: ScriptApdu[];
}

export interface CompactResponse {
  format: 'compact';
  /** Number of commands executed (reported, never validated: cards differ, TS 102 226 cl. 5.1.2). */
  executed: number;
  /** SW1 SW2 (or 61xx / 9Fxx procedure bytes) of the last executed command. */
  sw: number;
  /** Response data of the last executed command (may be empty). */
  data: Uint8Array;
}

export interface CompactDecodeOptions {
  /**
   * Override for the P3 direction of a command (consulted before the built-in
   * INS table). Return undefined to fall back to the table.
   */
  direction?: (h: ApduHeader) => Direction | undefined;
}


/**
 * Convert one C-APDU to its compact (T=0 TPDU) coding: case 1 gets P3 = 00,
 * case 4 loses its Le (the card answers 61xx / 9Fxx and a GET RESPONSE must
 * follow in the script). Extended lengths cannot be expressed.
 */
export function toCompactTpdu(a: CApdu, field = 'C-APDU'): Uint8Array {
  const nc = a.data?.length ?? 0;
  if (nc > 255) {
    throw new InputError(`${nc} data octets need an extended Lc, which a T=0 TPDU cannot carry`, {
      layer: COMPACT_LAYER, field,
    });
  }
  const hdr = [a.cla, a.ins, a.p1, a.p2];
  if (nc > 0) return concat(Uint8Array.from(hdr), Uint8Array.of(nc), a.data!);
  if (a.le === undefined) return Uint8Array.from([...hdr, 0]);
  const ne = a.le === 0 ? 256 : a.le;
  if (ne > 256) {
    throw new InputError(`Le of ${ne} needs extended length, which a T=0 TPDU cannot carry`, {
      layer: COMPACT_LAYER, field,
    });
  }
  return Uint8Array.from([...hdr, ne & 0xff]);
}

export const compactScript = {
  /** Encode C-APDUs; raw APDUs are read in ISO 7816-4 form (unambiguous by length). */
  encode(apdus: (CApdu | Uint8Array)[]): Uint8Array {
    return concat(
      ...apdus.map((a, i) => {
        const field = `C-APDU ${i + 1}`;
        const c = a instanceof Uint8Array ? parseCApdu(a, COMPACT_LAYER, field) : a;
        return toCompactTpdu(c, field);
      }),
    );
  },

  encodingLength(apdus: (CApdu | Uint8Array)[]): number {
    return compactScript.encode(apdus).length;
  },

  /**
   * Split a compact script. Commands whose INS is in the direction table are
   * split by it; for other INS values both readings of P3 are tried and the
   * one that splits the whole rest of the script is used (flagged
   * `inferred`). If both readings work the script is ambiguous and an
   * InputError names the P3 octet — the caller can then supply `direction`.
   */
  decode(b: Uint8Array, start = 0, opts: CompactDecodeOptions = {}): CompactScript {
    const end = b.length;
    // One header object reused for the table lookup (a caller's `direction` gets its own).
    const scratch: ApduHeader = { cla: 0, ins: 0, p1: 0, p2: 0 };
    const dirOf = (o: number): Direction | undefined => {
      if (opts.direction) {
        const h = { cla: b[o], ins: b[o + 1], p1: b[o + 2], p2: b[o + 3] };
        return opts.direction(h) ?? insDirection(h);
      }
      scratch.cla = b[o];
      scratch.ins = b[o + 1];
      scratch.p1 = b[o + 2];
      scratch.p2 = b[o + 3];
      return insDirection(scratch);
    };
    // Next-command offsets reachable from `o` (one per reading of P3).
    const steps = (o: number): { next: number; dir: Direction }[] => {
      if (end - o < 5) return [];
      const p3 = b[o + 4];
      const d = dirOf(o);
      const out: { next: number; dir: Direction }[] = [];
      if (d !== 'out') out.push({ next: o + 5 + p3, dir: 'in' });
      if (d !== 'in' && (p3 !== 0 || d === 'out')) out.push({ next: o + 5, dir: 'out' });
      return out.filter((s) => s.next <= end);
    };
    // ways(o): number of complete splits of [o, end), capped at 2, for every offset from the end
    // backwards in a flat array (each reading of P3 only moves forward), so that the split is linear
    // in the script length and allocates nothing per offset. The same readings as steps().
    const memo = new Int8Array(Math.max(0, end - start + 1));
    if (end >= start) memo[end - start] = 1;
    for (let o = end - 5; o >= start; o--) {
      const p3 = b[o + 4];
      const d = dirOf(o);
      let n = 0;
      if (d !== 'out' && o + 5 + p3 <= end) n += memo[o + 5 + p3 - start];
      if (d !== 'in' && (p3 !== 0 || d === 'out')) n += memo[o + 5 - start];
      memo[o - start] = n > 2 ? 2 : n;
    }
    const ways = (o: number): number => memo[o - start];

    const apdus: ScriptApdu[] = [];
    let o = start;
    while (o < end) {
      const have = end - o;
      if (have < 5) {
        throw new InputError(`C-APDU header needs 5 octets (CLA INS P1 P2 P3), ${have} present`, {
          layer: COMPACT_LAYER, field: `C-APDU ${apdus.length + 1}`, offset: o,
        });
      }
      const p3 = b[o + 4];
      const known = dirOf(o);
      const all = steps(o);
      const good = all.filter((s) => ways(s.next) > 0);
      let pick = good[0];
      if (good.length > 1) {
        throw new InputError(
          `ambiguous: INS ${hex2(b[o + 1])} is not a known command, and P3 ${hex2(p3)} read as Le and as Lc ` +
            'both split the rest of the script; state the direction of this INS',
          { layer: COMPACT_LAYER, field: `C-APDU ${apdus.length + 1} P3`, offset: o + 4 },
        );
      }
      if (!pick) {
        // No complete split from here: take the reading the table (or Lc, the
        // more common one) gives and report where it runs out of input.
        const dir: Direction = known ?? 'in';
        if (dir === 'in' && o + 5 + p3 > end) {
          throw new InputError(`Lc ${hex2(p3)} says ${p3} data octets, ${end - o - 5} present`, {
            layer: COMPACT_LAYER, field: `C-APDU ${apdus.length + 1} Lc`, offset: o + 4,
          });
        }
        pick = { dir, next: dir === 'in' ? o + 5 + p3 : o + 5 };
      }
      const raw = b.subarray(o, pick.next);
      const cla = b[o], ins = b[o + 1], p1 = b[o + 2], p2 = b[o + 3];
      const inferred = known === undefined && p3 !== 0;
      // Keys in the order they always had (JSON and trees read them by name).
      if (p3 === 0 && pick.dir === 'in') apdus.push({ cla, ins, p1, p2, raw, offset: o, case: 1 });
      else if (pick.dir === 'out') apdus.push(inferred ? { cla, ins, p1, p2, raw, offset: o, case: 2, le: p3 || 256, inferred } : { cla, ins, p1, p2, raw, offset: o, case: 2, le: p3 || 256 });
      else apdus.push(inferred ? { cla, ins, p1, p2, raw, offset: o, case: 3, data: raw.subarray(5), inferred } : { cla, ins, p1, p2, raw, offset: o, case: 3, data: raw.subarray(5) });
      o = pick.next;
    }
    return { format: 'compact', apdus };
  },
};

export const compactResponse = {
  encode(r: Omit<CompactResponse, 'format'>): Uint8Array {
    if (!Number.isInteger(r.executed) || r.executed < 0 || r.executed > 255) {
      throw new InputError(`must be 0–255, got ${r.executed}`, { layer: COMPACT_LAYER, field: 'number of executed commands' });
    }
    if (!Number.isInteger(r.sw) || r.sw < 0 || r.sw > 0xffff) {
      throw new InputError(`must be 0000–FFFF, got ${r.sw}`, { layer: COMPACT_LAYER, field: 'SW1 SW2' });
    }
    return concat(Uint8Array.of(r.executed, r.sw >> 8, r.sw & 0xff), r.data);
  },

  encodingLength(r: Omit<CompactResponse, 'format'>): number {
    return 3 + r.data.length;
  },

  decode(b: Uint8Array, start = 0): CompactResponse {
    const n = b.length - start;
    if (n < 1) {
      throw new InputError('empty: needs the number of executed commands and SW1 SW2', {
        layer: COMPACT_LAYER, field: 'number of executed commands', offset: start,
      });
    }
    if (n < 3) {
      throw new InputError(`SW1 SW2 needs 2 octets, ${n - 1} present`, {
        layer: COMPACT_LAYER, field: 'SW1 SW2', offset: start + 1,
      });
    }
    return {
      format: 'compact',
      executed: b[start],
      sw: (b[start + 1] << 8) | b[start + 2],
      data: b.subarray(start + 3),
    };
  },
};
