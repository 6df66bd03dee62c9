/** The engine of the selected backend (see backend.ts). */
import { AUTO_BUILTIN_BLOCKS, getCryptoBackend, type BlockEngine, type BlockKind } from './backend.js';
import { builtinEngine } from './builtin.js';
import { forgeEngine } from './forge.js';
import { nativeEngine } from './native.js';

/**
 * DES/3DES operations of at most this many blocks always run built in under
 * `auto`: a node:crypto call costs about a microsecond before the first block
 * (arguments, a new output Buffer), more than builtin.ts takes for a packet's
 * few blocks; the two are even near 16 blocks (npm run bench's capture rows
 * are where it shows: one decipher and one CBC-MAC per command packet). Not
 * AES, which goes to OpenSSL past the start-up budget: it runs there on
 * AES-NI, in constant time, unlike table lookups in JavaScript; OpenSSL's DES
 * is table-driven like ours.
 */
const DES_BUILTIN_MAX = 12;

/** Blocks left for the built-in ciphers under `auto` in this process (or thread). */
let budget = AUTO_BUILTIN_BLOCKS;

function pick(kind: BlockKind, data: Uint8Array): BlockEngine {
  const blocks = Math.ceil(data.length / (kind === 'aes' ? 16 : 8));
  if (kind === 'des' && blocks <= DES_BUILTIN_MAX) return builtinEngine;
  if (blocks <= budget) {
    budget -= blocks;
    return builtinEngine;
  }
  budget = 0;
  return nativeEngine;
}

/** `auto`: one-shot operations on the built-in ciphers while the budget lasts (short DES ones always); long-lived (batch) ciphers on OpenSSL. */
const autoEngine: BlockEngine = {
  cbcEncrypt: (kind, key, data) => pick(kind, data).cbcEncrypt(kind, key, data),
  cbcDecrypt: (kind, key, data) => pick(kind, data).cbcDecrypt(kind, key, data),
  ecbEncrypt: (kind, key, data) => pick(kind, data).ecbEncrypt(kind, key, data),
  ecbDecrypt: (kind, key, data) => pick(kind, data).ecbDecrypt(kind, key, data),
  cbcLast: (kind, key, data) => pick(kind, data).cbcLast(kind, key, data),
  ecbEncryptor: (kind, key) => nativeEngine.ecbEncryptor(kind, key),
  ecbDecryptor: (kind, key) => nativeEngine.ecbDecryptor!(kind, key),
};

export function engine(): BlockEngine {
  const b = getCryptoBackend();
  return b === 'auto' ? autoEngine : b === 'native' ? nativeEngine : b === 'forge' ? forgeEngine : builtinEngine;
}
