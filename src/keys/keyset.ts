/**
 * Keyset files (JSON, documented in man/uicc-ota.1, KEYSET FILES): per key
 * version number (KVN, the KIc/KID high nibble) the KIc, KID and KIK keys with
 * their algorithms, plus optional defaults (kvn, spi, tar). Keys are secrets:
 * nothing here ever prints them.
 */
import { loadJsonFile } from '../util/json-text.js';
import { InputError } from '../util/errors.js';
import { fromHex } from '../util/hex.js';
import { isCipherAlg, isIntegrityAlg } from '../secured/keys.js';

export interface KeyEntry {
  algorithm: string;
  key: Uint8Array;
}

export interface KeySet {
  kvn: number;
  kic?: KeyEntry;
  kid?: KeyEntry;
  kik?: KeyEntry;
}

export interface KeysetFile {
  path: string;
  description?: string;
  defaults: { kvn?: number; spi?: string; tar?: string; kic?: string; kid?: string };
  keysets: KeySet[];
}

const cache = new Map<string, KeysetFile>();

export function loadKeyset(path: string): KeysetFile {
  const hit = cache.get(path);
  if (hit) return hit;
  const raw = loadJsonFile(path, 'keyset file', 'keyset');
  const ks = validateKeyset(raw, path);
  cache.set(path, ks);
  return ks;
}

function fail(path: string, field: string, msg: string): never {
  throw new InputError(msg, { layer: `keyset ${path}`, field });
}

export function validateKeyset(raw: unknown, path: string): KeysetFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(path, '(top level)', 'must be a JSON object');
  const o = raw as Record<string, unknown>;
  if (!Array.isArray(o.keysets)) fail(path, 'keysets', 'must be a list of key sets');
  const defaults = (o.defaults ?? {}) as Record<string, unknown>;
  if (typeof defaults !== 'object' || Array.isArray(defaults)) fail(path, 'defaults', 'must be an object');
  const out: KeysetFile = { path, description: typeof o.description === 'string' ? o.description : undefined, defaults: {}, keysets: [] };
  if (defaults.kvn !== undefined) {
    if (!Number.isInteger(defaults.kvn) || (defaults.kvn as number) < 0 || (defaults.kvn as number) > 15) fail(path, 'defaults.kvn', 'must be 0 … 15');
    out.defaults.kvn = defaults.kvn as number;
  }
  for (const k of ['spi', 'tar', 'kic', 'kid'] as const) {
    if (defaults[k] !== undefined) {
      if (typeof defaults[k] !== 'string') fail(path, `defaults.${k}`, 'must be a hex string');
      out.defaults[k] = defaults[k] as string;
    }
  }
  const seen = new Set<number>();
  (o.keysets as unknown[]).forEach((e, i) => {
    const at = `keysets[${i}]`;
    if (typeof e !== 'object' || e === null) fail(path, at, 'must be an object');
    const s = e as Record<string, unknown>;
    if (!Number.isInteger(s.kvn) || (s.kvn as number) < 0 || (s.kvn as number) > 15) fail(path, `${at}.kvn`, 'must be a key version number 0 … 15');
    if (seen.has(s.kvn as number)) fail(path, `${at}.kvn`, `KVN ${s.kvn} appears twice`);
    seen.add(s.kvn as number);
    const set: KeySet = { kvn: s.kvn as number };
    for (const role of ['kic', 'kid', 'kik'] as const) {
      const r = s[role];
      if (r === undefined) continue;
      if (typeof r !== 'object' || r === null) fail(path, `${at}.${role}`, 'must be an object {algorithm, key}');
      const rr = r as Record<string, unknown>;
      if (typeof rr.algorithm !== 'string') fail(path, `${at}.${role}.algorithm`, 'missing');
      const alg = rr.algorithm;
      const okAlg = role === 'kid' ? isIntegrityAlg(alg) : isCipherAlg(alg);
      if (!okAlg) fail(path, `${at}.${role}.algorithm`, `"${alg}" is not a known ${role === 'kid' ? 'CC/RC' : 'cipher'} algorithm`);
      if (typeof rr.key !== 'string') fail(path, `${at}.${role}.key`, 'must be a hex string');
      let key: Uint8Array;
      try {
        key = fromHex(rr.key, 'key');
      } catch (err) {
        fail(path, `${at}.${role}.key`, (err as InputError).detail);
      }
      set[role] = { algorithm: alg, key };
    }
    out.keysets.push(set);
  });
  return out;
}

export function findKeyset(ks: KeysetFile, kvn: number): KeySet | undefined {
  return ks.keysets.find((s) => s.kvn === kvn);
}
