/**
 * SCP81 TLS pre-shared keys in a keyset file: an optional top-level `psk`
 * list beside `keysets` (older readers ignore it, so files stay compatible):
 *
 *   "psk": [ { "identity": "89000000000000000001", "key": "00112233…", "kvn": "40", "kid": "01" } ]
 *
 * `identity` is the PSK identity text (Node's TLS passes identities as UTF-8
 * text); `key` the PSK (hex, 16/24/32 octets usually); `kvn`/`kid` (hex octet
 * or integer, optional) the key version and key identifier of the PSK in the
 * Security Domain (GlobalPlatform: KVN 40–4F, KID 01), used by `build push`.
 * Keys are secrets: never printed.
 */
import { InputError } from '../util/errors.js';
import { loadJsonFile } from '../util/json-text.js';
import { fromHex } from '../util/hex.js';

export interface PskEntry {
  identity: string;
  key: Uint8Array;
  kvn?: number;
  kid?: number;
}

function octetField(v: unknown, path: string, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9A-Fa-f]{2}$/.test(v) ? parseInt(v, 16) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new InputError('must be one octet: 2 hex digits ("40") or an integer 0 … 255', { layer: `keyset ${path}`, field });
  return n;
}

/** The `psk` entries of a keyset file (an empty list when there are none). */
export function validatePsk(raw: unknown, path: string): PskEntry[] {
  const o = raw as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || o.psk === undefined) return [];
  if (!Array.isArray(o.psk)) throw new InputError('must be a list of {identity, key}', { layer: `keyset ${path}`, field: 'psk' });
  const seen = new Set<string>();
  return o.psk.map((e: unknown, i: number) => {
    const at = `psk[${i}]`;
    const s = e as Record<string, unknown>;
    if (s === null || typeof s !== 'object') throw new InputError('must be an object {identity, key}', { layer: `keyset ${path}`, field: at });
    if (typeof s.identity !== 'string' || !s.identity) throw new InputError('must be a non-empty string', { layer: `keyset ${path}`, field: `${at}.identity` });
    if (seen.has(s.identity)) throw new InputError(`identity "${s.identity}" appears twice`, { layer: `keyset ${path}`, field: `${at}.identity` });
    seen.add(s.identity);
    if (typeof s.key !== 'string') throw new InputError('must be a hex string', { layer: `keyset ${path}`, field: `${at}.key` });
    let key: Uint8Array;
    try {
      key = fromHex(s.key, 'key');
    } catch {
      throw new InputError('is not valid hex', { layer: `keyset ${path}`, field: `${at}.key` });
    }
    if (!key.length) throw new InputError('is empty', { layer: `keyset ${path}`, field: `${at}.key` });
    return { identity: s.identity, key, kvn: octetField(s.kvn, path, `${at}.kvn`), kid: octetField(s.kid, path, `${at}.kid`) };
  });
}

export function loadPsk(path: string): PskEntry[] {
  const raw = loadJsonFile(path, 'keyset file', 'keyset');
  return validatePsk(raw, path);
}
