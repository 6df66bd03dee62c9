/** The engine of the selected backend (see backend.ts). */
import { AUTO_BUILTIN_BLOCKS, getCryptoBackend, type BlockEngine, type BlockKind } from './backend.js';
import { builtinEngine } from './builtin.js';
import { forgeEngine } from './forge.js';
import { nativeEngine } from './native.js';

/** Blocks left for the built-in ciphers under `auto` in this process (or thread). */
let budget = AUTO_BUILTIN_BLOCKS;

function pick(kind: BlockKind, data: Uint8Array): BlockEngine {
  const blocks = Math.ceil(data.length / (kind === 'aes' ? 16 : 8));
  if (blocks <= budget) {
    budget -= blocks;
    return builtinEngine;
  }
  budget = 0;
  return nativeEngine;
}

/** `auto`: one-shot operations on the built-in ciphers while the budget lasts; long-lived (batch) ciphers on OpenSSL. */
const autoEngine: BlockEngine = {
  cbcEncrypt: (kind, key, data) => pick(kind, data).cbcEncrypt(kind, key, data),
  cbcDecrypt: (kind, key, data) => pick(kind, data).cbcDecrypt(kind, key, data),
  ecbEncrypt: (kind, key, data) => pick(kind, data).ecbEncrypt(kind, key, data),
  ecbDecrypt: (kind, key, data) => pick(kind, data).ecbDecrypt(kind, key, data),
  ecbEncryptor: (kind, key) => nativeEngine.ecbEncryptor(kind, key),
  ecbDecryptor: (kind, key) => nativeEngine.ecbDecryptor!(kind, key),
};

export function engine(): BlockEngine {
  const b = getCryptoBackend();
  return b === 'auto' ? autoEngine : b === 'native' ? nativeEngine : b === 'forge' ? forgeEngine : builtinEngine;
}
