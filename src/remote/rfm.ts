/**
 * Remote File Management scripts (TS 102 226 cl. 8.1): SELECT by path or by
 * FID chain, READ/UPDATE BINARY or RECORD.
 *
 * - family `sim`: class A0 (TS 51.011 / GSM 11.11), every FID selected in turn
 *   (`A0 A4 00 00 02 FID`); the SIM answers 9Fxx and a GET RESPONSE
 *   (`A0 C0 00 00 P3`) fetches the response parameters (TS 51.011 cl. 9.2.1).
 * - family `uicc`: class 00 (TS 102 221 cl. 11.1.1): by default one SELECT by
 *   path from the MF (P1 = 08, the path without 3F00); `select: 'fid'` selects
 *   each FID (P1 = 00). P2 = 0C (no data) before READ/UPDATE, 04 (FCP) for
 *   `select`; in the compact format a GET RESPONSE follows a SELECT that
 *   returns the FCP (T=0 coding has no Le, TS 102 226 cl. 5.1.1).
 */
import { InputError } from '../util/errors.js';
import { fromHex, toHex } from '../util/hex.js';
import { step, type RemoteScript, type ScriptStep } from './script.js';

export type Family = 'sim' | 'uicc';
export type SelectMode = 'path' | 'fid';
export type RecordMode = 'absolute' | 'next' | 'previous' | 'current';

export interface RfmTarget {
  /** `3F00/7F20/6F07` (or without 3F00: from the current DF). */
  path: string;
  family?: Family;
  /** uicc only: one SELECT by path (default) or a SELECT per FID. */
  select?: SelectMode;
}

const LAYER = 'RFM path';

/** FIDs of a path `3F00/7F20/6F07` (also `3F007F206F07` or with `.`, ` ` separators). */
export function parsePath(path: string): Uint8Array[] {
  const t = path.trim();
  if (!t) throw new InputError('is empty (give e.g. 3F00/7F20/6F07)', { layer: LAYER, field: '--path' });
  const parts = /[/.:\s]/.test(t) ? t.split(/[/.:\s]+/).filter(Boolean) : t.length % 4 === 0 ? t.match(/.{4}/g)! : [t];
  return parts.map((p, i) => {
    if (!/^[0-9A-Fa-f]{4}$/.test(p)) {
      throw new InputError(`element ${i + 1} "${p}" is not a file identifier of 4 hex digits (e.g. 3F00/7F20/6F07)`, { layer: LAYER, field: '--path' });
    }
    const fid = fromHex(p);
    if (i > 0 && fid[0] === 0x3f && fid[1] === 0x00) throw new InputError(`element ${i + 1}: 3F00 (MF) can only come first`, { layer: LAYER, field: '--path' });
    if (fid[0] === 0xff && fid[1] === 0xff) throw new InputError(`element ${i + 1}: FFFF is reserved (TS 102 221 cl. 8.1)`, { layer: LAYER, field: '--path' });
    return fid;
  });
}

const isMf = (f: Uint8Array) => f[0] === 0x3f && f[1] === 0x00;

/** SELECT steps. `fcp`: the last SELECT returns the file's FCP / response parameters. */
export function selectSteps(t: RfmTarget, fcp: boolean): ScriptStep[] {
  const fids = parsePath(t.path);
  const family = t.family ?? 'uicc';
  const out: ScriptStep[] = [];
  if (family === 'sim') {
    if (t.select === 'path') throw new InputError('a SIM (class A0, TS 51.011) selects by FID only: drop --select path or use --family uicc', { layer: LAYER, field: '--select' });
    fids.forEach((f, i) => {
      const last = i === fids.length - 1;
      out.push(step({ cla: 0xa0, ins: 0xa4, p1: 0, p2: 0, data: f }, `SELECT ${toHex(f)}`));
      // TS 51.011 cl. 9.2.1: the answer is 9F xx; GET RESPONSE with P3 = xx reads it. 00 here: up to 256.
      if (last && fcp) out.push(step({ cla: 0xa0, ins: 0xc0, p1: 0, p2: 0, le: 256 }, 'GET RESPONSE (response parameters)', 'sim-response'));
    });
    return out;
  }
  const p2 = fcp ? 0x04 : 0x0c;
  const mode = t.select ?? 'path';
  if (mode === 'path' && fids.length > 1) {
    // TS 102 221 cl. 11.1.1.2: P1 08 = path from the MF without its FID; 09 = from the current DF.
    const fromMf = isMf(fids[0]);
    const rest = fromMf ? fids.slice(1) : fids;
    const data = Uint8Array.from(rest.flatMap((f) => [...f]));
    out.push(step({ cla: 0, ins: 0xa4, p1: fromMf ? 0x08 : 0x09, p2, data, le: fcp ? 256 : undefined },
      `SELECT by path ${fromMf ? 'from MF' : 'from the current DF'} ${rest.map(toHex).join('/')}`, fcp ? 'fcp' : 'none'));
  } else {
    fids.forEach((f, i) => {
      const last = i === fids.length - 1;
      const want = last && fcp;
      out.push(step({ cla: 0, ins: 0xa4, p1: 0, p2: want ? 0x04 : 0x0c, data: f, le: want ? 256 : undefined }, `SELECT ${toHex(f)}`, want ? 'fcp' : 'none'));
    });
  }
  if (fcp) out.push(step({ cla: 0, ins: 0xc0, p1: 0, p2: 0, le: 256 }, 'GET RESPONSE (FCP)', 'fcp', { compactOnly: true }));
  return out;
}

