/**
 * TP-SCTS / absolute TP-VP (TS 23.040 cl. 9.2.3.11): 7 octets year, month,
 * day, hour, minute, second, time zone; each octet two BCD digits with the
 * nibbles swapped ("52" = 25). Time zone: quarter hours, sign in bit 3 of the
 * raw octet (mask 08). tshark agrees: 40 = +1 h, 48 = -1 h, 8A = -7 h.
 */
import { InputError } from '../util/errors.js';
import { toHex } from '../util/hex.js';
import { need } from './fields.js';

export interface SctsFields {
  /** Two-digit year as transmitted (0..99); `iso` reads it as 20yy. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Signed offset from UTC in quarter hours (-79..79). */
  tzQuarters: number;
}

export interface DecodedScts extends SctsFields {
  hex: string;
  /** ISO 8601 with offset, e.g. 2025-01-17T13:54:12+00:00; null when a digit or value is out of range. */
  iso: string | null;
  warnings: string[];
}

/** Default TP-SCTS of built SMS-DELIVERs: 2026-01-01 00:00:00 +00:00 (= pcap default time). */
export const DEFAULT_SCTS_FIELDS: SctsFields = { year: 26, month: 1, day: 1, hour: 0, minute: 0, second: 0, tzQuarters: 0 };

const LAYER = 'TP-SCTS';
const NAMES = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const;
const RANGES: Record<(typeof NAMES)[number], [number, number]> = {
  year: [0, 99],
  month: [1, 12],
  day: [1, 31],
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
};

function swapped(v: number): number {
  return ((v % 10) << 4) | Math.floor(v / 10);
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Fields of a JS Date at a given UTC offset (quarter hours). */
export function sctsFromDate(d: Date, tzQuarters = 0): SctsFields {
  const t = new Date(d.getTime() + tzQuarters * 15 * 60_000);
  return {
    year: t.getUTCFullYear() % 100,
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    second: t.getUTCSeconds(),
    tzQuarters,
  };
}

export const scts = {
  encodingLength(): number {
    return 7;
  },
  encode(v: SctsFields): Uint8Array {
    const out = new Uint8Array(7);
    NAMES.forEach((k, i) => {
      const x = v[k];
      const [lo, hi] = RANGES[k];
      if (!Number.isInteger(x) || x < lo || x > hi) throw new InputError(`${k} must be ${lo}..${hi}, got ${x}`, { layer: LAYER, field: k });
      out[i] = swapped(x);
    });
    const tz = v.tzQuarters;
    if (!Number.isInteger(tz) || tz < -79 || tz > 79) throw new InputError(`time zone must be -79..79 quarter hours, got ${tz}`, { layer: LAYER, field: 'time zone' });
    out[6] = swapped(Math.abs(tz)) | (tz < 0 ? 0x08 : 0);
    return out;
  },
  decode(bytes: Uint8Array, offset = 0, layer = LAYER): DecodedScts {
    need(bytes, offset, 7, layer, 'TP-SCTS');
    const b = bytes.subarray(offset, offset + 7);
    const warnings: string[] = [];
    const vals: number[] = [];
    for (let i = 0; i < 6; i++) {
      const lo = b[i] & 0x0f;
      const hi = b[i] >> 4;
      if (lo > 9 || hi > 9) warnings.push(`${NAMES[i]} octet ${toHex(b.subarray(i, i + 1))} is not two BCD digits`);
      vals.push(lo * 10 + hi);
    }
    NAMES.forEach((k, i) => {
      const [lo, hi] = RANGES[k];
      if (vals[i] < lo || vals[i] > hi) warnings.push(`${k} ${vals[i]} out of range ${lo}..${hi}`);
    });
    const tzLo = b[6] & 0x07;
    const tzHi = b[6] >> 4;
    if (tzHi > 9) warnings.push('time zone octet is not BCD');
    const tzAbs = tzLo * 10 + tzHi;
    const tzQuarters = b[6] & 0x08 ? -tzAbs : tzAbs;
    const f: SctsFields = { year: vals[0], month: vals[1], day: vals[2], hour: vals[3], minute: vals[4], second: vals[5], tzQuarters };
    let iso: string | null = null;
    if (!warnings.length) {
      const m = Math.abs(tzQuarters) * 15;
      iso =
        `20${pad2(f.year)}-${pad2(f.month)}-${pad2(f.day)}T${pad2(f.hour)}:${pad2(f.minute)}:${pad2(f.second)}` +
        `${tzQuarters < 0 ? '-' : '+'}${pad2(Math.floor(m / 60))}:${pad2(m % 60)}`;
    }
    return { year: f.year, month: f.month, day: f.day, hour: f.hour, minute: f.minute, second: f.second, tzQuarters, hex: toHex(b), iso, warnings };
  },
};

/** "GMT + 1 hours 0 minutes" style text, like Wireshark. */
export function tzText(q: number): string {
  const m = Math.abs(q) * 15;
  return `GMT ${q < 0 ? '-' : '+'} ${Math.floor(m / 60)} hours ${m % 60} minutes`;
}
