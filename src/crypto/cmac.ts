/**
 * AES-CMAC (NIST SP 800-38B / RFC 4493), full 16-octet tag. TS 102 225 uses it
 * over the CC input with no external padding; the caller truncates (NIST SP 800-38B, leftmost octets).
 * The subkeys K1, K2 depend on the key only: cached per key (and backend, so
 * each backend derives its own), in a small bounded map.
 */
import { scratch } from '../util/bytes.js';
import { aesCbcLast, aesEcbEncrypt } from './aes.js';
import { getCryptoBackend } from './backend.js';

/** Multiply by x in GF(2^128): shift left one bit, fold in R = 0x87 on carry. */
function dbl(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 15; i++) out[i] = ((b[i] << 1) | (b[i + 1] >> 7)) & 0xff;
  out[15] = (b[15] << 1) & 0xff;
  if (b[0] & 0x80) out[15] ^= 0x87;
  return out;
}

const MAX_KEYS = 32;
const subkeyCache = new Map<string, [Uint8Array, Uint8Array]>();

/** K1 and K2 of `key` (NIST SP 800-38B cl. 6.1), cached; also validates the key. */
export function cmacSubkeys(key: Uint8Array): [Uint8Array, Uint8Array] {
  const id = getCryptoBackend() + Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
  let s = subkeyCache.get(id);
  if (!s) {
    const L = aesEcbEncrypt(key, new Uint8Array(16)); // also validates the key
    const k1 = dbl(L);
    s = [k1, dbl(k1)];
    if (subkeyCache.size >= MAX_KEYS) subkeyCache.delete(subkeyCache.keys().next().value as string);
    subkeyCache.set(id, s);
  }
  return s;
}

export function aesCmac(key: Uint8Array, msg: Uint8Array): Uint8Array {
  const [k1, k2] = cmacSubkeys(key);
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const n = complete ? msg.length / 16 : Math.floor(msg.length / 16) + 1;
  const buf = scratch(n * 16);
  buf.set(msg);
  const last = (n - 1) * 16;
  let sub = k1;
  if (!complete) {
    buf[msg.length] = 0x80; // 10* padding of the last block
    sub = k2;
  }
  for (let i = 0; i < 16; i++) buf[last + i] ^= sub[i];
  // CBC with zero IV over the modified message: the last block is the tag.
  return aesCbcLast(key, buf);
}
