/**
 * node-forge block ciphers: the pure-JavaScript backend. It shares no code
 * with OpenSSL, so running the golden vectors through both backends
 * cross-checks them. Only forge's DES and AES modules are loaded, on first use
 * (about 4 ms, instead of about 20 ms for all of forge).
 */
import { createRequire } from 'node:module';
import type { BlockEngine, BlockKind } from './backend.js';

/** The slice of node-forge we use (its @types omit finish()'s padding callback). */
interface ForgeBlockCipher {
  start(options: { iv?: string }): void;
  update(input: unknown): void;
  finish(pad: () => boolean): boolean;
  output: { getBytes(): string };
}
interface Forge {
  cipher: {
    createCipher(alg: string, key: unknown): ForgeBlockCipher;
    createDecipher(alg: string, key: unknown): ForgeBlockCipher;
  };
  util: { createBuffer(bytes: string): unknown };
}

let forge: Forge | undefined;
const loaded = { des: false, aes: false };
function lib(kind: BlockKind): Forge {
  if (!loaded[kind]) {
    const require = createRequire(import.meta.url);
    // Each module registers its DES-*/3DES-* or AES-* ciphers with forge.cipher.
    require(kind === 'aes' ? 'node-forge/lib/aes.js' : 'node-forge/lib/des.js');
    forge ??= require('node-forge/lib/forge.js') as Forge;
    loaded[kind] = true;
  }
  return forge!;
}

function binary(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function run(kind: BlockKind, key: Uint8Array, data: Uint8Array, cbc: boolean, decrypt: boolean): Uint8Array {
  if (data.length === 0) return new Uint8Array(0);
  const f = lib(kind);
  let k = key;
  let name: string;
  if (kind === 'aes') name = cbc ? 'AES-CBC' : 'AES-ECB';
  else {
    // 2-key 3DES is K1 K2 K1; forge only takes 24-octet 3DES keys.
    if (key.length === 16) {
      k = new Uint8Array(24);
      k.set(key);
      k.set(key.subarray(0, 8), 16);
    }
    name = `${k.length === 8 ? 'DES' : '3DES'}-${cbc ? 'CBC' : 'ECB'}`;
  }
  const keyBuf = f.util.createBuffer(binary(k));
  const c = decrypt ? f.cipher.createDecipher(name, keyBuf) : f.cipher.createCipher(name, keyBuf);
  c.start(cbc ? { iv: '\0'.repeat(kind === 'aes' ? 16 : 8) } : {});
  c.update(f.util.createBuffer(binary(data)));
  c.finish(() => true); // no padding either way
  // Copy out of the (possibly pooled) Buffer into a plain Uint8Array.
  return new Uint8Array(Buffer.from(c.output.getBytes(), 'latin1'));
}

export const forgeEngine: BlockEngine = {
  cbcEncrypt: (kind, key, data) => run(kind, key, data, true, false),
  cbcDecrypt: (kind, key, data) => run(kind, key, data, true, true),
  ecbEncrypt: (kind, key, data) => run(kind, key, data, false, false),
  ecbDecrypt: (kind, key, data) => run(kind, key, data, false, true),
  cbcLast: (kind, key, data) => run(kind, key, data, true, false).slice(data.length - (kind === 'aes' ? 16 : 8)),
  ecbEncryptor: (kind, key) => {
    const k = Uint8Array.from(key);
    return (data) => run(kind, k, data, false, false);
  },
};
