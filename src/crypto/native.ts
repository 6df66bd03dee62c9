/**
 * OpenSSL block ciphers through node:crypto, with one long-lived cipher object
 * per key and direction. Creating a cipher (key schedule, EVP context) costs
 * more than running a short packet through it, so contexts are cached in a
 * small bounded map keyed by algorithm and key bytes (the key is never
 * printed or logged).
 *
 * Zero-IV CBC on a long-lived CBC context: after each call OpenSSL's chaining
 * value is the last ciphertext block, so the next packet starts from that
 * block instead of zero. Encrypting, XOR that block into the first plaintext
 * block (E(P1 ^ S ^ S) = E(P1)); decrypting, XOR it out of the first output
 * block. One OpenSSL call per packet, whatever its length.
 *
 * Single DES is 3DES with K1 = K2 = K3 (EDE collapses to one DES): OpenSSL 3's
 * default provider has no DES-CBC/ECB but has des-ede3.
 * node:crypto is loaded on first use only (start-up of commands without crypto).
 */
import { createRequire } from 'node:module';
import type { Cipher, Decipher } from 'node:crypto';
import type { BlockEngine, BlockKind } from './backend.js';

type NodeCrypto = typeof import('node:crypto');
let nc: NodeCrypto | undefined;
function crypto(): NodeCrypto {
  if (!nc) nc = createRequire(import.meta.url)('node:crypto') as NodeCrypto;
  return nc;
}

interface Ctx {
  kind: BlockKind;
  /** A copy of the key as given (compared byte by byte on lookup). */
  id: Uint8Array;
  block: number;
  cipherName: string;
  ecbName: string;
  key: Buffer;
  enc?: Cipher;
  encState: Uint8Array;
  dec?: Decipher;
  decState: Uint8Array;
  ecbEnc?: Cipher;
  ecbDec?: Decipher;
}

/** Enough for every key of a few keysets; the least recently used entry is evicted. */
const MAX_CONTEXTS = 32;
/** Most recently used first; a linear scan over at most 32 short keys is cheaper than hashing them. */
let cache: Ctx[] = [];

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function context(kind: BlockKind, key: Uint8Array): Ctx {
  for (let i = 0; i < cache.length; i++) {
    const c = cache[i];
    if (c.kind === kind && same(c.id, key)) {
      if (i > 0) {
        cache.splice(i, 1);
        cache.unshift(c);
      }
      return c;
    }
  }
  let k = Buffer.from(key);
  let base: string;
  if (kind === 'aes') base = `aes-${key.length * 8}`;
  else if (key.length === 16) base = 'des-ede';
  else {
    base = 'des-ede3';
    if (key.length === 8) k = Buffer.concat([k, k, k]);
  }
  const block = kind === 'aes' ? 16 : 8;
  const c: Ctx = {
    kind,
    id: Uint8Array.from(key),
    block,
    cipherName: `${base}-cbc`,
    ecbName: `${base}-ecb`,
    key: k,
    encState: new Uint8Array(block),
    decState: new Uint8Array(block),
  };
  cache.unshift(c);
  if (cache.length > MAX_CONTEXTS) cache.pop();
  return c;
}

/** A plain Uint8Array over the Buffer node:crypto returned (copied only when it is a pool slice). */
function plain(b: Buffer): Uint8Array {
  if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength) return new Uint8Array(b.buffer, 0, b.byteLength);
  return new Uint8Array(b);
}

function run(kind: BlockKind, key: Uint8Array, f: (c: Ctx) => Uint8Array): Uint8Array {
  const c = context(kind, key);
  try {
    return f(c);
  } catch (e) {
    // A context in an unknown state must not serve the next packet.
    cache = cache.filter((x) => x !== c);
    throw e;
  }
}

export const nativeEngine: BlockEngine = {
  cbcEncrypt(kind, key, data) {
    if (data.length === 0) return new Uint8Array(0);
    return run(kind, key, (c) => {
      if (!c.enc) {
        c.enc = crypto().createCipheriv(c.cipherName, c.key, Buffer.alloc(c.block));
        c.enc.setAutoPadding(false);
      }
      const B = c.block;
      const inp = Buffer.allocUnsafe(data.length); // input only: a pool slice is fine
      inp.set(data);
      const s = c.encState;
      for (let i = 0; i < B; i++) inp[i] ^= s[i];
      const out = c.enc.update(inp);
      s.set(out.subarray(out.length - B));
      return plain(out);
    });
  },
  cbcDecrypt(kind, key, data) {
    if (data.length === 0) return new Uint8Array(0);
    return run(kind, key, (c) => {
      if (!c.dec) {
        c.dec = crypto().createDecipheriv(c.cipherName, c.key, Buffer.alloc(c.block));
        c.dec.setAutoPadding(false);
      }
      const B = c.block;
      const out = plain(c.dec.update(data));
      const s = c.decState;
      for (let i = 0; i < B; i++) out[i] ^= s[i];
      s.set(data.subarray(data.length - B));
      return out;
    });
  },
  cbcLast(kind, key, data) {
    if (data.length === 0) return new Uint8Array(0);
    const out = nativeEngine.cbcEncrypt(kind, key, data);
    return out.slice(out.length - (kind === 'aes' ? 16 : 8));
  },
  ecbEncrypt(kind, key, data) {
    if (data.length === 0) return new Uint8Array(0);
    return run(kind, key, (c) => {
      if (!c.ecbEnc) {
        c.ecbEnc = crypto().createCipheriv(c.ecbName, c.key, null);
        c.ecbEnc.setAutoPadding(false);
      }
      return plain(c.ecbEnc.update(data));
    });
  },
  ecbDecrypt(kind, key, data) {
    if (data.length === 0) return new Uint8Array(0);
    return run(kind, key, (c) => {
      if (!c.ecbDec) {
        c.ecbDec = crypto().createDecipheriv(c.ecbName, c.key, null);
        c.ecbDec.setAutoPadding(false);
      }
      return plain(c.ecbDec.update(data));
    });
  },
  ecbEncryptor(kind, key) {
    // Its own object (not the cache's, which may be evicted): one per batch and key.
    const c = context(kind, key);
    const ecb = crypto().createCipheriv(c.ecbName, c.key, null);
    ecb.setAutoPadding(false);
    return (data) => (data.length === 0 ? new Uint8Array(0) : ecb.update(data));
  },
  ecbDecryptor(kind, key) {
    const c = context(kind, key);
    const ecb = crypto().createDecipheriv(c.ecbName, c.key, null);
    ecb.setAutoPadding(false);
    return (data) => (data.length === 0 ? new Uint8Array(0) : ecb.update(data));
  },
};

/** Forget every cached context (tests; a long-running process rotating keys). */
export function clearNativeContexts(): void {
  cache = [];
}