function cla(t: RfmTarget): number {
  return (t.family ?? 'uicc') === 'sim' ? 0xa0 : 0x00;
}

function checkOffset(offset: number | undefined): number {
  const o = offset ?? 0;
  // READ/UPDATE BINARY: offset in P1 P2 with b8 of P1 = 0 (b8 = 1 means SFI), TS 102 221 cl. 11.1.3.
  if (!Number.isInteger(o) || o < 0 || o > 0x7fff) throw new InputError(`must be 0 … 32767, got ${offset}`, { layer: 'RFM', field: '--offset' });
  return o;
}

function checkRecord(n: number, mode: RecordMode): number {
  if (mode === 'next' || mode === 'previous') return 0;
  if (!Number.isInteger(n) || n < 1 || n > 254) throw new InputError(`must be a record number 1 … 254, got ${n}`, { layer: 'RFM', field: '--record' });
  return n;
}

/** P2 of READ/UPDATE RECORD (TS 102 221 cl. 11.1.5: 02 next, 03 previous, 04 absolute/current). */
const RECORD_P2: Record<RecordMode, number> = { next: 0x02, previous: 0x03, absolute: 0x04, current: 0x04 };

export interface ReadOptions extends RfmTarget {
  /** Record number (READ RECORD) instead of READ BINARY. */
  record?: number;
  recordMode?: RecordMode;
  offset?: number;
  /** Octets to read (Le); default 0 = as many as there are (Le 00). */
  length?: number;
}

export interface UpdateOptions extends RfmTarget {
  data: Uint8Array;
  record?: number;
  recordMode?: RecordMode;
  offset?: number;
}

function le(n: number | undefined): number {
  if (n === undefined || n === 0) return 256;
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new InputError(`must be 1 … 256 (0 = all, Le 00), got ${n}`, { layer: 'RFM', field: '--length' });
  return n;
}

/** SELECT the file and READ BINARY (offset) or READ RECORD (number, mode). */
export function read(o: ReadOptions): RemoteScript {
  const steps = selectSteps(o, false);
  if (o.record !== undefined || o.recordMode) {
    const mode = o.recordMode ?? 'absolute';
    const n = checkRecord(o.record ?? 0, mode);
    steps.push(step({ cla: cla(o), ins: 0xb2, p1: n, p2: RECORD_P2[mode], le: le(o.length) }, `READ RECORD ${mode === 'absolute' ? n : mode}`, 'ef-record'));
  } else {
    const off = checkOffset(o.offset);
    steps.push(step({ cla: cla(o), ins: 0xb0, p1: off >> 8, p2: off & 0xff, le: le(o.length) }, `READ BINARY at offset ${off}`, 'ef-binary'));
  }
  return { kind: 'rfm', operation: 'read', steps, notes: [] };
}

/** SELECT the file and UPDATE BINARY (offset) or UPDATE RECORD (number, mode). */
export function update(o: UpdateOptions): RemoteScript {
  if (!o.data.length) throw new InputError('give the octets to write (--data HEX)', { layer: 'RFM', field: '--data' });
  if (o.data.length > 255) throw new InputError(`${o.data.length} octets: at most 255 in one UPDATE (short Lc)`, { layer: 'RFM', field: '--data' });
  const steps = selectSteps(o, false);
  if (o.record !== undefined || o.recordMode) {
    const mode = o.recordMode ?? 'absolute';
    const n = checkRecord(o.record ?? 0, mode);
    steps.push(step({ cla: cla(o), ins: 0xdc, p1: n, p2: RECORD_P2[mode], data: o.data }, `UPDATE RECORD ${mode === 'absolute' ? n : mode}`));
  } else {
    const off = checkOffset(o.offset);
    steps.push(step({ cla: cla(o), ins: 0xd6, p1: off >> 8, p2: off & 0xff, data: o.data }, `UPDATE BINARY at offset ${off}`));
  }
  return { kind: 'rfm', operation: 'update', steps, notes: [] };
}

/** SELECT the file, asking for its FCP (UICC) or response parameters (SIM). */
export function select(o: RfmTarget): RemoteScript {
  return { kind: 'rfm', operation: 'select', steps: selectSteps(o, true), notes: [] };
}

export const rfm = { read, update, select, parsePath };
