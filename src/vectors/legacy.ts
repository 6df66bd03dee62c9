/**
 * Vector files written before JSON v1 keep working: their `expected.fields` are read with the
 * old key names and value types and brought to the v1 names before the comparison.
 *
 * Old → v1: `keyIndex` → `kvn`; octet codes given as numbers (`iei`, `pid`, `dcs`, `fcs`, `pi`, `cla`,
 * `ins`, `p1`, `p2`, `tag`, device identities, command details, CAT_TP `reason.code`) → 2 hex digits;
 * CAT_TP `type`/`flags` in capitals (`SYN/ACK`) → the CLI's spelling (`synack`); the remote script
 * or response `format` (compact/expanded) → `scriptFormat`; TP-VP `format` → `vpf`.
 */
import { hex2 } from '../util/hex.js';

const OCTET_KEYS = new Set(['iei', 'pid', 'dcs', 'fcs', 'pi', 'cla', 'ins', 'p1', 'p2', 'tag', 'source', 'destination', 'number', 'qualifier']);
const CATTP_TYPES: Record<string, string> = { SYN: 'syn', 'SYN/ACK': 'synack', ACK: 'ack', DATA: 'data', EACK: 'eack', RST: 'rst', NUL: 'nul' };
const CATTP_FLAGS = new Set(['SYN', 'ACK', 'EAK', 'RST', 'NUL', 'SEG']);

function upgrade(v: unknown, parentKey: string): unknown {
  if (Array.isArray(v)) {
    if (parentKey === 'flags') return v.map((f) => (typeof f === 'string' && CATTP_FLAGS.has(f) ? f.toLowerCase() : f));
    return v.map((x) => upgrade(x, parentKey));
  }
  if (!v || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    let key = k;
    let val = upgrade(x, k);
    if (k === 'keyIndex') key = 'kvn';
    else if (k === 'format' && (x === 'compact' || x === 'expanded')) key = 'scriptFormat';
    else if (k === 'format' && parentKey === 'vp') key = 'vpf';
    if (typeof val === 'number' && Number.isInteger(val) && val >= 0 && val <= 255) {
      if (OCTET_KEYS.has(k) || (k === 'type' && parentKey === 'commandDetails') || (k === 'code' && parentKey === 'reason')) val = hex2(val);
    }
    if (k === 'type' && typeof val === 'string' && CATTP_TYPES[val]) val = CATTP_TYPES[val];
    out[key] = val;
  }
  return out;
}

/** `expected.fields` (or any part of it) with pre-v1 names and types brought to JSON v1. */
export function upgradeLegacyFields<T>(fields: T): T {
  return upgrade(fields, '') as T;
}
